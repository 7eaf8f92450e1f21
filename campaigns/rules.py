"""Campaign rules, each in one place: merge-field templates, recipient-local send windows, send rates,
and what makes a list row a number a campaign can text."""
import datetime
import re
import zoneinfo
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers import timezone as pn_timezone
from phonenumbers.phonenumberutil import _number_type_helper, national_significant_number  # the one-pass type check

from routing.choices import CodeType

OPT_OUT_LINE = "Reply STOP to opt out"

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


def template_render(template, fields, append_opt_out=False):
    """The text one recipient gets: each {field} its value, or its fallback when empty."""
    def value(m):
        got = (fields.get(m.group(1).strip()) or "").strip()
        return got or (m.group(2) or "").strip()

    text = FIELD.sub(value, template).strip()
    return f"{text}\n{OPT_OUT_LINE}" if append_opt_out else text


# --- list rows -----------------------------------------------------------------------------------

NOT_MOBILE = {PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
              PhoneNumberType.VOICEMAIL, PhoneNumberType.PAGER, PhoneNumberType.UAN}


_regions = {}


def _region(parsed):
    """The region of a number (+1: decided by its area code in the North American plan), cached by country calling
    code and area code: asking the library for every row of a 500,000-row list was most of the import's time."""
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
    return _number_type_helper(national_significant_number(parsed), metadata)


def number_normalize(raw, region):
    """(E.164, None) or (None, reason) for a list cell, `region` being the default country (ISO alpha-2)."""
    raw = (raw or "").strip()
    if not raw:
        return None, "The phone number is empty."
    try:
        parsed = phonenumbers.parse(raw, region)
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
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def number_zones(number):
    """The number's time zones, comma-separated and sorted; "" when the library does not know them."""
    try:
        zones = pn_timezone.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return ""
    zones = [z for z in zones if z != pn_timezone.UNKNOWN_TIMEZONE]
    return ",".join(sorted(zones))


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
