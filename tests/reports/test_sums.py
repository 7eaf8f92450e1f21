"""Whatever happens, the figures of every group add up to the totals (Hypothesis over histories
played through the real services)."""
import itertools
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.acd import declines, offers
from routing.hub import outbound
from routing.models import Room
from routing.reports import selectors
from routing.reports.query import GROUPS, ReportQuery
from routing.reports.selectors import COUNTS
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db]
START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
_numbers = itertools.count(100)

room_plan = st.tuples(st.integers(0, 1),                 # which point of contact (and skill)
                      st.integers(0, 600),               # minutes after the start
                      st.sampled_from(["accept", "reject", "wait", "stop"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=st.lists(room_plan, min_size=1, max_size=6))
def test_groups_add_up_to_the_totals(client, plans):
    n = next(_numbers)
    with time_machine.travel(START, tick=False) as clock:
        t = f.tenant(f"Sum Porridge {n}")
        skills = [f.skill(t, "A"), f.skill(t, "B")]
        pocs = [f.sms_poc(t, f"+1212555{n:04d}", skill=skills[0]), f.sms_poc(t, f"+1646555{n:04d}", skill=skills[1])]
        teams = [f.team(t, "Red", session_limit=3), f.team(t, "Blue", session_limit=3)]
        f.agent(t, username=f"red{n}", team=teams[0], skills=skills, state="available")
        f.agent(t, username=f"blue{n}", team=teams[1], skills=skills[1:], state="available")
        admin = f.admin(t, username=f"admin{n}")
        for i, (which, minutes, outcome) in enumerate(sorted(plans, key=lambda p: p[1])):
            clock.move_to(START + timedelta(minutes=minutes, seconds=i))
            number = f"+1202555{n % 100:02d}{i:02d}"
            post_inbound(client, pocs[which], number, "hi")
            room = Room.objects.filter(contact_number=number).latest("id")
            if room.agent_id and outcome == "accept":
                offers.room_accept(room=room, agent=room.agent)
                outbound.message_send(room=room, author=room.agent, body="hello")
            elif room.agent_id and outcome == "reject":
                declines.room_reject(room=room, agent=room.agent)
            elif outcome == "stop":
                post_inbound(client, pocs[which], number, "STOP")
        clock.move_to(START + timedelta(hours=12))
        day = START.date()
        for interval in ("hour", "day"):
            totals = {r["period"]: r for r in selectors.interactions(admin, ReportQuery(tenant=t, start=day, end=day, interval=interval))}
            for group in GROUPS:
                rows = selectors.interactions(admin, ReportQuery(tenant=t, start=day, end=day, interval=interval, group_by=group))
                for name in COUNTS:
                    summed = {}
                    for r in rows:
                        summed[r["period"]] = summed.get(r["period"], 0) + r[name]
                    assert summed == {p: r[name] for p, r in totals.items() if r[name] or p in summed}, (interval, group, name)
