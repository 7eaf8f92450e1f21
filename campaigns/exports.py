"""CSV downloads, streamed and escaped against spreadsheet formulas: a list's rows, a campaign's results."""
from django.http import StreamingHttpResponse
from django.utils.text import slugify

from . import imports, selectors


def _response(lines, filename):
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def contact_list_response(contact_list):
    header = [contact_list.phone_column, *contact_list.columns, "opted_out"]
    rows = ([e.number, *(e.fields.get(c, "") for c in contact_list.columns), "yes" if e.opted_out else ""]
            for e in selectors.entries_of(contact_list).iterator(chunk_size=2000))
    return _response(imports.csv_lines(header, rows), f"{slugify(contact_list.name) or 'contacts'}.csv")


def results_response(campaign):
    rows = ([r.number, r.status, r.sent_at.isoformat() if r.sent_at else "", r.error]
            for r in selectors.recipients_of(campaign).iterator(chunk_size=2000))
    return _response(imports.csv_lines(["number", "state", "sent_at", "error"], rows),
                     f"{slugify(campaign.name) or 'campaign'}-results.csv")
