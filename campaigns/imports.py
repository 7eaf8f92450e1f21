"""Reading a contact list's CSV as a stream: the file is read once to tell its encoding, then row by row
into batches, so memory stays flat whatever the file's size (docs/campaigns.md has the figures)."""
import codecs
import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from . import rules

MAX_ROWS = 500_000
MAX_ERRORS = 1000  # errors kept with their line; `rejected` counts them all
BATCH = 2000
ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r")
csv.field_size_limit(64 * 1024)


def detect_encoding(f):
    """UTF-8 (with or without BOM) or UTF-16 by their BOM, else UTF-8 if every byte decodes, else Windows-1252."""
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := f.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        f.seek(0)


def detect_delimiter(header_line):
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@dataclass
class Batch:
    rows: list = field(default_factory=list)  # (line, number, fields)
    errors: list = field(default_factory=list)  # (line, reason)
    read: int = 0
    position: int = 0  # bytes of the file read so far (a little ahead: the reader's buffer)


def read_rows(f, phone_column, region, columns_expected=None, skip_rows=0):
    """(columns, batches): the merge-field columns and a generator of Batch. Raises ValidationError for a file
    that cannot be read as a CSV with the phone column (nothing imported then). `skip_rows`: data rows already
    imported by an import that was interrupted (a killed worker), read past without a second look."""
    encoding = detect_encoding(f)
    text = io.TextIOWrapper(f, encoding=encoding, newline="", errors="replace")
    first = text.readline()
    if not first.strip():
        raise ValidationError({"file": "The file is empty: it needs a header row and one row per contact."})
    delimiter = detect_delimiter(first)
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    wanted = (phone_column or "phone").strip()
    lowered = [h.lower() for h in header]
    if wanted.lower() not in lowered:
        have = ", ".join(h for h in header if h)
        raise ValidationError({"phone_column": f"The header row has no column “{wanted}” (its columns: {have})."})
    phone_at = lowered.index(wanted.lower())
    columns = [(i, h) for i, h in enumerate(header) if i != phone_at and h]
    names = [h for _, h in columns]
    if len(set(names)) != len(names):
        raise ValidationError({"file": "Two columns of the header row have the same name; give each column its own name."})
    if columns_expected is not None and names != list(columns_expected):
        raise ValidationError({"file": f"The columns differ from the list's ({', '.join(columns_expected) or 'the phone number only'}): "
                                       "append a file with the same header row."})
    reader = csv.reader(text, delimiter=delimiter)
    normalize = _cached(rules.number_normalize)

    def batches():
        batch = Batch()
        line_end = 1
        try:
            for row in reader:
                line = line_end + 1  # a quoted cell may span lines: the row starts after the previous one ended
                line_end = reader.line_num + 1
                if not any(cell.strip() for cell in row):
                    continue  # blank lines are not rows
                batch.read += 1
                if batch.read + sum_read[0] > MAX_ROWS:
                    batch.read -= 1
                    batch.errors.append((line, f"The file has more than {MAX_ROWS:,} rows: the rest was not imported."))
                    break
                if sum_read[0] + batch.read <= skip_rows:
                    batch.read -= 1
                    sum_read[0] += 1
                    continue
                raw = row[phone_at] if phone_at < len(row) else ""
                number, reason = normalize(raw, region)
                if reason:
                    batch.errors.append((line, reason))
                else:
                    batch.rows.append((line, number, {h: (row[i] if i < len(row) else "") for i, h in columns}))
                if batch.read >= BATCH:
                    sum_read[0] += batch.read
                    batch.position = f.tell()
                    yield batch
                    batch = Batch()
        except csv.Error as exc:
            batch.errors.append((line_end + 1, f"The file could not be read from here on: {exc}."))
        batch.position = f.tell()
        yield batch

    sum_read = [0]
    return names, batches()


def _cached(normalize, size=4096):
    """number_normalize once per distinct cell of a file (lists repeat numbers: the duplicates), in bounded memory."""
    seen = {}

    def cached(raw, region):
        if raw in seen:
            return seen[raw]
        if len(seen) >= size:
            seen.clear()
        seen[raw] = got = normalize(raw, region)
        return got
    return cached


CHUNK = 1 << 20


class StoredUpload(io.RawIOBase):
    """A stored upload (campaigns.UploadChunk rows) read back as a seekable binary file, one chunk in memory at a time."""

    def __init__(self, contact_list_id, size):
        from .models import UploadChunk  # models import nothing from here; this module is imported by services

        self.chunks = UploadChunk.objects.filter(contact_list_id=contact_list_id)
        self.size, self.pos, self.seq, self.data = size, 0, None, b""

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=io.SEEK_SET):
        self.pos = max(0, {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence] + offset)
        return self.pos

    def readinto(self, buffer):
        if self.pos >= self.size:
            return 0
        seq, offset = divmod(self.pos, CHUNK)
        if seq != self.seq:
            self.data = bytes(self.chunks.filter(seq=seq).values_list("data", flat=True).first() or b"")
            self.seq = seq
        n = min(len(buffer), len(self.data) - offset)
        if n <= 0:
            return 0
        buffer[:n] = self.data[offset:offset + n]
        self.pos += n
        return n


def upload_store(contact_list_id, f):
    """The uploaded file into UploadChunk rows of CHUNK bytes; returns its size."""
    from .models import UploadChunk

    f.seek(0)
    size = seq = 0
    while data := f.read(CHUNK):
        UploadChunk.objects.create(contact_list_id=contact_list_id, seq=seq, data=data)
        size += len(data)
        seq += 1
    f.seek(0)
    return size


def upload_open(contact_list_id, size):
    return io.BufferedReader(StoredUpload(contact_list_id, size), buffer_size=1 << 16)


def escape_cell(value):
    """A cell a spreadsheet would run as a formula is written with a leading apostrophe."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(ESCAPED_STARTS) else value


class Echo:
    def write(self, value):
        return value


def csv_lines(header, rows):
    """Lines of a CSV (for a StreamingHttpResponse), every cell escaped."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow([escape_cell(c) for c in header])  # the BOM: spreadsheets then read UTF-8
    for row in rows:
        yield writer.writerow([escape_cell(c) for c in row])
