"""Patterns a tenant writes (routing rules of kind "regular expression" now, Digital queue filters
next): checked when saved, searched in a contact's untrusted text on the path of every new room.

Python's `re` backtracks: `^(a+)+$` against 27 `a`s and a `!` took seconds, and the sync thread
that every web request shares waited with it, for every tenant. Patterns therefore run on RE2
(google-re2), whose time is linear in the text for a given compiled program; what RE2 cannot run
in linear time (back-references, lookarounds) it refuses to compile, and that refusal reaches the
administrator as a plain message. The one cost left is the program's size: RE2 builds its DFA
state by state, each step costing up to the program's size, so a 1,600-character text against a
program of MAX_PROGRAM_SIZE instructions stays within about 10 ms (measured, 2 cores) — counted
repetitions and Unicode classes (`.{500}`, `\\pL{30}`) grow a program fast and are refused.

Keywords are literals searched as whole words with Python's `re`: an escaped literal between two
lookarounds has no quantifier to backtrack into, so a search makes at most len(text) × len(keyword)
character comparisons (1,600 × 200), whatever the input.

`pattern_validate` is the save-time rule (Model.clean, so console, admin and API say the same);
`pattern_found` and `keyword_found` are the run-time searches. A stored pattern that no longer
compiles never blocks a text: it simply does not match, and is logged once per process.
"""
import functools
import logging
import re

import re2
from django.core.exceptions import ValidationError

log = logging.getLogger("cxsms.scripts")

MAX_LENGTH = 200  # characters, as the rule's field
MAX_PROGRAM_SIZE = 1000  # RE2 instructions; see the module's docstring


def _options():
    options = re2.Options()
    options.log_errors = False  # a refused pattern is our message, not a line on the server's stderr
    options.never_capture = True  # only "is it there?" is asked: no groups to fill
    return options


_OPTIONS = _options()
_TOO_COMPLEX = ("This pattern is too complex to run quickly on every message: use fewer or smaller repetition "
                "counts ({n}) and character classes (Unicode classes such as \\pL are large).")
_ERRORS = {  # RE2's error codes (re2.cc CodeText) in plain words
    "missing )": "an opening ( has no closing )",
    "unexpected )": "a closing ) has no opening (",
    "missing ]": "an opening [ has no closing ]",
    "trailing \\": "the pattern ends with a lone \\",
    "no argument for repetition operator": "nothing before the repetition to repeat",
    "bad repetition operator": "a repetition of a repetition",
    "invalid escape sequence": "unknown escape",
    "invalid character class range": "unknown character class or range",
    "invalid character class": "unknown character class",
    "invalid perl operator": "unknown group syntax",
    "invalid named capture group": "a group name is not valid",
    "invalid UTF-8": "the pattern is not valid text",
}
_NO_BACKTRACKING = "patterns run on an engine that never backtracks, so that no message can slow the service down."


def _refusal(error):
    """RE2's compile error in the administrator's words."""
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    if re.match(r"invalid perl operator: \(\?<?[=!]", text):
        return f"Lookahead and lookbehind, such as (?=…), (?!…), (?<=…) and (?<!…), are not supported: {_NO_BACKTRACKING}"
    if re.match(r"invalid escape sequence: \\[1-9]", text) or text == "invalid perl operator: (?P":
        return f"Back-references, such as \\1 or (?P=name), are not supported: {_NO_BACKTRACKING}"
    if text == "invalid escape sequence: \\Z":
        return "Write \\z (lowercase) for the end of the message."
    if text.startswith("pattern too large"):
        return _TOO_COMPLEX
    if text.startswith("invalid repetition size"):
        return "A repetition count such as {n} or {m,n} is at most 1000, with m no larger than n."
    what, _sep, where = text.partition(": ")
    what = _ERRORS.get(what, what)
    return f"Not a valid regular expression: {what} at “{where}”." if where else f"Not a valid regular expression: {what}."


@functools.lru_cache(maxsize=1024)
def _compiled(pattern):
    """(compiled RE2 object, None) or (None, the refusal in words); cached: rules run on every new room."""
    if len(pattern) > MAX_LENGTH:
        return None, f"A pattern is at most {MAX_LENGTH} characters; this one has {len(pattern)}."
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        return None, _refusal(exc.args[0] if exc.args else "")
    if compiled.programsize > MAX_PROGRAM_SIZE:
        return None, _TOO_COMPLEX
    return compiled, None


def pattern_validate(pattern):
    """Save-time rule: a ValidationError with a plain message when the pattern cannot be run safely."""
    _compiled_pattern, refusal = _compiled(pattern or "")
    if refusal:
        raise ValidationError(refusal, code="pattern")


def pattern_found(pattern, text):
    """Whether the pattern occurs in the text (case-sensitive unless it starts with (?i)). A pattern
    that does not compile (stored before these rules) is no match, logged once per process."""
    compiled, refusal = _compiled(pattern)
    if compiled is None:
        _log_broken(pattern, refusal)
        return False
    # On the UTF-8 bytes: the same answer (the pattern is compiled in UTF-8 mode), without the wrapper
    # translating match offsets back to characters (9 µs instead of 27 for a match in a short text).
    return compiled.search(text.encode("utf-8", "surrogatepass")) is not None


@functools.lru_cache(maxsize=256)
def _log_broken(pattern, refusal):
    log.warning("routing rule pattern %r cannot be run (%s); treated as no match", pattern, refusal)


@functools.lru_cache(maxsize=1024)
def _keyword(keyword):
    return re.compile(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", re.IGNORECASE)


def keyword_found(keyword, text):
    """The keyword (or phrase) as a whole word, any case: `#ADVENTUREME` is in "hi #adventureme!" but
    not in "#ADVENTUREMEs". Linear in the text for a given keyword (see the module's docstring)."""
    keyword = (keyword or "").strip()
    return bool(keyword) and _keyword(keyword).search(text) is not None
