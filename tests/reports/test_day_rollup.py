"""The day rollup (RoomDay): a report of days or weeks reads the kept rows of the settled days and
gives exactly the figures the room rows give; a day is kept once it is settled, and kept again when
one of its rooms changes."""
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from routing.acd import agents, offers
from routing.choices import AgentState
from routing.hub import outbound, rooms
from routing.models import RoomDay
from routing.reports import day_rollup, selectors
from routing.reports.query import GROUPS, ReportQuery
from tests.hub import post_inbound
from tests.reports.scripted import DAY, at, play_day, room_of

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
NEXT = DAY + timedelta(days=1)
LATER = at(1, 0, day=DAY + timedelta(days=3))  # both days are settled


@pytest.fixture
def two_days(client, settings):
    day = play_day(client, settings)
    with time_machine.travel(at(9, 0, day=NEXT), tick=False) as clock:
        agents.agent_set_state(agent=day["mama"], state=AgentState.AVAILABLE)
        post_inbound(client, day["poc"], "+12025550111", "still hungry")
        clock.move_to(at(9, 1, 7, day=NEXT))
        room = offers.room_accept(room=room_of("+12025550111"), agent=day["mama"])
        clock.move_to(at(9, 2, 30, day=NEXT))
        outbound.message_send(room=room, author=day["mama"], body="More porridge coming.")
        clock.move_to(at(9, 40, day=NEXT))
        rooms.room_end(room=room, actor=day["mama"])
        post_inbound(client, day["poc"], "+12025550112", "hello?")  # waits, texts STOP, and is ended unanswered: abandoned
        clock.move_to(at(9, 45, day=NEXT))
        post_inbound(client, day["poc"], "+12025550112", "STOP")
        rooms.room_end(room=room_of("+12025550112"), actor=day["admin"])
        agents.agent_set_state(agent=day["mama"], state=AgentState.LOGGED_OUT)
    return day


def queries(day):
    """Every query the rollup answers: days and weeks, any grouping, no filter or one filter with its own
    grouping; and hours (the day page: its totals and agents without a filter, the rest from the room rows)."""
    filters = {"skill": day["sms"], "agent": day["mama"], "team": day["team"], "point_of_contact": day["poc"], "channel": "sms"}
    out = []
    for interval in ("hour", "day", "week"):
        base = {"tenant": day["tenant"], "start": DAY, "end": NEXT, "interval": interval}
        out += [ReportQuery(**base, group_by=group) for group in ("", *GROUPS)]
        for name, value in filters.items():
            out += [ReportQuery(**base, **{name: value}), ReportQuery(**base, group_by=name, **{name: value})]
    return out


def everything(day, query):
    user = day["admin"]
    return {"interactions": list(selectors.interactions(user, query)), "totals": selectors.interaction_totals(user, query),
            "tiles": selectors.totals_and_distribution(user, query), "dispositions": selectors.dispositions(user, query),
            "agents": list(selectors.agents(user, query))}


def test_kept_days_give_the_figures_of_the_room_rows(two_days, monkeypatch):
    with time_machine.travel(LATER, tick=False):
        call_command("reports_refresh")
        assert set(RoomDay.objects.filter(tenant=two_days["tenant"], dim="").values_list("day", flat=True)) >= {DAY, NEXT}
        from_days = [everything(two_days, q) for q in queries(two_days)]
        by_day = next(i for i, q in enumerate(queries(two_days)) if q.interval == "day" and not q.group_by)
        assert from_days[by_day]["interactions"][0]["offered"] == 3 and from_days[by_day]["interactions"][1]["offered"] == 2
        by_hour = from_days[0]["interactions"]  # 48 hours, the rooms in a few of them
        assert len(by_hour) == 48 and sum(r["offered"] for r in by_hour) == 5 and any(r["asa_p90_seconds"] for r in by_hour)
        assert sum(r["handled"] for r in from_days[0]["agents"]) == 3
        monkeypatch.setattr(selectors, "_day_plan", lambda *args, **kwargs: None)  # the room rows only
        from_rooms = [everything(two_days, q) for q in queries(two_days)]
    for query, a, b in zip(queries(two_days), from_days, from_rooms):
        assert a == b, query


def test_the_week_merges_the_days_percentiles_exactly(two_days):
    with time_machine.travel(LATER, tick=False):
        week = ReportQuery(tenant=two_days["tenant"], start=DAY, end=NEXT, interval="week")
        (row,) = selectors.interactions(two_days["admin"], week)
    # Speed of answer: 30 s and 330 s on the first day, 67 s on the second; the nearest rank of three is the largest.
    assert (row["accepted"], row["asa_p90_seconds"]) == (3, 330.0)
    assert row["asa_seconds"] == round((30 + 330 + 67) / 3, 1)


def test_a_day_is_kept_once_settled_and_again_when_a_room_of_it_changes(client, two_days):
    tenant = two_days["tenant"]
    kept = lambda: set(RoomDay.objects.filter(tenant=tenant, dim="").values_list("day", flat=True))  # noqa: E731
    with time_machine.travel(at(12, 0, day=NEXT), tick=False):
        call_command("reports_refresh")
        assert DAY in kept() and NEXT not in kept()  # today is never kept
    with time_machine.travel(at(23, 50, day=NEXT), tick=False):
        post_inbound(client, two_days["poc"], "+12025550113", "late night porridge?")  # waits past midnight
    with time_machine.travel(LATER, tick=False):
        call_command("reports_refresh")
        assert NEXT not in kept()  # a room of that day is still open
        rooms.room_end(room=room_of("+12025550113"), actor=two_days["admin"])
        call_command("reports_refresh")
        assert NEXT in kept()
        figures = day_rollup.rows(tenant.pk, NEXT, NEXT, "")
        assert [(r["offered"], r["abandoned"]) for r in figures] == [(3, 2)]
