"""Campaign rules, each in one place: merge-field templates, recipient-local send windows, send rates,
and what makes a list row a number a campaign can text."""
import datetime
import re
import zoneinfo
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType, ValidationResult
from phonenumbers import timezone as pn_timezone
from phonenumbers.phonenumberutil import (  # the library's own steps, called without the generic text handling around them
    _MAX_LENGTH_FOR_NSN,
    _maybe_strip_national_prefix_carrier_code,
    _set_italian_leading_zeros_for_phone_number,
    _test_number_length,
    national_significant_number,
    region_code_for_country_code,
)

from routing.choices import CodeType


# --- templates -----------------------------------------------------------------------------------

FIELD = re.compile(r"\{([^{}|]*)(?:\|([^{}]*))?\}")


def template_fields(template):
    return [m.group(1).strip() for m in FIELD.finditer(template or "")]


def template_check(template, columns):
    """Refuse a blank template, an empty `{}` and a merge field the list has no column for (named)."""
    if not (template or "").strip():
        raise ValidationError("Write the text to send.")
    unknown = []
    for name in template_fields(template):
        if not name:
            raise ValidationError("A merge field needs a column name between the braces, like {first_name}.")
        if name not in columns and name not in unknown:
            unknown.append(name)
    if unknown:
        have = ", ".join(columns) if columns else "none besides the phone number"
        raise ValidationError(f"The list has no column {', '.join(unknown)} (its columns: {have}).")


def opt_out_line(tenant, append_opt_out=True):
    """The line a campaign's texts end with: the tenant's (Settings, on by default), unless the campaign leaves it off."""
    if not (append_opt_out and tenant.campaign_opt_out_enabled):
        return ""
    return (tenant.campaign_opt_out_line or "").strip()


def template_render(template, fields, opt_out=""):
    """The text one recipient gets: each {field} its value, or its fallback when empty; then the opt-out line, if any."""
    def value(m):
        got = (fields.get(m.group(1).strip()) or "").strip()
        return got or (m.group(2) or "").strip()

    text = FIELD.sub(value, template).strip()
    return f"{text}\n{opt_out}" if opt_out else text


# --- list rows -----------------------------------------------------------------------------------

NOT_MOBILE = {PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
              PhoneNumberType.VOICEMAIL, PhoneNumberType.PAGER, PhoneNumberType.UAN}


_regions = {}


def _region(parsed):
    """The region of a number (+1: decided by its area code in the North American plan), cached by country calling
    code and area code: asking the library for every row of a 500,000-row list was most of the import's time."""
    if parsed.country_code != 1 and len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(parsed.country_code, ())) > 1:
        return phonenumbers.region_code_for_number(parsed)  # a shared code (+44: GB, GG, IM, JE; +7: RU, KZ): the number decides
    key = (parsed.country_code, str(parsed.national_number)[:3] if parsed.country_code == 1 else "")
    if key not in _regions:
        region = phonenumbers.region_code_for_number(parsed)
        if region is None or len(_regions) > 10_000:
            return region  # an invalid number says nothing about its neighbours
        _regions[key] = region
    return _regions[key]


def _number_type(parsed):
    """PhoneNumberType.UNKNOWN for an invalid number, else its type: one pass over the region's patterns
    (is_valid_number and number_type each make that pass and each look the region up again)."""
    region = _region(parsed)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(parsed.country_code, region) if region else None
    if metadata is None:
        return PhoneNumberType.UNKNOWN
    return _number_type_compiled(national_significant_number(parsed), metadata)


# The library's _number_type_helper, its patterns compiled once per region: it looks each pattern up in the `re`
# cache for every number (a quarter of the import's time). tests/campaigns/test_rules.py compares the two.
_SPECIAL_TYPES = (("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
                  ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
                  ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
                  ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL))
_compiled_types = {}


def _desc_matcher(desc):
    if desc is None or not desc.national_number_pattern:
        return None  # the library: no pattern never matches
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern).fullmatch


def _desc_matches(matcher, nsn):
    if matcher is None:
        return False
    lengths, fullmatch = matcher
    if lengths and len(nsn) not in lengths:
        return False
    return fullmatch(nsn) is not None


def _type_matchers(metadata):
    key = id(metadata)  # the library's metadata objects live as long as the process
    if key not in _compiled_types:
        _compiled_types[key] = (metadata, _desc_matcher(metadata.general_desc),
                                [(_desc_matcher(getattr(metadata, name)), kind) for name, kind in _SPECIAL_TYPES],
                                _desc_matcher(metadata.fixed_line), _desc_matcher(metadata.mobile))
    return _compiled_types[key]


def _number_type_compiled(nsn, metadata):
    _, general, specials, fixed, mobile = _type_matchers(metadata)
    if not _desc_matches(general, nsn):
        return PhoneNumberType.UNKNOWN
    for matcher, kind in specials:
        if _desc_matches(matcher, nsn):
            return kind
    if _desc_matches(fixed, nsn):
        if metadata.same_mobile_and_fixed_line_pattern or _desc_matches(mobile, nsn):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not metadata.same_mobile_and_fixed_line_pattern and _desc_matches(mobile, nsn):
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


_SEPARATORS = str.maketrans("", "", " -.()")
_PLAIN = re.compile(r"(\+?)([0-9]{3,20})")
_SHORT_NSN = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH)


