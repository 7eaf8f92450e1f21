"""Intervals in the tenant's time zone across daylight-saving changes, through real inbound texts."""
from datetime import datetime, timezone

import pytest
import time_machine

from routing.acd import offers
from routing.hub import rooms
from routing.models import Room
from routing.reports import selectors
from routing.reports.query import ReportQuery
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
UTC = timezone.utc


@pytest.fixture
def center(settings):
    t = f.tenant("Clock Porridge", time_zone="America/New_York")
    sms = f.skill(t, "Clock SMS")
    return t, f.sms_poc(t, "+12125550177", skill=sms), f.admin(t, username="clockadmin")


def text_at(client, poc, instant, number):
    with time_machine.travel(instant, tick=False):
        post_inbound(client, poc, number, "hello")


def report(tenant, admin, start, end, interval):
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        return selectors.interactions(admin, ReportQuery(tenant=tenant, start=start, end=end, interval=interval))


def test_the_repeated_hour_of_autumn_is_two_hours(client, center):
    tenant, poc, admin = center
    day = datetime(2026, 11, 1).date()
    text_at(client, poc, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "+12025550111")  # 01:30 EDT
    text_at(client, poc, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "+12025550112")  # 01:30 EST, an hour later
    text_at(client, poc, datetime(2026, 11, 1, 3, 30, tzinfo=UTC), "+12025550113")  # 23:30 EDT on 31 October
    rows = report(tenant, admin, day, day, "hour")
    assert len(rows) == 25
    assert [(r["period"], r["offered"]) for r in rows if r["offered"]] == [
        ("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 1)]
    (total,) = report(tenant, admin, day, day, "day")
    assert total["offered"] == 2
    quarters = report(tenant, admin, day, day, "15m")
    assert len(quarters) == 25 * 4 and sum(r["offered"] for r in quarters) == 2


def test_the_skipped_hour_of_spring_is_not_there(client, center):
    tenant, poc, admin = center
    day = datetime(2026, 3, 8).date()
    text_at(client, poc, datetime(2026, 3, 8, 7, 15, tzinfo=UTC), "+12025550114")  # 03:15 EDT, just after the jump
    rows = report(tenant, admin, day, day, "hour")
    assert len(rows) == 23
    assert "2026-03-08T02:00" not in " ".join(r["period"] for r in rows)
    assert [(r["period"], r["offered"]) for r in rows if r["offered"]] == [("2026-03-08T03:00:00-04:00", 1)]


def test_weeks_start_on_the_local_monday(client, center):
    tenant, poc, admin = center
    text_at(client, poc, datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "+12025550115")  # Sunday 1 Nov 23:30 EST
    text_at(client, poc, datetime(2026, 11, 2, 5, 30, tzinfo=UTC), "+12025550116")  # Monday 2 Nov 00:30 EST
    rows = report(tenant, admin, datetime(2026, 10, 26).date(), datetime(2026, 11, 8).date(), "week")
    assert [(r["period"], r["offered"]) for r in rows] == [("2026-10-26", 1), ("2026-11-02", 1)]


def test_a_room_open_across_midnight_belongs_to_the_day_it_opened(client, center, settings):
    tenant, poc, admin = center
    agent = f.agent(tenant, username="night", skills=[poc.skill], state="available")
    text_at(client, poc, datetime(2026, 11, 10, 4, 50, tzinfo=UTC), "+12025550117")  # 23:50 EST on the 9th
    room = Room.objects.get(contact_number="+12025550117")
    with time_machine.travel(datetime(2026, 11, 10, 4, 51, tzinfo=UTC), tick=False):
        offers.room_accept(room=room, agent=agent)
    with time_machine.travel(datetime(2026, 11, 10, 5, 21, tzinfo=UTC), tick=False):
        rooms.room_end(room=room, actor=agent)
    days = report(tenant, admin, datetime(2026, 11, 9).date(), datetime(2026, 11, 10).date(), "day")
    assert [(r["period"], r["accepted"], r["handle_seconds"]) for r in days] == [("2026-11-09", 1, 1800.0), ("2026-11-10", 0, None)]
