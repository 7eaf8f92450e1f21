"""The supervisor's tools (issue 17, items 4 and 12) through their entry points: why a queue waits
(the ACD's own skip rule, in words, in the supervisor snapshot), the routing decisions counted per
room so the page can follow them, the activity feed from the server (REST), and a supervisor setting
an agent's state (REST users/{id}/state/). Texts come in through the carrier webhook."""
import pytest

from routing.choices import RoomState
from routing.models import Room
from routing.workspace.snapshots import supervisor_snapshot
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
API = "/api/v1/"


@pytest.fixture
def center(client):
    t = f.tenant()
    team = f.team(t, session_limit=1)
    porridge, billing = f.skill(t, "Porridge"), f.skill(t, "Billing")
    return {"t": t, "client": client, "porridge": porridge, "billing": billing,
            "poc": f.sms_poc(t, "+12125550160", skill=porridge), "bill_poc": f.sms_poc(t, "+12125550161", skill=billing),
            "mama": f.agent(t, username="mama", team=team, skills=[porridge]),
            "papa": f.agent(t, username="papa", team=team, skills=[porridge]),
            "sup": f.user(t, username="sam", role="supervisor"), "admin": f.admin(t)}


def queue(c, skill):
    return next(q for q in supervisor_snapshot(c["t"].id)["queues"] if q["skill"] == skill.pk)


def set_state(c, who, state, by="sup"):
    r = client_for(c[by]).put(f"{API}users/{c[who].pk}/state/", {"state": state}, format="json")
    assert r.status_code == 200, r.content
    return r


def test_the_queue_says_why_it_waits(center):
    c = center
    post_inbound(c["client"], c["bill_poc"], "+12025550100", "Where is my invoice?")
    assert queue(c, c["billing"])["waiting_reason"] == "No agent has the skill Billing."

    set_state(c, "papa", "unavailable")
    post_inbound(c["client"], c["poc"], "+12025550101", "Porridge please")
    assert queue(c, c["porridge"])["waiting_reason"] == "No agent with the skill Porridge is available (1 logged out, 1 unavailable)."

    # Both available with a limit of one: two rooms take them, the third waits.
    set_state(c, "mama", "available")
    set_state(c, "papa", "available")
    assert Room.objects.filter(state=RoomState.OFFERED).count() == 1  # mama became free: the waiting room went to her
    post_inbound(c["client"], c["poc"], "+12025550102", "Me too")
    post_inbound(c["client"], c["poc"], "+12025550103", "And me")
    assert Room.objects.filter(state=RoomState.OFFERED).count() == 2
    q = queue(c, c["porridge"])
    assert q["waiting"] == 1 and q["waiting_reason"] == "All 2 available agents are at their session limit."

    set_state(c, "papa", "unavailable")
    assert queue(c, c["porridge"])["waiting_reason"] == ("The only available agent is at their session limit; "
                                                         "1 more is unavailable or logged out.")
    assert queue(c, c["billing"])["waiting"] == 1 and queue(c, c["porridge"])["waiting"] == 1


def test_each_room_counts_its_decisions_as_the_api_lists_them(center):
    c = center
    set_state(c, "mama", "available")
    post_inbound(c["client"], c["poc"], "+12025550101", "Porridge please")
    room = Room.objects.get()
    assert client_for(c["mama"]).post(f"{API}rooms/{room.pk}/reject/").status_code == 200
    set_state(c, "papa", "available")
    decisions = client_for(c["sup"]).get(f"{API}rooms/{room.pk}/decisions/").json()
    assert [d["outcome"] for d in decisions] == ["offered", "rejected", "queued", "offered"]
    row = next(r for r in supervisor_snapshot(c["t"].id)["rooms"] if r["id"] == room.pk)
    assert row["decisions"] == len(decisions) and row["agent_username"] == "papa"