def _parse_plain(raw, region):
    """phonenumbers.parse(raw, region) for the usual list cell, ASCII digits with spaces, dashes, dots or brackets,
    written +<the region's calling code>… or nationally; None for any other cell (the library parses it then).

    parse() spends most of its time on what such a cell does not need (Unicode digits, letters, extensions, the
    search for a calling code): this runs only the steps that decide the result, in the library's order, and
    tests/campaigns/test_rules.py checks that both give the same number for every cell this accepts."""
    m = _PLAIN.fullmatch(raw.translate(_SEPARATORS))
    if m is None:
        return None
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    plus, digits = m.groups()
    cc = str(metadata.country_code)
    if plus:
        if not digits.startswith(cc):
            return None  # another country's number (calling codes are prefix-free: this is the only candidate)
        national = digits[len(cc):]
        # parse() switches to the calling code's main region (+1 from CA: the US metadata)
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(metadata.country_code,
                                                                     region_code_for_country_code(metadata.country_code))
    else:
        # parse() looks for an international dialling prefix and a missing "+" first: leave those to it
        if digits.startswith(cc) or metadata.international_prefix is None or re.match(metadata.international_prefix, digits):
            return None
        national = digits
    if len(national) < 2:
        return None
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in _SHORT_NSN:
        national = stripped
    if len(national) > _MAX_LENGTH_FOR_NSN:
        return None
    parsed = PhoneNumber(country_code=metadata.country_code, national_number=int(national))
    _set_italian_leading_zeros_for_phone_number(national, parsed)
    return parsed


def number_parse(raw, region):
    """phonenumbers.parse, by its shortcut where it applies (raises NumberParseException like it)."""
    return _parse_plain(raw, region) or phonenumbers.parse(raw, region)


def number_normalize(raw, region):
    """(E.164, None) or (None, reason) for a list cell, `region` being the default country (ISO alpha-2)."""
    raw = (raw or "").strip()
    if not raw:
        return None, "The phone number is empty."
    try:
        parsed = number_parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, f"“{raw[:40]}” is not a phone number."
    if parsed.country_code != phonenumbers.country_code_for_region(region):
        if not phonenumbers.is_valid_number(parsed):
            return None, f"“{raw[:40]}” is not a valid phone number."
        return None, f"“{raw[:40]}” is a number of another country (+{parsed.country_code}); this list is for {region} numbers."
    kind = _number_type(parsed)
    if kind == PhoneNumberType.UNKNOWN:
        return None, f"“{raw[:40]}” is not a valid phone number."
    if kind in NOT_MOBILE:
        return None, f"“{raw[:40]}” is a landline or service number that cannot receive texts."
    return f"+{parsed.country_code}{national_significant_number(parsed)}", None


def number_zones(number):
    """The number's time zones, comma-separated and sorted; "" when the library does not know them."""
    try:
        zones = _time_zones(number)
    except phonenumbers.NumberParseException:
        return ""
    zones = [z for z in zones if z != pn_timezone.UNKNOWN_TIMEZONE]
    return ",".join(sorted(zones))


def _time_zones(number):
    """phonenumbers.timezone.time_zones_for_number(phonenumbers.parse(number, None)) for an E.164 number, through the
    shortcuts above (a campaign of 100,000 recipients looks up as many numbers when it starts); the test compares."""
    parsed = None
    if number.startswith("+"):
        for size in (1, 2, 3):
            code = number[1:1 + size]
            if code.isdigit() and int(code) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                region = region_code_for_country_code(int(code))
                parsed = _parse_plain(number, region) if region != phonenumbers.UNKNOWN_REGION else None
                break
    parsed = parsed or phonenumbers.parse(number, None)
    kind = _number_type(parsed)
    if kind == PhoneNumberType.UNKNOWN:
        return (pn_timezone.UNKNOWN_TIMEZONE,)
    if not phonenumbers.is_number_type_geographical(kind, parsed.country_code):
        return pn_timezone._country_level_time_zones_for_number(parsed)
    return pn_timezone.time_zones_for_geographical_number(parsed)


# --- send windows --------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _zone(name):
    return zoneinfo.ZoneInfo(name)


def window_open(zones, now, start, end, days=(), fallback_zone="UTC"):
    """True when the moment `now` (aware) is inside [start, end) local time, on an allowed day (0 Monday;
    empty: every day), in every one of `zones` (comma-separated; "" : `fallback_zone`)."""
    for name in (zones.split(",") if zones else [fallback_zone]):
        local = now.astimezone(_zone(name))
        if not start <= local.time() < end:
            return False
        if days and local.weekday() not in days:
            return False
    return True


def window_next_open(zones, now, start, end, days=(), fallback_zone="UTC", horizon_hours=24 * 8):
    """The first whole minute from `now` when the window is open in every zone, or None within the horizon."""
    t = now.replace(second=0, microsecond=0)
    for _ in range(horizon_hours * 4):  # quarter hours, then the minute inside
        if window_open(zones, t, start, end, days, fallback_zone):
            return max(t, now)
        t += datetime.timedelta(minutes=15)
    return None


# --- rates ---------------------------------------------------------------------------------------

DEFAULT_RATES = {CodeType.LONG: 1.0, CodeType.TOLL_FREE: 3.0, CodeType.SHORT: 100.0}  # texts/s, carriers' usual limits


def send_rate(code_type, poc_rate=None, campaign_rate=None):
    """Texts per second: the point of contact's (its own setting, else its code type's), lowered by the campaign's."""
    rate = poc_rate or DEFAULT_RATES.get(code_type, 1.0)
    return min(rate, campaign_rate) if campaign_rate else rate
