"""The rules on their own: the send window over time zones and daylight-saving changes (Hypothesis),
merge fields, list numbers, and the throttle's pace through the task engine."""
import datetime
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import rules, services
from campaigns.models import Recipient
from routing import jobs
from routing.sms import encoding_and_segments

from .conftest import API, upload

ZONES = ["America/New_York", "America/Anchorage", "America/Adak", "Pacific/Honolulu", "Europe/London", "Australia/Lord_Howe",
         "Asia/Kolkata",
         "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns"]
instants = st.datetimes(min_value=datetime.datetime(2024, 1, 1), max_value=datetime.datetime(2032, 1, 1),
                        timezones=st.just(datetime.UTC))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(now=instants, zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True), start=times, end=times,
       days=st.lists(st.integers(0, 6), unique=True, max_size=7))
@settings(max_examples=300, deadline=None)
def test_a_multi_zone_number_is_inside_only_when_inside_in_every_zone(now, zones, start, end, days):
    together = rules.window_open(",".join(zones), now, start, end, days)
    assert together == all(rules.window_open(z, now, start, end, days) for z in zones)
    for z in zones:  # and inside means: the wall clock of that zone, at that instant, reads inside the window
        local = now.astimezone(zoneinfo.ZoneInfo(z))
        alone = start <= local.time() < end and (not days or local.weekday() in days)
        assert rules.window_open(z, now, start, end, days) == alone


@pytest.mark.parametrize("utc, open_", [
    (datetime.datetime(2026, 3, 7, 12, 30), False),  # Saturday before the change: 07:30 EST
    (datetime.datetime(2026, 3, 8, 12, 30), True),   # the Sunday clocks go forward: 08:30 EDT
    (datetime.datetime(2026, 11, 1, 12, 30), False),  # the Sunday clocks go back: 07:30 EST
    (datetime.datetime(2026, 11, 1, 13, 0), True),
])
def test_the_window_follows_daylight_saving_changes(utc, open_):
    assert rules.window_open("America/New_York", utc.replace(tzinfo=datetime.UTC), datetime.time(8), datetime.time(21)) is open_


def test_an_unknown_zone_uses_the_tenants():
    at = datetime.datetime(2030, 1, 15, 13, 30, tzinfo=datetime.UTC)
    assert rules.window_open("", at, datetime.time(8), datetime.time(21), fallback_zone="Europe/Paris")
    assert not rules.window_open("", at, datetime.time(8), datetime.time(21), fallback_zone="America/Los_Angeles")


@given(st.text(alphabet=st.sampled_from(list("abc{}^€😀é ")), max_size=400))
@settings(max_examples=300, deadline=None)
def test_segments_never_split_an_escape_or_a_surrogate_pair(body):
    encoding, segments = encoding_and_segments(body)
    units = [2 if (c in "^{}\\[~]|€\f" if encoding == "gsm7" else ord(c) > 0xFFFF) else 1 for c in body]
    single, part = (160, 153) if encoding == "gsm7" else (70, 67)
    if sum(units) <= single:
        assert segments == 1
    else:  # a greedy split where each part holds whole characters only
        n, room = 1, part
        for u in units:
            if u > room:
                n, room = n + 1, part
            room -= u
        assert segments == n and all(u <= part for u in units)


def test_template_fallbacks_and_blank_values():
    assert rules.template_render("Hi {name|there}, {city}!", {"name": "  ", "city": "Lisbon"}) == "Hi there, Lisbon!"
    assert rules.template_render("Hi {name}", {}, "Reply STOP to opt out") == "Hi\nReply STOP to opt out"
    with pytest.raises(Exception, match="needs a column name"):
        rules.template_check("Hi {}", ["name"])


@pytest.mark.django_db
def test_the_throttle_paces_sends_and_a_campaign_rate_lowers_it(world):
    services.send_rate_set(point_of_contact=world.poc, rate=4)
    rows = "\n".join(f"+1212555{1000 + i},P{i}" for i in range(8))
    list_id = upload(world.api, "phone,name\n" + rows + "\n").json()["id"]
    day = datetime.datetime(2030, 1, 15, 17, 30, tzinfo=datetime.UTC)
    c = world.api.post(API + "campaigns/", {"name": "paced", "point_of_contact": world.poc.pk, "contact_list": list_id,
                                            "template": "Hi {name}",
                                            "start_at": (day - datetime.timedelta(hours=1)).isoformat()}, format="json").json()
    world.api.post(API + f"campaigns/{c['id']}/start/")
    jobs.sweep(day)
    sent = sorted(Recipient.objects.filter(campaign_id=c["id"]).values_list("sent_at", flat=True))
    assert len(sent) == 8 and all(sent)
    spread = (sent[-1] - sent[0]).total_seconds()
    assert 1.4 <= spread < 6, spread  # 8 texts at 4/s: batches of 2 every half second


