"""The workspace's REST contract (docs/api.md, DESIGN): rooms/{id}/transfer/ (to an agent as an
offer, or to a skill's queue, with a note), canned-responses/ (tenant-wide and personal) and
dispositions/ with the wrap-up they require on rooms/{id}/end/. Through HTTP with tokens, from
texts that came in through the carrier webhook."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from routing.choices import RoomState
from routing.models import Room, RoutingDecision
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
API = "/api/v1/"


@pytest.fixture
def center(client):
    t = f.tenant()
    team = f.team(t, session_limit=2)
    sms, billing, chat = f.skill(t, "Porridge"), f.skill(t, "Billing"), f.skill(t, "Chat", channel="chat")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    mama = f.agent(t, username="mama", team=team, skills=[sms], state="available")
    baby = f.agent(t, username="baby", team=team, skills=[sms, billing], state="unavailable")
    papa = f.agent(t, username="papa", team=team, skills=[chat], state="available")
    other = f.tenant()
    stranger = f.agent(other, username="stranger", team=f.team(other), skills=[f.skill(other)], state="available")
    return {"t": t, "sms": sms, "billing": billing, "chat": chat, "poc": poc, "mama": mama, "baby": baby, "papa": papa,
            "sup": f.user(t, username="sam", role="supervisor"), "admin": f.admin(t), "stranger": stranger, "client": client}


def active_room(c, contact="+12025550123", body="Hello, my porridge is cold"):
    post_inbound(c["client"], c["poc"], contact, body)
    room = Room.objects.get(contact_number=contact, state=RoomState.OFFERED)
    assert client_for(c["mama"]).post(f"{API}rooms/{room.pk}/accept/").status_code == 200
    return Room.objects.get(pk=room.pk)


def set_state(user, state):
    assert client_for(user).put(f"{API}me/state/", {"state": state}, format="json").status_code == 200


# ---- transfer ---------------------------------------------------------------------------------

def test_transfer_to_an_agent_is_an_offer_with_the_note_and_the_timer_keeps_running(center):
    c = center
    room = active_room(c)
    expires = room.expires_at
    mama = client_for(c["mama"])
    targets = mama.get(f"{API}rooms/{room.pk}/transfer/").json()
    by_name = {a["username"]: a for a in targets["agents"]}
    assert by_name["baby"]["available"] is False and "unavailable" in by_name["baby"]["reason"]
    assert by_name["papa"]["available"] is False and "no SMS skill" in by_name["papa"]["reason"]
    assert "stranger" not in by_name and {s["name"] for s in targets["skills"]} == {"Porridge", "Billing"}

    refused = mama.post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["baby"].pk, "note": "Refund"}, format="json")
    assert refused.status_code == 400 and "unavailable" in str(refused.json()["agent"])
    assert mama.post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["papa"].pk}, format="json").status_code == 400
    assert mama.post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["stranger"].pk}, format="json").status_code == 400
    assert mama.post(f"{API}rooms/{room.pk}/transfer/", {}, format="json").status_code == 400
    assert Room.objects.get(pk=room.pk).agent_id == c["mama"].pk  # nothing changed

    set_state(c["baby"], "available")
    done = mama.post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["baby"].pk, "note": "Wants a refund for the cold bowl"}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["agent"], body["transfer_note"]) == ("offered", c["baby"].pk, "Wants a refund for the cold bowl")
    # The previous agent no longer sees it; the receiver accepts it like an offer, in the same thread.
    assert mama.get(f"{API}rooms/{room.pk}/").status_code == 404
    baby = client_for(c["baby"])
    assert baby.post(f"{API}rooms/{room.pk}/accept/").status_code == 200
    room.refresh_from_db()
    assert room.state == RoomState.ACTIVE and room.agent_id == c["baby"].pk and room.expires_at == expires
    assert [m["body"] for m in baby.get(f"{API}rooms/{room.pk}/messages/").json()["results"]] == ["Hello, my porridge is cold"]
    assert RoutingDecision.objects.filter(room=room, trigger__startswith="transfer by mama").exists()


def test_transfer_respects_the_receivers_session_limit(center):
    c = center
    set_state(c["baby"], "available")
    for i in range(2):  # baby at their limit of 2
        post_inbound(c["client"], c["poc"], f"+1202555020{i}", "hi")
        room = Room.objects.get(contact_number=f"+1202555020{i}")
        who = c["mama"] if room.agent_id == c["mama"].pk else c["baby"]
        client_for(who).post(f"{API}rooms/{room.pk}/accept/")
    Room.objects.filter(agent=c["mama"]).exclude(state=RoomState.CLOSED).update(agent=c["baby"])
    from routing.acd import capacity
    capacity.recount(c["baby"].pk)
    capacity.recount(c["mama"].pk)
    room = active_room(c, contact="+12025550299")
    refused = client_for(c["mama"]).post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["baby"].pk}, format="json")
    assert refused.status_code == 400 and "2 of 2" in str(refused.json())
    assert Room.objects.get(pk=room.pk).agent_id == c["mama"].pk


def test_transfer_to_a_skill_queues_it_there_and_not_back_to_the_sender(center):
    c = center
    room = active_room(c)
    done = client_for(c["mama"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["billing"].pk, "note": "Billing question"},
                                      format="json")
    assert done.status_code == 200 and done.json()["skill"] == c["billing"].pk
    room.refresh_from_db()
    assert room.state == RoomState.QUEUED and room.agent_id is None and c["mama"].pk in room.declined_by
    set_state(c["baby"], "available")  # holds Billing: the queue offers it to them, with the note
    room.refresh_from_db()
    assert (room.state, room.agent_id, room.transfer_note) == (RoomState.OFFERED, c["baby"].pk, "Billing question")
    chat_skill = client_for(c["admin"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["chat"].pk}, format="json")
    assert chat_skill.status_code == 400  # an offered room waits for its answer; and a chat skill is not for a text


def test_who_may_transfer(center):
    c = center
    room = active_room(c)
    set_state(c["baby"], "available")
    assert client_for(c["baby"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["billing"].pk}, format="json").status_code == 404
    assert client_for(c["stranger"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["billing"].pk}, format="json").status_code == 404
    wrong = client_for(c["sup"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["chat"].pk}, format="json")
    assert wrong.status_code == 400 and "SMS skill" in str(wrong.json())
    # A supervisor assigns a queued room to an agent.
    post_inbound(c["client"], c["poc"], "+12025550777", "anyone?")
    set_state(c["mama"], "unavailable")
    queued = Room.objects.get(contact_number="+12025550777")
    Room.objects.filter(pk=queued.pk).update(state=RoomState.QUEUED, agent=None, offered_at=None, offer_expires_at=None)
    from routing.acd import capacity
    capacity.recount(c["mama"].pk)
    capacity.recount(c["baby"].pk)
    assigned = client_for(c["sup"]).post(f"{API}rooms/{queued.pk}/transfer/", {"agent": c["baby"].pk, "note": "VIP"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["state"] == "offered" and assigned.json()["agent"] == c["baby"].pk



def test_a_supervisor_assigning_a_queued_room_is_an_assignment_not_a_transfer(center):
    c = center
    post_inbound(c["client"], c["poc"], "+12025550778", "Is anyone there?")
    room = Room.objects.get(contact_number="+12025550778")
    assert client_for(c["mama"]).post(f"{API}rooms/{room.pk}/reject/").status_code == 200
    assert Room.objects.get(pk=room.pk).state == RoomState.QUEUED  # mama declined it; nobody else can take it
    assigned = client_for(c["sup"]).post(f"{API}rooms/{room.pk}/transfer/", {"agent": c["mama"].pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["state"] == "offered"
    decisions = client_for(c["sup"]).get(f"{API}rooms/{room.pk}/decisions/").json()
    assert "transferred" not in [d["outcome"] for d in decisions]
    assert [d["trigger"] for d in decisions if d["outcome"] == "offered"][-1] == "assigned by sam"
    today = timezone.localdate(timezone=ZoneInfo(c["t"].time_zone)).isoformat()
    rows = client_for(c["admin"]).get(f"{API}reports/interactions/?start={today}&end={today}&interval=day").json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    assert sum(r["transferred"] for r in rows) == 0

# ---- canned responses ---------------------------------------------------------------------------

def test_canned_responses_tenant_wide_and_personal(center):
    c = center
    admin, mama, baby = client_for(c["admin"]), client_for(c["mama"]), client_for(c["baby"])
    shared = admin.post(f"{API}canned-responses/",
                        {"name": "Thanks", "shortcut": "thanks", "body": "Thanks {contact_name}! — {agent_name}"}, format="json")
    assert shared.status_code == 201 and shared.json()["owner"] is None
    mine = mama.post(f"{API}canned-responses/", {"name": "Brb", "shortcut": "brb", "body": "One moment please."}, format="json")
    assert mine.status_code == 201 and mine.json()["owner"] == c["mama"].pk
    assert mama.post(f"{API}canned-responses/", {"name": "Everyone", "body": "x", "owner": None}, format="json").status_code == 403
    assert mama.post(f"{API}canned-responses/", {"name": "Dup", "shortcut": "BRB", "body": "y"}, format="json").status_code == 400
    assert mama.post(f"{API}canned-responses/", {"name": "Empty", "body": "  "}, format="json").status_code == 400
    assert {r["name"] for r in mama.get(f"{API}canned-responses/").json()["results"]} == {"Thanks", "Brb"}
    assert {r["name"] for r in baby.get(f"{API}canned-responses/").json()["results"]} == {"Thanks"}
    assert baby.delete(f"{API}canned-responses/{mine.json()['id']}/").status_code == 404
    assert mama.patch(f"{API}canned-responses/{shared.json()['id']}/", {"body": "hacked"}, format="json").status_code == 403
    assert client_for(c["stranger"]).get(f"{API}canned-responses/{shared.json()['id']}/").status_code == 404
    assert mama.delete(f"{API}canned-responses/{mine.json()['id']}/").status_code == 204


# ---- dispositions and wrap-up -------------------------------------------------------------------

def test_a_required_disposition_is_chosen_when_the_agent_ends(center):
    c = center
    admin, mama = client_for(c["admin"]), client_for(c["mama"])
    resolved = admin.post(f"{API}dispositions/", {"name": "Resolved", "skills": [c["sms"].pk], "required": True}, format="json")
    assert resolved.status_code == 201 and resolved.json()["skills"] == [c["sms"].pk]
    other = admin.post(f"{API}dispositions/", {"name": "Billing done", "skills": [c["billing"].pk]}, format="json").json()
    assert admin.post(f"{API}dispositions/", {"name": "resolved"}, format="json").status_code == 400
    assert mama.post(f"{API}dispositions/", {"name": "Mine"}, format="json").status_code == 403
    foreign_admin = client_for(f.admin(c["stranger"].tenant))
    assert foreign_admin.post(f"{API}dispositions/", {"name": "X", "skills": [c["sms"].pk]}, format="json").status_code == 400

    room = active_room(c)
    missing = mama.post(f"{API}rooms/{room.pk}/end/", {"summary": "Sent a new bowl"}, format="json")
    assert missing.status_code == 400 and missing.json()["disposition"] == ["Choose a disposition to end this conversation."]
    wrong = mama.post(f"{API}rooms/{room.pk}/end/", {"disposition": other["id"]}, format="json")
    assert wrong.status_code == 400 and "does not apply" in str(wrong.json())
    assert Room.objects.get(pk=room.pk).state == RoomState.ACTIVE
    ended = mama.post(f"{API}rooms/{room.pk}/end/", {"disposition": resolved.json()["id"], "summary": "Sent a new bowl"}, format="json")
    assert ended.status_code == 200
    assert (ended.json()["disposition_name"], ended.json()["summary"]) == ("Resolved", "Sent a new bowl")
    # Kept on the room and shown in the next conversation's history.
    nxt = active_room(c, body="Me again")
    past = mama.get(f"{API}rooms/{nxt.pk}/history/?by=contact").json()
    assert (past[0]["disposition_name"], past[0]["summary"]) == ("Resolved", "Sent a new bowl")
    # An administrator ending it (not its agent) is not held up by the wrap-up.
    assert admin.post(f"{API}rooms/{nxt.pk}/end/").status_code == 200


def test_end_without_dispositions_configured_works_as_before(center):
    room = active_room(center)
    assert client_for(center["mama"]).post(f"{API}rooms/{room.pk}/end/").status_code == 200


def test_the_timer_restarts_on_accept_when_a_transferred_room_waited_past_it(center):
    c = center
    room = active_room(c)
    client_for(c["mama"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["billing"].pk}, format="json")
    Room.objects.filter(pk=room.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    set_state(c["baby"], "available")
    assert client_for(c["baby"]).post(f"{API}rooms/{room.pk}/accept/").status_code == 200
    room.refresh_from_db()
    assert room.state == RoomState.ACTIVE and room.expires_at > timezone.now() + timedelta(minutes=100)


def test_transfers_are_counted_in_the_reports(center):
    c = center
    room = active_room(c)
    client_for(c["mama"]).post(f"{API}rooms/{room.pk}/transfer/", {"skill": c["billing"].pk}, format="json")
    today = timezone.localdate(timezone=ZoneInfo(c["t"].time_zone)).isoformat()
    rows = client_for(c["admin"]).get(f"{API}reports/interactions/?start={today}&end={today}&interval=day").json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    assert sum(r["transferred"] for r in rows) == 1
