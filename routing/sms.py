"""SMS encoding and segment counts (GSM-7 160/153, UCS-2 70/67), and the opt-out keywords (R17)."""
from .choices import Encoding

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
MAX_BODY = 1600  # Twilio's maximum message body, in characters


GSM7_SINGLE, GSM7_PART = 160, 153  # septets: one whole text, or one part of a concatenated text (7 go to its header)
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units, likewise


def _parts(sizes, single, part):
    """Segments for a body given as the unit size of each indivisible character, filled the way carriers split:
    one text up to `single` units, otherwise greedy parts of `part` units where a character that does not fit
    whole (an escape-coded GSM-7 character, a surrogate pair) moves to the next part."""
    if sum(sizes) <= single:
        return 1
    segments, room = 1, part
    for size in sizes:
        if size > room:
            segments, room = segments + 1, part
        room -= size
    return segments


def encoding_and_segments(body):
    """(encoding, segments) for a message body. static/js/sms.js counts the same way for the composer."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body):
        return Encoding.GSM7, _parts([2 if c in GSM7_EXTENSION else 1 for c in body], GSM7_SINGLE, GSM7_PART)
    # a code point above the Basic Multilingual Plane is a surrogate pair: 2 UTF-16 units, never split
    return Encoding.UCS2, _parts([2 if ord(c) > 0xFFFF else 1 for c in body], UCS2_SINGLE, UCS2_PART)


OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
HELP = {"HELP", "INFO"}


def keyword(body):
    """'opt_out', 'opt_in', 'help' or None: exact single-word matches, any case, spaces ignored."""
    word = (body or "").strip().upper()
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    if word in HELP:
        return "help"
    return None
