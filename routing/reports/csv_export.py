"""CSV export of a report table, safe to open in a spreadsheet."""
import csv
import io

# A cell that starts with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV Injection"): such text is written with a leading apostrophe, shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(columns, rows):
    """The CSV text: one header row with the columns' labels, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(c.label) for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c.key)) for c in columns])
    return out.getvalue()