def test_the_activity_feed_comes_back_from_the_server(center):
    c = center
    set_state(c, "mama", "available")
    post_inbound(c["client"], c["poc"], "+12025550101", "Porridge please")
    room = Room.objects.get()
    mama = client_for(c["mama"])
    assert mama.post(f"{API}rooms/{room.pk}/accept/").status_code == 200
    assert mama.post(f"{API}rooms/{room.pk}/end/", {}, format="json").status_code == 200
    r = client_for(c["sup"]).get(f"{API}activity/")
    assert r.status_code == 200
    items = r.json()["results"]
    kinds = [i["type"] for i in items]
    assert kinds[:3] == ["room.closed", "room.assigned", "room.offered"], kinds  # newest first
    assert "agent.state" in kinds
    offered = next(i for i in items if i["type"] == "room.offered")
    assert offered["room"]["contact_number"] == "+12025550101" and offered["room"]["agent_username"] == "mama" and offered["at"]
    assert items == sorted(items, key=lambda i: i["at"], reverse=True)
    # Another tenant's supervisor sees none of it; agents and the operator may not read it.
    other = f.user(f.tenant(), username="osup", role="supervisor")
    assert client_for(other).get(f"{API}activity/").json()["results"] == []
    assert client_for(c["mama"]).get(f"{API}activity/").status_code == 403
    assert client_for(f.operator()).get(f"{API}activity/").status_code == 403


def test_a_supervisor_sets_an_agents_state_and_the_queue_moves(center):
    c = center
    post_inbound(c["client"], c["poc"], "+12025550101", "Porridge please")
    room = Room.objects.get()
    assert room.state == RoomState.QUEUED
    r = set_state(c, "mama", "available", by="sup")
    assert r.json() == {"state": "available", "reason": ""}
    room.refresh_from_db()
    assert room.state == RoomState.OFFERED and room.agent_id == c["mama"].pk
    reason = client_for(c["admin"]).post(f"{API}unavailable-reasons/", {"name": "Break"}, format="json").json()
    r = client_for(c["admin"]).put(f"{API}users/{c['mama'].pk}/state/", {"state": "unavailable", "reason": reason["id"]}, format="json")
    assert r.json() == {"state": "unavailable", "reason": "Break"}  # the supervisor may give the reason too
    c["mama"].refresh_from_db()
    assert c["mama"].state == "unavailable"

    api = client_for(c["sup"])
    assert api.put(f"{API}users/{c['mama'].pk}/state/", {"state": "asleep"}, format="json").status_code == 400
    assert api.put(f"{API}users/{c['mama'].pk}/state/", "[]", content_type="application/json").status_code == 400
    assert api.put(f"{API}users/{c['admin'].pk}/state/", {"state": "available"}, format="json").status_code == 400
    assert api.put(f"{API}users/abc/state/", {"state": "available"}, format="json").status_code == 404
    stranger = f.agent(f.tenant(), username="stranger")
    assert api.put(f"{API}users/{stranger.pk}/state/", {"state": "available"}, format="json").status_code == 404
    assert client_for(c["papa"]).put(f"{API}users/{c['mama'].pk}/state/", {"state": "available"}, format="json").status_code == 403
    c["mama"].refresh_from_db()
    assert c["mama"].state == "unavailable"


def test_a_new_session_limit_is_not_read_as_a_state_change_in_the_feed(center):
    c = center
    set_state(c, "mama", "available")
    team = c["mama"].team
    r = client_for(c["admin"]).patch(f"{API}teams/{team.pk}/", {"session_limit": 3}, format="json")
    assert r.status_code == 200, r.content  # recorded in the state history for the reports (the limit then in force)
    set_state(c, "mama", "unavailable")
    items = client_for(c["sup"]).get(f"{API}activity/").json()["results"]
    mama = [(i["state"], i["reason"]) for i in items if i["type"] == "agent.state" and i["agent_username"] == "mama"]
    assert [state for state, _ in mama] == ["unavailable", "available"]  # newest first; nothing for the limit
