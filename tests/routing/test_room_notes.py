"""Internal notes inside a room: written by its agent or a supervisor, shown to the tenant's agents and
supervisors (REST, live frames on /ws/agent/ and /ws/supervisor/, the transcript of past sessions), never
texted to the contact. Texts arrive through the signed webhook; actions go through the REST API."""
import pytest
from channels.db import database_sync_to_async
from django.test import Client

from routing.acd.offers import room_accept
from routing.choices import RoomState
from routing.hub.rooms import room_end
from routing.models import Message, Room
from tests import factories as f
from tests.hub import post_inbound
from tests.routing.test_consumers import _fresh_layer, open_socket, receive_until  # noqa: F401 (_fresh_layer: autouse fixture)

API = "/api/v1/rooms/"


def world(number="+12025550411"):
    t = f.tenant()
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, skill=sms)
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    other_agent = f.agent(t)
    supervisor = f.user(t, role="supervisor")
    assert post_inbound(Client(), poc, number, "Where is my order?").status_code == 200
    room = room_accept(room=Room.objects.get(contact_number=number, state=RoomState.OFFERED), agent=agent)
    return t, poc, room, agent, other_agent, supervisor


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def post_note(user, room, body):
    return as_user(user).post(API + f"{room.id}/notes/", {"body": body}, content_type="application/json")


@pytest.mark.django_db
def test_notes_are_kept_in_the_room_never_texted_and_shown_in_the_transcript():
    t, poc, room, agent, other_agent, supervisor = world()
    texts_before = Message.objects.count()
    r = post_note(agent, room, "  Asked for a refund last week too  ")
    assert r.status_code == 201, r.content
    assert r.json()["body"] == "Asked for a refund last week too" and r.json()["author"] == agent.username
    assert post_note(supervisor, room, "Offer the voucher").status_code == 201
    assert Message.objects.count() == texts_before  # nothing was texted or queued for the contact
    got = as_user(agent).get(API + f"{room.id}/notes/").json()
    assert [(n["author"], n["body"]) for n in got] == [(agent.username, "Asked for a refund last week too"),
                                                        (supervisor.username, "Offer the voucher")]
    # Not among the room's texts.
    texts = as_user(agent).get(API + f"{room.id}/messages/").json()["results"]
    assert all("refund last week" not in m["body"] for m in texts)

    # The next session of the contact: the past transcript shows the notes beside its texts.
    room_end(room=Room.objects.get(pk=room.pk), actor=agent)
    assert post_inbound(Client(), poc, "+12025550411", "Me again").status_code == 200
    again = room_accept(room=Room.objects.get(contact_number="+12025550411", state=RoomState.OFFERED), agent=agent)
    history = as_user(agent).get(API + f"{again.id}/history/").json()
    past = [h for h in history if h["id"] == room.id][0]
    assert [n["body"] for n in past["notes"]] == ["Asked for a refund last week too", "Offer the voucher"]
    assert all(m["body"] != "Offer the voucher" for m in past["messages"])


@pytest.mark.django_db
def test_who_may_write_a_note_and_bad_input_changes_nothing():
    t, poc, room, agent, other_agent, supervisor = world("+12025550421")
    stranger = f.user(f.tenant(), role="supervisor")
    operator = f.operator()
    assert post_note(other_agent, room, "Not my room").status_code == 404  # another agent's room is not theirs to see
    assert post_note(stranger, room, "Other company").status_code == 404
    assert post_note(operator, room, "Operator").status_code == 403
    assert post_note(agent, room, "   ").status_code == 400
    assert post_note(agent, room, "x" * 2001).status_code == 400
    assert as_user(agent).post(API + f"{room.id}/notes/", {"body": ["a"]}, content_type="application/json").status_code == 400
    assert room.notes.count() == 0
    assert as_user(stranger).get(API + f"{room.id}/notes/").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_a_note_reaches_the_agent_and_supervisors_live_in_sequence():
    t, poc, room, agent, other_agent, supervisor = await database_sync_to_async(world)("+12025550431")
    agent_ws, snap = await open_socket("/ws/agent/", user=agent)
    sup_ws, _ = await open_socket("/ws/supervisor/", user=supervisor)
    r = await database_sync_to_async(post_note)(supervisor, room, "Careful: VIP")
    assert r.status_code == 201
    _, frame = await receive_until(agent_ws, "room.note")
    assert frame["room_id"] == room.id and frame["note"]["body"] == "Careful: VIP" and frame["note"]["author"] == supervisor.username
    assert frame["agent_seq"] > snap["agent_seq"]
    _, seen = await receive_until(sup_ws, "room.note")
    assert seen["note"]["id"] == frame["note"]["id"]
    for comm in (agent_ws, sup_ws):
        await comm.disconnect()
