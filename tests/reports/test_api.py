"""The REST reports: the scripted day's figures by HTTP, paginated, tenant-scoped, role-checked, bad input refused."""
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from routing.models import RoomFact
from tests import factories as f
from tests.reports.scripted import DAY, at, play_day

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
AFTER = at(1, 0, day=DAY + timedelta(days=1))


@pytest.fixture
def day(client, settings):
    return play_day(client, settings)


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def get(user, path, **params):
    with time_machine.travel(AFTER, tick=False):
        return api(user).get(f"/api/v1/reports/{path}/", params)


def test_interactions_by_day(day):
    r = get(day["admin"], "interactions", start="2026-03-10", end="2026-03-10", interval="day")
    assert r.status_code == 200, r.content
    (row,) = r.json()["results"]
    assert (row["period"], row["offered"], row["accepted"], row["abandoned"], row["service_level"]) == ("2026-03-10", 3, 2, 1, 0.3333)


def test_interactions_group_by_agent_paginated(day):
    supervisor = f.user(day["tenant"], username="watcher", role="supervisor")
    r = get(supervisor, "interactions", start="2026-03-10", interval="hour", group_by="agent", page_size=1)
    body = r.json()
    assert r.status_code == 200 and body["count"] == 4  # A (09h, mama), B (10h, no agent), C (11h, mama), D (12h, no agent)
    assert [(x["period"][11:16], x["agent_name"]) for x in body["results"]] == [("09:00", "mama")]
    second = get(supervisor, "interactions", start="2026-03-10", interval="hour", group_by="agent", page=2, page_size=1).json()
    assert [(x["period"][11:16], x["agent_name"], x["abandoned"]) for x in second["results"]] == [("10:00", "No agent", 1)]


def test_agents_per_team(day):
    r = get(day["admin"], "agents", start="2026-03-10", group_by="team")
    (row,) = r.json()["results"]
    assert (row["team_name"], row["agents"], row["handled"], row["available_seconds"]) == ("Bears", 2, 2, 32160 + 32400)


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-13-01"}, "start"),
    ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
    ({"interval": "minute"}, "interval"),
    ({"group_by": "colour"}, "group_by"),
    ({"start": "2026-01-01", "end": "2026-03-10", "interval": "15m"}, "interval"),
    ({"start": "2024-01-01", "end": "2026-03-10"}, "end"),
])
def test_bad_input_is_refused_and_writes_nothing(day, params, field):
    r = get(day["admin"], "interactions", **params)
    assert r.status_code == 400 and field in r.json()
    assert not RoomFact.objects.exists()


def test_other_tenants_objects_are_not_filters(day):
    other = f.tenant("Other Porridge")
    foreign = f.skill(other, "Foreign")
    r = get(day["admin"], "interactions", skill=foreign.pk)
    assert r.status_code == 400 and "skill" in r.json()


def test_other_tenant_sees_only_its_own_figures(day):
    other = f.tenant("Quiet Porridge")
    r = get(f.admin(other, username="quiet"), "interactions", start="2026-03-10", interval="day")
    assert r.json()["results"][0]["offered"] == 0


@pytest.mark.parametrize("role", ["agent", None])
def test_agents_and_anonymous_are_refused(day, role):
    with time_machine.travel(AFTER, tick=False):
        client = api(day["mama"]) if role else APIClient()
        r = client.get("/api/v1/reports/agents/")
    assert r.status_code in ((403,) if role else (401, 403))
