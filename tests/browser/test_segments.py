"""Segment counts at part boundaries: routing/sms.py, the composer's static/js/sms.js (run in Chromium) and a
reference split written here all agree, for drawn bodies and for exact examples."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.choices import Encoding
from routing.sms import GSM7_BASIC, GSM7_EXTENSION, encoding_and_segments

pytestmark = pytest.mark.browser

SMS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "sms.js"


def reference_split(body):
    """The parts a carrier sends, as strings: greedy fill, a character that does not fit whole starts the next part."""
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body)
    if gsm:
        size, single, part = (lambda c: 2 if c in GSM7_EXTENSION else 1), 160, 153
    else:
        size, single, part = (lambda c: len(c.encode("utf-16-le")) // 2), 70, 67
    if sum(size(c) for c in body) <= single:
        return ("gsm7" if gsm else "ucs2"), [body]
    out, current, used = [], "", 0
    for c in body:
        if used + size(c) > part:
            out.append(current)
            current, used = "", 0
        current += c
        used += size(c)
    out.append(current)
    assert "".join(out) == body and all(sum(size(c) for c in p) <= part for p in out)
    return ("gsm7" if gsm else "ucs2"), out


@pytest.fixture(scope="module")
def sms_page(browser):
    """A blank page with the real composer script loaded; no server needed."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_content("<!doctype html><title>sms</title>")
    page.add_script_tag(content=SMS_JS.read_text(encoding="utf-8"))
    yield page
    ctx.close()


def js_counts(page, bodies):
    return page.evaluate("bs => bs.map(b => { const i = CxSms.info(b); return [i.encoding, i.segments]; })", bodies)


def check_all_agree(page, bodies):
    for body, (js_encoding, js_segments) in zip(bodies, js_counts(page, bodies), strict=True):
        encoding, segments = encoding_and_segments(body)
        ref_encoding, ref_parts = reference_split(body)
        label = (len(body), body[:12], body[-12:])
        assert encoding == ref_encoding == js_encoding, label
        assert segments == len(ref_parts) == js_segments, (label, segments, len(ref_parts), js_segments)


ASCII = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?@$_\n"
EXTENSION = "^{}\\[~]|€\f"
EMOJI = "🥣🍯😀👍🏽🚀"
BMP_NON_GSM = "çêЖ—“”"
ALPHABETS = {
    "ascii": ASCII, "gsm extension": ASCII + EXTENSION, "extension only": EXTENSION,
    "emoji": ASCII + EMOJI, "emoji only": EMOJI, "ucs2": ASCII + BMP_NON_GSM, "mixed": ASCII + EXTENSION + EMOJI + BMP_NON_GSM,
}
BOUNDARIES = [70, 134, 153, 160, 306]


@st.composite
def body(draw):
    alphabet = draw(st.sampled_from(sorted(ALPHABETS)))
    around = draw(st.sampled_from(BOUNDARIES)) + draw(st.integers(-4, 4))
    # counted in characters; an emoji or an extension character takes 2 units, so boundaries shift either way
    text = draw(st.text(alphabet=ALPHABETS[alphabet], min_size=max(1, around - 2), max_size=around + 2))
    if draw(st.booleans()):  # one special character right where a part would end
        special = draw(st.sampled_from(EXTENSION + EMOJI))
        at = draw(st.sampled_from([p for p in (66, 67, 68, 152, 153, 154) if p <= len(text)] or [len(text)]))
        text = text[:at] + special + text[at:]
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bodies=st.lists(body(), min_size=25, max_size=25))
def test_python_javascript_and_reference_split_agree(sms_page, bodies):
    check_all_agree(sms_page, bodies)


EXACT = [
    ("a" * 160, Encoding.GSM7, 1), ("a" * 161, Encoding.GSM7, 2), ("a" * 306, Encoding.GSM7, 2), ("a" * 307, Encoding.GSM7, 3),
    # the example: the € (2 septets) would straddle parts 1 and 2, so it starts part 2 and the tail spills into 3
    ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 3),
    ("a" * 151 + "€" + "a" * 153, Encoding.GSM7, 2),  # fits exactly: 153 + 153
    ("{" * 80, Encoding.GSM7, 1), ("{" * 81, Encoding.GSM7, 2), ("{" * 153, Encoding.GSM7, 3),  # 76 per part, one septet spare
    ("ç" * 70, Encoding.UCS2, 1), ("ç" * 71, Encoding.UCS2, 2), ("ç" * 134, Encoding.UCS2, 2), ("ç" * 135, Encoding.UCS2, 3),
    ("🥣" * 35, Encoding.UCS2, 1),  # 70 code units
    ("🥣" * 36, Encoding.UCS2, 2),  # 72 units: 33 pairs fill 66 of a part's 67
    ("🥣" * 67, Encoding.UCS2, 3),  # 134 units would fit 2 parts only if a pair could be split
    ("ç" * 66 + "🥣" + "ç" * 66, Encoding.UCS2, 3),  # the pair would straddle units 67/68
    ("ç" * 65 + "🥣" + "ç" * 67, Encoding.UCS2, 2),  # the pair ends part 1 exactly
]


@pytest.mark.parametrize("text,encoding,segments", EXACT, ids=[f"{len(t)}-{i}" for i, (t, _, _) in enumerate(EXACT)])
def test_exact_examples(sms_page, text, encoding, segments):
    assert encoding_and_segments(text) == (encoding, segments)
    assert js_counts(sms_page, [text]) == [[str(encoding), segments]]
    assert len(reference_split(text)[1]) == segments


def test_empty_composer_shows_no_segment(sms_page):
    assert js_counts(sms_page, [""]) == [["gsm7", 0]]