# The import's shortcut through phonenumbers.parse must give the library's own answer for every cell it takes.
REGIONS = ["US", "CA", "GB", "FR", "DE", "IT", "BR", "IN", "AU", "MX", "JM", "PR"]
cells = st.builds(lambda plus, digits, seps: plus + "".join(d + s for d, s in zip(digits, seps)),
                  st.sampled_from(["", "+", "+1", "+44", "+39", "+33", "1", "0", "00", "011"]),
                  st.text(alphabet="0123456789", min_size=1, max_size=19),
                  st.lists(st.sampled_from(["", "", "", " ", "-", ".", "(", ")"]), min_size=19, max_size=19))


@given(cell=cells, region=st.sampled_from(REGIONS))
@settings(max_examples=2000, deadline=None)
def test_the_fast_number_parse_gives_the_librarys_answer(cell, region):
    import phonenumbers

    fast = rules._parse_plain(cell, region)
    if fast is None:
        return  # left to the library
    assert fast == phonenumbers.parse(cell, region)


@pytest.mark.parametrize("cell, region", [("+1 212 555 0134", "US"), ("(212) 555-0134", "US"), ("212.555.0134", "US"),
                                          ("+1 416 555 0134", "CA"), ("06 12 34 56 78", "FR"), ("+39 312 345 6789", "IT"),
                                          ("07400 123456", "GB"), ("+44 7400 123456", "GB")])
def test_usual_list_cells_take_the_shortcut_and_match_the_library(cell, region):
    import phonenumbers

    fast = rules._parse_plain(cell, region)
    assert fast is not None and fast == phonenumbers.parse(cell, region)
    assert rules.number_normalize(cell, region)[0] == phonenumbers.format_number(fast, phonenumbers.PhoneNumberFormat.E164)


@given(nsn=st.text(alphabet="0123456789", min_size=2, max_size=15), region=st.sampled_from(REGIONS))
@settings(max_examples=3000, deadline=None)
def test_the_compiled_number_type_gives_the_librarys_answer(nsn, region):
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import _number_type_helper

    metadata = PhoneMetadata.metadata_for_region(region)
    assert rules._number_type_compiled(nsn, metadata) == _number_type_helper(nsn, metadata)


def test_the_compiled_number_type_gives_the_librarys_answer_for_real_numbers():
    import phonenumbers
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import _number_type_helper

    for region in REGIONS:
        metadata = PhoneMetadata.metadata_for_region(region)
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.TOLL_FREE,
                     phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                nsn = phonenumbers.national_significant_number(example)
                assert rules._number_type_compiled(nsn, metadata) == _number_type_helper(nsn, metadata), (region, kind)


CODES = ["1", "44", "91", "81", "49", "55", "61", "33", "39", "7", "800", "979"]


@given(number=st.builds(lambda cc, rest: "+" + cc + rest, st.sampled_from(CODES), st.text(alphabet="0123456789", min_size=4, max_size=12)))
@settings(max_examples=3000, deadline=None)
def test_the_recipients_time_zones_are_the_librarys(number):
    import phonenumbers
    from phonenumbers import timezone as pn_timezone

    try:
        expected = pn_timezone.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        expected = None
    try:
        got = rules._time_zones(number)
    except phonenumbers.NumberParseException:
        got = None
    assert got == expected


@pytest.mark.parametrize("number", ["+12125550101", "+19075550103", "+18085550102", "+447400123456", "+919876543210", "+819012345678",
                                    "+61412345678", "+18005550100",
                                    "+447797712345", "+77012345678"])  # Jersey and Kazakhstan share +44 and +7
def test_real_numbers_get_the_librarys_time_zones(number):
    import phonenumbers
    from phonenumbers import timezone as pn_timezone

    assert rules._time_zones(number) == pn_timezone.time_zones_for_number(phonenumbers.parse(number, None))
