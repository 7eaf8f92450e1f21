"""Unavailable reasons and the session limit in force, through the real entry points: the reasons
an administrator keeps (REST and console, audited), an agent choosing one (the REST call the agent
page makes), the supervisor's socket showing it, and the agents report summing time per reason and
computing occupancy against the limit in force at each moment (a limit changed at noon)."""
import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from routing.acd import offers
from routing.audit.models import AuditEntry
from routing.hub import rooms
from routing.models import AgentStateChange, Room, UnavailableReason, User
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
NY = ZoneInfo("America/New_York")
DAY = datetime(2026, 6, 2, tzinfo=NY).date()


def at(hh, mm=0, ss=0):
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=NY)


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def world():
    t = f.tenant("Porridge Floor", time_zone="America/New_York")
    other = f.tenant("Wolves")
    sms = f.skill(t, "Porridge SMS")
    team = f.team(t, "Bears", session_limit=2)
    return {"tenant": t, "other": other, "sms": sms, "team": team, "poc": f.sms_poc(t, "+12125550177", skill=sms),
            "admin": f.admin(t, username="goldilocks"), "supervisor": f.user(t, username="watcher", role="supervisor"),
            "mama": f.agent(t, username="mama", team=team, skills=[sms]),
            "wolf_admin": f.admin(other, username="wolf")}


def reason(world, name, tenant="tenant"):
    return UnavailableReason.objects.create(tenant=world[tenant], name=name)


# --- the reasons an administrator keeps -----------------------------------------------------------

def test_administrators_keep_reasons_agents_read_them_and_the_change_is_audited(world):
    admin = api(world["admin"])
    r = admin.post("/api/v1/unavailable-reasons/", {"name": "Lunch"}, format="json")
    assert r.status_code == 201, r.content
    lunch = r.json()
    assert (lunch["name"], lunch["is_active"], lunch["tenant"]) == ("Lunch", True, world["tenant"].pk)
    entry = AuditEntry.objects.get(content_type__model="unavailablereason", object_id=str(lunch["id"]))
    assert (entry.source, entry.actor, entry.tenant_id) == ("api", world["admin"], world["tenant"].pk)

    # the same name in another case, an empty one and the system's own name are refused, and change nothing
    for name, word in (("LUNCH", "already exists"), ("  ", "blank"), ("offer timed out", "system")):
        r = admin.post("/api/v1/unavailable-reasons/", {"name": name}, format="json")
        assert r.status_code == 400 and word in str(r.json()), (name, r.content)
    assert UnavailableReason.objects.filter(tenant=world["tenant"]).count() == 1

    listed = api(world["mama"]).get("/api/v1/unavailable-reasons/").json()["results"]
    assert [x["name"] for x in listed] == ["Lunch"]
    assert api(world["mama"]).post("/api/v1/unavailable-reasons/", {"name": "Nap"}, format="json").status_code == 403
    assert api(world["supervisor"]).post("/api/v1/unavailable-reasons/", {"name": "Nap"}, format="json").status_code == 403
    # another tenant neither sees nor changes it
    assert api(world["wolf_admin"]).get("/api/v1/unavailable-reasons/").json()["results"] == []
    assert api(world["wolf_admin"]).patch(f"/api/v1/unavailable-reasons/{lunch['id']}/", {"name": "Mine"},
                                          format="json").status_code == 404


