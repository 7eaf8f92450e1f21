"""OpenAPI: every operation documents its error responses with their real shapes.

400 carries field errors ({"field": ["message", ...], "non_field_errors": [...]}, nested for lists
of objects); 401/403/404/409 carry {"detail": "..."}.
"""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error with a message."""

    detail = serializers.CharField()


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field errors: each key is a request field (or `non_field_errors`); the value lists the messages, "
                   "or holds the errors of a nested object or list item. A body that cannot be parsed answers "
                   "{\"detail\": \"JSON parse error ...\"}.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ],
    },
    "example": {"session_limit": ["The chat/SMS session limit is 1 to 12."]},
}

ERROR_DESCRIPTIONS = {
    "400": "Refused: the request or a rule of the product (the same message the console gives).",
    "401": "No or invalid credentials (send `Authorization: Token <key>` or a session cookie).",
    "403": "Your role does not allow this.",
    "404": "No such object among yours (another tenant's object answers the same).",
    "409": "Refused: the object is still in use.",
    "415": "The request body is not JSON (send `Content-Type: application/json`).",
}


# A time of day without a zone ("09:00:00": routing rules' hours, in the rule's own time zone). OpenAPI's
# `time` format is RFC 3339's full-time, which needs an offset, so a client validating against it refused
# every answer that carried one.
LOCAL_TIME = {"type": "string", "format": "partial-time", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
              "example": "09:00:00"}


class ApiAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            schema = {**schema, **LOCAL_TIME}
        return schema

    def get_tags(self):
        # /api/v1/points-of-contact/{id}/ -> "points-of-contact"
        parts = [p for p in self.path.split("/") if p and not p.startswith("{")]
        return parts[2:3] or super().get_tags()

    def _field_errors_ref(self):
        component = ResolvedComponent(name="FieldErrors", type=ResolvedComponent.SCHEMA, schema=FIELD_ERRORS_SCHEMA,
                                      object="FieldErrors")
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        has_id = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        codes = []
        if self.method in ("POST", "PUT", "PATCH") or is_list:
            codes.append("400")
        codes += ["401", "403"]
        if has_id or is_list:  # lists: a page past the end
            codes.append("404")
        if self.method == "DELETE":
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        for code in codes:
            if code in responses:
                continue
            if code == "400":
                responses[code] = {"content": {"application/json": {"schema": self._field_errors_ref()}},
                                   "description": ERROR_DESCRIPTIONS[code]}
            else:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code, direction=direction)
        return responses
