"""The figures of a scripted day, exactly (docs/reporting.md's worked example)."""
from datetime import timedelta

import pytest
import time_machine

from routing.reports import selectors
from routing.reports.query import ReportQuery
from tests.reports.scripted import DAY, at, play_day

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
AFTER = at(1, 0, day=DAY + timedelta(days=1))  # the report is read the next night


@pytest.fixture
def day(client, settings):
    return play_day(client, settings)


def query(day, **kw):
    return ReportQuery(tenant=day["tenant"], start=DAY, end=DAY, **{"interval": "day", **kw})


def test_day_totals(day):
    with time_machine.travel(AFTER, tick=False):
        (row,) = selectors.interactions(day["admin"], query(day))
    assert row["period"] == "2026-03-10"
    assert {k: row[k] for k in ("offered", "accepted", "rejected", "lapsed", "abandoned", "transferred")} == {
        "offered": 3, "accepted": 2, "rejected": 1, "lapsed": 1, "abandoned": 1, "transferred": 0}
    assert row["asa_seconds"] == 180.0 and row["asa_p90_seconds"] == 330.0
    assert row["first_response_seconds"] == 205.0 and row["first_response_p90_seconds"] == 360.0
    assert row["handle_seconds"] == 3900.0
    # in: A 1, B 2 (with STOP), C 1, D 1; out: A's reply, the opt-out confirmation, C's reply, the help reply.
    assert (row["messages_in"], row["messages_out"], row["segments_out"], row["opt_outs"]) == (5, 4, 4, 1)
    assert row["service_level"] == round(1 / 3, 4)
    assert row["first_response_level"] == 0.5


def test_hourly_rows_put_each_room_in_its_hour(day):
    with time_machine.travel(AFTER, tick=False):
        rows = selectors.interactions(day["admin"], query(day, interval="hour"))
    assert len(rows) == 24
    offered = {r["period"][11:16]: r["offered"] for r in rows if r["offered"]}
    assert offered == {"09:00": 1, "10:00": 1, "11:00": 1}
    assert rows[12]["period"] == "2026-03-10T12:00:00-04:00" and rows[12]["messages_in"] == 1  # the HELP text


def test_group_by_agent_and_skill(day):
    with time_machine.travel(AFTER, tick=False):
        by_agent = selectors.interactions(day["admin"], query(day, group_by="agent"))
        by_skill = selectors.interactions(day["admin"], query(day, group_by="skill"))
    assert {r["agent_name"]: r["accepted"] for r in by_agent} == {"mama": 2, "No agent": 0}
    assert [(r["skill_name"], r["offered"], r["messages_in"]) for r in by_skill] == [("Porridge SMS", 3, 5)]


def test_agent_figures(day):
    with time_machine.travel(AFTER, tick=False):
        rows = selectors.agents(day["admin"], query(day))
    mama = next(r for r in rows if r["agent_username"] == "mama")
    # available 08:00-11:01 and 11:05-17:00, unavailable 11:01-11:05 (the lapsed offer), logged out otherwise.
    assert (mama["available_seconds"], mama["unavailable_seconds"], mama["logged_out_seconds"]) == (32160, 240, 54000)
    assert mama["unavailable_reasons"] == {"Offer timed out": 240}  # the system's reason
    assert mama["handled"] == 2 and mama["handle_seconds"] == 3900.0 and mama["first_response_seconds"] == 205.0
    assert mama["occupancy"] == round(7800 / (2 * 32400), 4)
    papa = next(r for r in rows if r["agent_username"] == "papa")
    assert (papa["available_seconds"], papa["handled"], papa["occupancy"]) == (32400, 0, 0.0)


def test_a_report_before_the_day_ends_counts_time_only_until_now(day):
    with time_machine.travel(at(12, 0), tick=False):
        rows = selectors.agents(day["admin"], query(day))
    papa = next(r for r in rows if r["agent_username"] == "papa")
    assert papa["available_seconds"] == 4 * 3600 and papa["logged_out_seconds"] == 8 * 3600