def test_console_page_adds_and_lists_reasons(world, client):
    client.force_login(world["admin"])
    r = client.post("/console/unavailable-reasons/add/", {"name": "Training", "is_active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    page = client.get("/console/unavailable-reasons/").content.decode()
    assert "Training" in page and "Unavailable reasons" in page
    assert AuditEntry.objects.filter(content_type__model="unavailablereason", source="console").exists()
    client.force_login(world["mama"])
    assert client.get("/console/unavailable-reasons/").status_code == 403


# --- an agent choosing one --------------------------------------------------------------------------

def test_agent_goes_unavailable_for_a_reason_and_changes_it(world):
    lunch, brk = reason(world, "Lunch"), reason(world, "Break")
    mama = api(world["mama"])
    assert mama.put("/api/v1/me/state/", {"state": "available"}, format="json").json() == {"state": "available", "reason": ""}
    r = mama.put("/api/v1/me/state/", {"state": "unavailable", "reason": brk.pk}, format="json")
    assert r.status_code == 200 and r.json() == {"state": "unavailable", "reason": "Break"}
    r = mama.put("/api/v1/me/state/", {"state": "unavailable", "reason": lunch.pk}, format="json")
    assert r.json() == {"state": "unavailable", "reason": "Lunch"}
    assert mama.get("/api/v1/me/state/").json() == {"state": "unavailable", "reason": "Lunch"}
    history = list(AgentStateChange.objects.filter(agent=world["mama"]).values_list("state", "reason", "session_limit"))
    assert history[-3:] == [("available", "", 2), ("unavailable", "Break", 2), ("unavailable", "Lunch", 2)]
    # back to available: the reason goes with it
    assert mama.put("/api/v1/me/state/", {"state": "available"}, format="json").json() == {"state": "available", "reason": ""}


def test_bad_reasons_are_refused_and_change_nothing(world):
    lunch = reason(world, "Lunch")
    theirs = reason(world, "Howling", tenant="other")
    gone = reason(world, "Old break")
    gone.is_active = False
    gone.save()
    mama = api(world["mama"])
    cases = [({"state": "available", "reason": lunch.pk}, "only with Unavailable"),
             ({"state": "unavailable", "reason": theirs.pk}, "reason"),
             ({"state": "unavailable", "reason": gone.pk}, "your administrator set up"),
             ({"state": "unavailable", "reason": "lunch"}, "reason")]
    for body, word in cases:
        r = mama.put("/api/v1/me/state/", body, format="json")
        assert r.status_code == 400 and word in str(r.json()), (body, r.content)
    user = User.objects.get(pk=world["mama"].pk)
    assert (user.state, user.state_reason) == ("logged_out", "")
    assert not AgentStateChange.objects.filter(agent=user, state="unavailable").exists()


def test_an_offer_that_times_out_sets_the_system_reason_unless_the_agent_gave_one(world, client, settings):
    from routing.acd import declines

    mama = api(world["mama"])
    with time_machine.travel(at(9), tick=False) as clock:
        mama.put("/api/v1/me/state/", {"state": "available"}, format="json")
        post_inbound(client, world["poc"], "+12025550111", "hello")
        clock.move_to(at(9, 5))
        declines.lapse_offers()
    assert mama.get("/api/v1/me/state/").json() == {"state": "unavailable", "reason": "Offer timed out"}

    # an offer made before she chose Break lapses after it: her reason stays
    brk = reason(world, "Break")
    with time_machine.travel(at(10), tick=False) as clock:
        mama.put("/api/v1/me/state/", {"state": "available"}, format="json")
        post_inbound(client, world["poc"], "+12025550112", "hello again")
        assert Room.objects.get(contact_number="+12025550112").state == "offered"
        mama.put("/api/v1/me/state/", {"state": "unavailable", "reason": brk.pk}, format="json")
        clock.move_to(at(10, 5))
        declines.lapse_offers()
    assert Room.objects.get(contact_number="+12025550112").state != "offered"
    assert mama.get("/api/v1/me/state/").json() == {"state": "unavailable", "reason": "Break"}


# --- the agents report ----------------------------------------------------------------------------

def play(world, client):
    """mama (team limit 2): available 08:00; Break 10:00-10:15; Lunch 12:00, switching to Training at
    12:30, back at 13:00; logged out 17:00. One room 09:00-11:00 (7,200 s handled). At 12:00 the
    administrator raises the team's limit to 4 through the REST API, at 14:00 sets mama's own to 3."""
    brk, lunch, training = reason(world, "Break"), reason(world, "Lunch"), reason(world, "Training")
    mama, admin = api(world["mama"]), api(world["admin"])

    def state(s, r=None):
        body = {"state": s, **({"reason": r.pk} if r else {})}
        assert mama.put("/api/v1/me/state/", body, format="json").status_code == 200

    with time_machine.travel(at(8), tick=False) as clock:
        state("available")
        clock.move_to(at(9))
        post_inbound(client, world["poc"], "+12025550122", "hello")
        room = Room.objects.get(contact_number="+12025550122")
        offers.room_accept(room=room, agent=world["mama"])
        clock.move_to(at(10))
        state("unavailable", brk)
        clock.move_to(at(10, 15))
        state("available")
        clock.move_to(at(11))
        rooms.room_end(room=Room.objects.get(pk=room.pk), actor=world["mama"])
        clock.move_to(at(12))
        state("unavailable", lunch)
        assert admin.patch(f"/api/v1/teams/{world['team'].pk}/", {"session_limit": 4}, format="json").status_code == 200
        clock.move_to(at(12, 30))
        state("unavailable", training)
        clock.move_to(at(13))
        state("available")
        clock.move_to(at(14))
        assert admin.patch(f"/api/v1/users/{world['mama'].pk}/", {"session_limit": 3}, format="json").status_code == 200
        clock.move_to(at(17))
        from routing.acd import agents
        agents.agent_set_state(agent=world["mama"], state="logged_out")


def report(user, **params):
    with time_machine.travel(datetime(2026, 6, 3, 2, 0, tzinfo=NY), tick=False):
        return api(user).get("/api/v1/reports/agents/", {"start": DAY.isoformat(), "end": DAY.isoformat(), **params})


def test_agents_report_time_per_reason_and_occupancy_against_the_limit_then(world, client):
    play(world, client)
    r = report(world["supervisor"])
    assert r.status_code == 200, r.content
    (row,) = r.json()["results"]
    assert row["unavailable_reasons"] == {"Break": 900, "Lunch": 1800, "Training": 1800}
    assert row["unavailable_seconds"] == 4500 and row["available_seconds"] == 9 * 3600 - 4500
    # logged in 08:00-17:00: limit 2 until 12:00 (4 h), 4 until 14:00 (2 h), 3 until 17:00 (3 h).
    capacity = 2 * 4 * 3600 + 4 * 2 * 3600 + 3 * 3 * 3600
    assert row["occupancy"] == round(7200 / capacity, 4)
    assert row["occupancy"] != round(7200 / (3 * 9 * 3600), 4)  # not today's limit over the whole day

    # by hour: the 12:00 hour is half Lunch, half Training; the team's limit then was 4.
    hours = {x["period"][11:16]: x for x in report(world["admin"], interval="hour").json()["results"]}
    assert hours["12:00"]["unavailable_reasons"] == {"Lunch": 1800, "Training": 1800}
    assert hours["10:00"]["unavailable_reasons"] == {"Break": 900}
    assert hours["09:00"]["occupancy"] == round(7200 / (2 * 3600), 4)

    # per team: the reasons add up over its agents
    (team_row,) = report(world["admin"], group_by="team").json()["results"]
    assert team_row["unavailable_reasons"] == row["unavailable_reasons"] and team_row["occupancy"] == row["occupancy"]


def test_agents_table_and_csv_have_a_column_per_reason(world, client):
    play(world, client)
    client.force_login(world["admin"])
    with time_machine.travel(datetime(2026, 6, 3, 2, 0, tzinfo=NY), tick=False):
        page = client.get("/console/reports/", {"start": DAY.isoformat(), "end": DAY.isoformat(), "interval": "day"})
        body = client.get("/console/reports/agents.csv", {"start": DAY.isoformat(), "end": DAY.isoformat(), "interval": "day"})
    html = page.content.decode()
    assert page.status_code == 200 and "Unavailable: Lunch" in html and "Unavailable: Training" in html
    assert "Unavailable (Lunch)" in html  # the state timeline's span title
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert [(r["Agent"], r["Unavailable: Break"], r["Unavailable: Lunch"], r["Unavailable: Training"]) for r in rows] == [
        ("mama", "900", "1800", "1800")]


def test_a_limit_change_while_logged_out_counts_from_the_next_login(world, client):
    mama = api(world["mama"])
    admin = api(world["admin"])
    with time_machine.travel(at(7), tick=False) as clock:
        assert admin.patch(f"/api/v1/teams/{world['team'].pk}/", {"session_limit": 6}, format="json").status_code == 200
        clock.move_to(at(8))
        mama.put("/api/v1/me/state/", {"state": "available"}, format="json")
        clock.move_to(at(9))
        post_inbound(client, world["poc"], "+12025550133", "hello")
        room = Room.objects.get(contact_number="+12025550133")
        offers.room_accept(room=room, agent=world["mama"])
        clock.move_to(at(10))
        rooms.room_end(room=Room.objects.get(pk=room.pk), actor=world["mama"])
        clock.move_to(at(11))
        mama.put("/api/v1/me/state/", {"state": "unavailable"}, format="json")
        from routing.acd import agents
        agents.agent_set_state(agent=world["mama"], state="logged_out")
    (row,) = report(world["admin"]).json()["results"]
    assert row["occupancy"] == round(3600 / (6 * 3 * 3600), 4)
    assert row["unavailable_reasons"] == {}
    assert list(AgentStateChange.objects.filter(agent=world["mama"]).values_list("session_limit", flat=True)) == [6, 6, 6]
