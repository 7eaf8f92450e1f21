"""The web-chat contact is told where they stand: waiting for an agent with their place in the
queue, then an agent with them, then ended — through the real /chat/ HTTP entry point and the
/ws/chat/<token>/ socket's snapshot and events."""
import pytest
from channels.db import database_sync_to_async

from routing import services
from routing.acd import agents as acd_agents
from routing.acd import offers
from routing.choices import AgentState
from routing.hub import rooms as hub_rooms
from routing.models import Room
from tests.routing.test_consumers import _fresh_layer, open_socket, run, world  # noqa: F401 (the layer fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]


@database_sync_to_async
def start_chat(poc, body):
    from django.test import Client

    response = Client().post(f"/chat/{poc.slug}/", {"name": "Goldilocks", "body": body}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


async def next_of(comm, kind):
    while True:
        ev = await comm.receive_json_from(timeout=5)
        if ev["type"] == kind:
            return ev


async def test_a_waiting_chat_knows_its_place_and_when_an_agent_comes():
    w = (await world())["a"]
    w["agent"].session_limit = 1  # one conversation at a time: the second chat keeps waiting
    await run(services.user_save, user=w["agent"])
    await run(acd_agents.agent_set_state, agent=w["agent"], state=AgentState.UNAVAILABLE)  # nobody free: chats wait
    first = await start_chat(w["chat_poc"], "Is the porridge hot?")
    second = await start_chat(w["chat_poc"], "And the chairs?")

    c1, snap1 = await open_socket(f"/ws/chat/{first}/")
    c2, snap2 = await open_socket(f"/ws/chat/{second}/")
    assert (snap1["room"]["state"], snap1["room"]["queue_position"]) == ("queued", 1)
    assert (snap2["room"]["state"], snap2["room"]["queue_position"]) == ("queued", 2)

    # The agent comes back: the first chat is offered, then accepted; the second moves up.
    await run(acd_agents.agent_set_state, agent=w["agent"], state=AgentState.AVAILABLE)
    assert (await next_of(c1, "chat.state"))["state"] == "offered"
    room = await database_sync_to_async(Room.objects.get)(chat_token=first)
    await run(offers.room_accept, room=room, agent=w["agent"])
    assert (await next_of(c1, "chat.state"))["state"] == "active"
    await c2.send_json_to({"type": "resync"})
    snap = await next_of(c2, "snapshot")
    assert (snap["room"]["state"], snap["room"]["queue_position"]) == ("queued", 1)

    # The agent ends it: the contact's page hears it, and a snapshot after a reload says so too.
    room = await database_sync_to_async(Room.objects.get)(chat_token=first)
    await run(hub_rooms.room_end, room=room, actor=w["agent"])
    assert (await next_of(c1, "chat.closed"))["type"] == "chat.closed"
    again, snap = await open_socket(f"/ws/chat/{first}/")
    assert snap["room"]["closed"] and snap["room"]["queue_position"] is None
    for comm in (c1, c2, again):
        await comm.disconnect()
