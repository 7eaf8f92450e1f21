"""A supervisor follows one live room's transcript read-only over /ws/supervisor/ (issue 17, item
12): `transcript.open` answers with the room and its messages, then each new message arrives as a
`transcript.message` frame; only the tenant's rooms; `transcript.close` stops it. Through the real
ASGI application with WebsocketCommunicator; the agent's reply goes through the real send service."""
import pytest
from channels.db import database_sync_to_async

from routing.choices import RoomState
from routing.hub import outbound
from tests.routing.test_consumers import _fresh_layer, _room, nothing_more, open_socket, receive_until, world  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]


@database_sync_to_async
def active_room(w, body):
    return _room(w, agent=w["agent"], state=RoomState.ACTIVE, body=body)


@database_sync_to_async
def reply(room, agent, body):
    return outbound.message_send(room=room, author=agent, body=body).id


async def test_supervisor_follows_a_live_transcript_of_their_tenant_only(settings):
    settings.CXSMS_WS_SUPERVISOR_MAX_RATE = 20
    ws = await world()
    a, b = ws["a"], ws["b"]
    room = await active_room(a, "My porridge is too hot")
    theirs = await active_room(b, "Secret of tenant B")
    comm, _ = await open_socket("/ws/supervisor/", user=a["supervisor"])

    await comm.send_json_to({"type": "transcript.open", "room": room.id})
    _, frame = await receive_until(comm, "transcript")
    assert frame["room"]["id"] == room.id and frame["room"]["agent_username"] == a["agent"].username
    assert [m["body"] for m in frame["room"]["messages"]] == ["My porridge is too hot"]

    sent = await reply(room, a["agent"], "Blow on it gently")
    skipped, line = await receive_until(comm, "transcript.message")
    assert line["room_id"] == room.id and line["message"]["id"] == sent and line["message"]["body"] == "Blow on it gently"
    assert line["message"]["direction"] == "outbound" and line["message"]["author"] == a["agent"].username
    assert any(s["type"] == "room.message" for s in skipped)  # the event itself carries ids only

    # Another tenant's room (or no room at all) is refused and changes nothing followed.
    for bad in (theirs.id, "abc", None, -4, 2 ** 70):
        await comm.send_json_to({"type": "transcript.open", "room": bad})
        _, err = await receive_until(comm, "error")
        assert "No such conversation" in err["detail"]
    await reply(theirs, b["agent"], "B's reply")
    await reply(room, a["agent"], "Still following")
    _, line = await receive_until(comm, "transcript.message")
    assert line["message"]["body"] == "Still following"

    await comm.send_json_to({"type": "transcript.close"})
    await receive_until(comm, "transcript.closed")
    await reply(room, a["agent"], "Nobody watching")
    skipped, _ = await receive_until(comm, "snapshot")
    assert all(s["type"] != "transcript.message" for s in skipped)
    await comm.disconnect()


async def test_an_agent_socket_cannot_open_a_transcript():
    w = (await world())["a"]
    room = await active_room(w, "Hello")
    comm, _ = await open_socket("/ws/agent/", user=w["agent2"])
    await comm.send_json_to({"type": "transcript.open", "room": room.id})
    _, err = await receive_until(comm, "error")
    assert "Unknown message" in err["detail"]
    await nothing_more(comm)
    await comm.disconnect()


async def test_the_live_transcript_has_the_room_s_internal_notes_and_each_new_one():
    from routing import services

    w = (await world())["a"]
    room = await active_room(w, "My porridge is too hot")
    await database_sync_to_async(services.room_note_add)(room=room, author=w["agent"], body="Regular: likes it lukewarm")
    comm, _ = await open_socket("/ws/supervisor/", user=w["supervisor"])
    await comm.send_json_to({"type": "transcript.open", "room": room.id})
    _, frame = await receive_until(comm, "transcript")
    assert [(n["body"], n["author"]) for n in frame["room"]["notes"]] == [("Regular: likes it lukewarm", w["agent"].username)]
    await database_sync_to_async(services.room_note_add)(room=room, author=w["agent"], body="Offered a discount")
    _, event = await receive_until(comm, "room.note")
    assert event["room_id"] == room.id and event["note"]["body"] == "Offered a discount"
    await comm.disconnect()
