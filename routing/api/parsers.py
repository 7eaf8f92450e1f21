"""Request body parsers of the REST API."""
from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "The JSON body is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested deeper than Python's recursion limit answered 400:
    json.load raises RecursionError there, which DRF does not catch (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP)
