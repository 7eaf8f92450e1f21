"""The websocket consumers through the real ASGI application (origin check, auth, URL router), on the
configured channel layer: the in-memory one in make test's first pass, channels-redis (with PostgreSQL)
in the second. Pushes take the production path: after commit, through the pump on the loop that serves
the application (routing/events.py)."""
import asyncio
import itertools
import logging
import os
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.db.models import F

from routing import events
from routing.acd import agents as acd_agents
from routing.choices import AgentState, Channel, Direction, MessageStatus, Role, RoomState
from routing.models import Country, Message, Room, User
from routing.ws_auth import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_ORIGIN, CLOSE_UNAUTHENTICATED
from tests import factories

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def _fresh_layer():
    # A layer instance per test, made on the test's event loop: the in-memory layer starts with empty
    # groups, the Redis layer with connections of this loop (closed after the test, on the same loop).
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)
    yield
    layer = channel_layers.backends.pop("default", None)
    if layer is not None and hasattr(layer, "flush"):
        await layer.flush()


def app():
    from cxsms_site.asgi import application

    return application


# --- data ---------------------------------------------------------------------------------

def _world():
    """Two tenants; in A two agents (mama, papa), a supervisor and an admin; in B one agent and a supervisor."""
    # transaction=True tests start from empty tables: the seeded country table is gone too.
    Country.objects.get_or_create(code="US", defaults={"name": "United States", "long": True, "toll_free": True, "short": True,
                                                        "digital": True})
    out = {}
    for key in ("a", "b"):
        t = factories.tenant()
        team = factories.team(t, session_limit=5)
        sms = factories.skill(t, channel=Channel.SMS)
        chat = factories.skill(t, channel=Channel.CHAT)
        out[key] = {
            "tenant": t, "sms": sms, "chat": chat,
            "poc": factories.sms_poc(t, skill=sms),
            "chat_poc": factories.chat_poc(t, skill=chat),
            "agent": factories.agent(t, team=team, skills=[sms, chat], state=AgentState.AVAILABLE),
            "agent2": factories.agent(t, team=team, skills=[sms]),
            "supervisor": factories.user(t, role=Role.SUPERVISOR),
            "admin": factories.admin(t),
        }
    return out


world = database_sync_to_async(_world)
_contacts = itertools.count(1000)


def _room(w, agent=None, state=RoomState.OFFERED, contact=None, channel=Channel.SMS, chat_token=None, body="Hello there"):
    """A room as the text hub leaves it (the hub's services are tested on their own)."""
    poc = w["poc"] if channel == Channel.SMS else w["chat_poc"]
    contact = contact or "+1202555%04d" % next(_contacts)
    room = Room.objects.create(tenant=w["tenant"], channel=channel, state=state, point_of_contact=poc,
                               contact_number=contact if channel == Channel.SMS else "", poc_number=poc.number,
                               skill=w["sms"] if channel == Channel.SMS else w["chat"], agent=agent, chat_token=chat_token,
                               contact_name="Goldilocks" if channel == Channel.CHAT else "")
    Message.objects.create(room=room, tenant=w["tenant"], direction=Direction.INBOUND, body=body, status=MessageStatus.RECEIVED)
    return room


@database_sync_to_async
def offer(w, agent, **kw):
    """Open a room offered to `agent` and push room.offered, like the engine does."""
    with transaction.atomic():
        room = _room(w, agent=agent, **kw)
        events.room_offered(room, room.messages.first())
    return room


@database_sync_to_async
def run(fn, *args, **kw):
    with transaction.atomic():
        return fn(*args, **kw)


@database_sync_to_async
def session_cookie(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return ("sessionid=" + client.cookies["sessionid"].value).encode()


@database_sync_to_async
def token_for(user):
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key.encode()


async def connect(path, user=None, token=None, origin=ORIGIN, extra=()):
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    if token is not None:
        headers.append((b"authorization", b"Token " + token))
    headers.extend(extra)
    comm = WebsocketCommunicator(app(), path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def open_socket(path, user=None, **kw):
    comm, connected, code = await connect(path, user=user, **kw)
    assert connected, f"refused with {code}"
    first = await comm.receive_json_from(timeout=5)
    assert first["type"] == "snapshot" and first["seq"] == 1, first
    return comm, first


async def receive_until(comm, kind, timeout=5):
    """Skip messages until one of type `kind` arrives; returns (skipped, message)."""
    skipped = []
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["type"] == kind:
            return skipped, msg
        skipped.append(msg)


async def nothing_more(comm, timeout=0.3):
    assert await comm.receive_nothing(timeout=timeout), await comm.receive_json_from()


# --- agent feed ---------------------------------------------------------------------------

async def test_agent_snapshot_first_then_every_event_type_with_increasing_seq():
    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)
    assert snap["agent"]["id"] == agent.id and snap["agent"]["state"] == AgentState.AVAILABLE
    assert snap["rooms"] == [] and snap["agent_seq"] == await database_sync_to_async(lambda: User.objects.get(pk=agent.pk).event_seq)()

    room = await offer(w, agent, contact="+12025550101", body="Is the porridge too hot?")
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.offered" and ev["seq"] == 2 and ev["room"]["id"] == room.id
    assert ev["room"]["contact_number"] == "+12025550101" and ev["first_message"]["body"] == "Is the porridge too hot?"
    assert ev["agent_seq"] == snap["agent_seq"] + 1

    def accept():
        Room.objects.filter(pk=room.pk).update(state=RoomState.ACTIVE)
        room.refresh_from_db()
        events.room_assigned(room)

    def inbound():
        m = Message.objects.create(room=room, tenant=room.tenant, direction=Direction.INBOUND, body="Still there?",
                                   status=MessageStatus.RECEIVED)
        events.room_message(room, m)
        return m

    def outbound():
        m = Message.objects.create(room=room, tenant=room.tenant, direction=Direction.OUTBOUND, body="Yes!", status=MessageStatus.SENDING,
                                   author=agent)
        events.room_message(room, m)
        return m

    def delivered(m):
        Message.objects.filter(pk=m.pk).update(status=MessageStatus.DELIVERED)
        m.refresh_from_db()
        events.message_status(m)

    def updated():
        events.room_updated(room)

    def state():

        acd_agents.agent_set_state(agent=agent, state=AgentState.UNAVAILABLE)

    def closed():
        Room.objects.filter(pk=room.pk).update(state=RoomState.CLOSED)
        room.refresh_from_db()
        events.room_closed(room)

    expected = ["room.assigned", "room.message", "room.message", "message.status", "room.updated", "agent.state", "room.closed"]
    await run(accept)
    await run(inbound)
    m = await run(outbound)
    await run(delivered, m)
    await run(updated)
    await run(state)
    await run(closed)
    got = [await comm.receive_json_from(timeout=5) for _ in expected]
    assert [g["type"] for g in got] == expected
    assert [g["seq"] for g in got] == list(range(3, 3 + len(expected)))
    assert [g["agent_seq"] for g in got] == list(range(ev["agent_seq"] + 1, ev["agent_seq"] + 1 + len(expected)))
    assert got[1]["message"]["body"] == "Still there?" and got[2]["message"]["author"] == agent.username
    assert got[3]["status"] == MessageStatus.DELIVERED and got[3]["message_id"] == m.id
    assert got[5]["state"] == AgentState.UNAVAILABLE
    assert got[6]["room"]["state"] == RoomState.CLOSED

    # revoked: an offer taken back
    room2 = await offer(w, agent, contact="+12025550102")
    assert (await comm.receive_json_from(timeout=5))["type"] == "room.offered"
    await run(events.room_offer_revoked, room2, agent.id, "expired")
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.revoked" and ev["reason"] == "expired" and ev["seq"] == 3 + len(expected) + 1
    await comm.disconnect()


async def test_snapshot_holds_the_agents_rooms_with_messages():
    w = (await world())["a"]
    room = await offer(w, w["agent"], body="Hi!")
    comm, snap = await open_socket("/ws/agent/", user=w["agent"])
    assert [r["id"] for r in snap["rooms"]] == [room.id]
    assert snap["rooms"][0]["messages"][0]["body"] == "Hi!"
    assert snap["agent"]["sms"] == 1 and snap["agent"]["chat"] == 0 and snap["agent"]["session_limit"] == 5
    await comm.disconnect()


async def test_a_snapshot_of_several_rooms_gives_each_its_own_thread_in_order_and_costs_what_one_room_costs():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from routing import selectors

    w = (await world())["a"]
    first = await offer(w, w["agent"], body="first room")

    @database_sync_to_async
    def queries_and_snapshot():
        with CaptureQueriesContext(connection) as queries:
            snap = selectors.agent_snapshot(w["agent"])
        return len(queries), snap

    one, _ = await queries_and_snapshot()
    second = await offer(w, w["agent"], body="second room")
    await database_sync_to_async(Message.objects.create)(room=second, tenant=w["tenant"], direction=Direction.INBOUND,
                                                         body="second, again", status=MessageStatus.RECEIVED)
    third = await offer(w, w["agent"], body="third room")
    three, snap = await queries_and_snapshot()
    assert three == one
    threads = {r["id"]: [m["body"] for m in r["messages"]] for r in snap["rooms"]}
    assert threads == {first.id: ["first room"], second.id: ["second room", "second, again"], third.id: ["third room"]}
    comm, snap = await open_socket("/ws/agent/", user=w["agent"])  # what the page gets on connect
    assert {r["id"]: [m["body"] for m in r["messages"]] for r in snap["rooms"]} == threads
    await comm.disconnect()


async def test_agent_never_sees_another_tenants_or_another_agents_rooms():
    ws = await world()
    a, b = ws["a"], ws["b"]
    comm, _ = await open_socket("/ws/agent/", user=a["agent"])
    await offer(b, b["agent"], body="tenant B's secret")
    await offer(a, a["agent2"], body="papa's private room")
    await nothing_more(comm, 0.5)
    await run(events.to_supervisors, a["tenant"].id, {"type": "room.queued", "room": {"id": 0}})
    await nothing_more(comm)
    mine = await offer(a, a["agent"], body="for mama")
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.offered" and ev["room"]["id"] == mine.id and ev["seq"] == 2
    # and the snapshot never lists them either
    await comm.send_json_to({"type": "resync"})
    snap = await comm.receive_json_from(timeout=5)
    assert [r["id"] for r in snap["rooms"]] == [mine.id]
    await comm.disconnect()


async def test_agent_seq_gap_sends_a_fresh_snapshot_instead():
    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)

    def lost_then_offer():
        # A change whose push the channel layer lost: the sequence moved, nothing arrived.
        User.objects.filter(pk=agent.pk).update(event_seq=F("event_seq") + 1)
        room = _room(w, agent=agent)
        events.room_offered(room, room.messages.first())
        return room

    room = await run(lost_then_offer)
    msg = await comm.receive_json_from(timeout=5)
    assert msg["type"] == "snapshot" and msg["seq"] == 2
    assert msg["agent_seq"] == snap["agent_seq"] + 2 and [r["id"] for r in msg["rooms"]] == [room.id]
    # back in step: the next event is forwarded as usual
    await run(events.room_updated, room)
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.updated" and ev["seq"] == 3 and ev["agent_seq"] == msg["agent_seq"] + 1
    await comm.disconnect()


async def test_events_that_overtook_each_other_go_out_in_order_without_a_snapshot():
    # With several server processes an agent's events come from each of them and may arrive out of order.
    w = (await world())["a"]
    comm, snap = await open_socket("/ws/agent/", user=w["agent"])
    layer, base = get_channel_layer(), snap["agent_seq"]

    async def push(n):
        await layer.group_send(events.agent_group(w["agent"].id),
                               {"type": "push", "event": {"type": "room.updated", "room": {"id": n}, "agent_seq": base + n}})

    await push(2)
    await push(3)
    await nothing_more(comm, 0.2)  # held back while the first is missing
    await push(1)
    got = [await comm.receive_json_from(timeout=5) for _ in range(3)]
    assert [(g["type"], g["agent_seq"], g["seq"]) for g in got] == [("room.updated", base + n, 1 + n) for n in (1, 2, 3)]
    await nothing_more(comm, 0.8)  # and no snapshot after the wait
    await comm.disconnect()


async def test_stale_event_already_in_the_snapshot_is_dropped():
    w = (await world())["a"]
    comm, snap = await open_socket("/ws/agent/", user=w["agent"])
    layer = get_channel_layer()
    await layer.group_send(events.agent_group(w["agent"].id),
                           {"type": "push", "event": {"type": "room.updated", "room": {"id": 1}, "agent_seq": snap["agent_seq"]}})
    await nothing_more(comm)
    await comm.disconnect()


async def test_lost_last_event_is_recovered_by_the_periodic_check(settings):
    settings.CXSMS_WS_AGENT_CHECK_INTERVAL = 0.2
    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)

    def lost():
        User.objects.filter(pk=agent.pk).update(event_seq=F("event_seq") + 1)
        return _room(w, agent=agent)

    room = await run(lost)
    msg = await comm.receive_json_from(timeout=3)
    assert msg["type"] == "snapshot" and msg["seq"] == 2 and [r["id"] for r in msg["rooms"]] == [room.id]
    await nothing_more(comm, 0.5)  # in step again: no further snapshots
    await comm.disconnect()


async def test_client_resync_returns_a_snapshot_and_bad_input_an_error():
    w = (await world())["a"]
    comm, _ = await open_socket("/ws/agent/", user=w["agent"])
    await comm.send_json_to({"type": "resync"})
    msg = await comm.receive_json_from(timeout=5)
    assert msg["type"] == "snapshot" and msg["seq"] == 2
    await comm.send_json_to({"type": "ping"})
    assert (await comm.receive_json_from(timeout=5)) == {"type": "pong", "seq": 3}
    await comm.send_to(text_data="not json")
    msg = await comm.receive_json_from(timeout=5)
    assert msg["type"] == "error" and msg["seq"] == 4
    await comm.send_json_to({"type": "subscribe", "group": "supervisors.1"})
    msg = await comm.receive_json_from(timeout=5)
    assert msg["type"] == "error" and msg["seq"] == 5
    await comm.disconnect()


# --- the push pump (routing/events.py) -------------------------------------------------------

async def test_the_configured_layer_is_used():
    layer = get_channel_layer()
    if os.environ.get("CXSMS_TEST_REQUIRE_SERVICES") == "1":  # make test's second pass
        assert type(layer).__module__.startswith("channels_redis."), type(layer)
    else:
        assert type(layer).__name__ == "SweepingInMemoryChannelLayer"


async def test_pushes_after_commit_go_through_the_pump_of_the_serving_loop_in_order():
    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)
    assert events._pump is not None and events._pump.loop is asyncio.get_running_loop()  # started by serving the socket
    room = await database_sync_to_async(_room)(w, agent=agent)
    seen = []

    def many():
        for n in range(30):
            events.room_updated(room)
            # the supervisors' group in between: a batch of two groups keeps each group's order
            events.to_supervisors(w["tenant"].id, {"type": "agent.state", "agent": agent.id, "state": str(n)})
        seen.append(events._pump.queue.qsize())  # nothing was sent before the commit

    await run(many)
    assert seen == [0]
    got = [await comm.receive_json_from(timeout=5) for _ in range(30)]
    assert [g["agent_seq"] for g in got] == list(range(snap["agent_seq"] + 1, snap["agent_seq"] + 31))
    assert [g["seq"] for g in got] == list(range(2, 32)) and {g["type"] for g in got} == {"room.updated"}
    await nothing_more(comm)
    await comm.disconnect()


async def test_a_push_that_fails_does_not_stop_the_pump(caplog):
    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)
    room = await database_sync_to_async(_room)(w, agent=agent)

    def with_a_bad_push():
        events.room_updated(room)
        # a message no layer can carry (it cannot be copied or serialised): this push fails
        events.send(events.agent_group(agent.id), {"type": "room.updated", "lock": threading.Lock()})
        events.room_updated(room)

    with caplog.at_level(logging.ERROR, logger="cxsms.events"):
        await run(with_a_bad_push)
        first = await comm.receive_json_from(timeout=5)
        await run(events.room_updated, room)  # and later pushes still go out
        rest = [await comm.receive_json_from(timeout=5) for _ in range(2)]
    assert [m["agent_seq"] for m in [first, *rest]] == [snap["agent_seq"] + n for n in (1, 2, 3)]
    assert f"push to {events.agent_group(agent.id)} failed" in caplog.text
    await comm.disconnect()


# --- handshake security -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/ws/agent/", "/ws/supervisor/", "/ws/simulator/"])
async def test_hostile_and_missing_origin_are_refused(path):
    w = (await world())["a"]
    user = w["agent"] if path == "/ws/agent/" else w["supervisor"]
    for origin in [(b"origin", b"http://evil.example.com"), (b"origin", b"null"), (b"origin", b"http://testserver.evil.com"), None]:
        comm, connected, code = await connect(path, user=user, origin=origin)
        assert not connected and code == CLOSE_ORIGIN, (origin, code)
    comm, connected, _ = await connect(path, user=user)
    assert connected
    await comm.disconnect()


async def test_extra_allowed_origin_from_settings(settings):
    settings.CXSMS_WS_ALLOWED_ORIGINS = ["https://crm.example.com"]
    w = (await world())["a"]
    comm, connected, _ = await connect("/ws/agent/", user=w["agent"], origin=(b"origin", b"https://crm.example.com"))
    assert connected
    await comm.disconnect()
    comm, connected, code = await connect("/ws/agent/", user=w["agent"], origin=(b"origin", b"http://crm.example.com"))
    assert not connected and code == CLOSE_ORIGIN


@pytest.mark.parametrize("path", ["/ws/agent/", "/ws/supervisor/", "/ws/simulator/"])
async def test_anonymous_is_refused(path):
    await world()
    comm, connected, code = await connect(path)
    assert not connected and code == CLOSE_UNAUTHENTICATED


async def test_token_auth_by_header():
    w = (await world())["a"]
    token = await token_for(w["agent"])
    comm, snap = await open_socket("/ws/agent/", token=token)
    assert snap["agent"]["id"] == w["agent"].id
    await comm.disconnect()
    # a wrong token is anonymous, even next to a valid session cookie
    comm, connected, code = await connect("/ws/agent/", user=w["agent"], token=b"0" * 40)
    assert not connected and code == CLOSE_UNAUTHENTICATED
    # other schemes and the query string are not read
    comm, connected, code = await connect("/ws/agent/", extra=[(b"authorization", b"Bearer " + token)])
    assert not connected and code == CLOSE_UNAUTHENTICATED
    comm, connected, code = await connect("/ws/agent/?token=" + token.decode())
    assert not connected and code == CLOSE_UNAUTHENTICATED


async def test_inactive_users_token_is_refused():
    w = (await world())["a"]
    token = await token_for(w["agent"])
    await database_sync_to_async(User.objects.filter(pk=w["agent"].pk).update)(is_active=False)
    comm, connected, code = await connect("/ws/agent/", token=token)
    assert not connected and code == CLOSE_UNAUTHENTICATED


async def test_roles_and_tenant_are_checked():
    w = (await world())["a"]
    for path, user in [("/ws/supervisor/", w["agent"]), ("/ws/agent/", w["supervisor"]), ("/ws/agent/", w["admin"])]:
        comm, connected, code = await connect(path, user=user)
        assert not connected and code == CLOSE_FORBIDDEN, (path, user.role)
    operator = await database_sync_to_async(factories.operator)()
    for path in ("/ws/agent/", "/ws/supervisor/"):
        comm, connected, code = await connect(path, user=operator)
        assert not connected and code == CLOSE_FORBIDDEN, path


async def test_unknown_path_is_refused():
    comm, connected, code = await connect("/ws/nowhere/")
    assert not connected and code == CLOSE_NOT_FOUND


# --- supervisor view ----------------------------------------------------------------------

async def test_supervisor_gets_tenant_snapshot_and_its_events_only(settings):
    settings.CXSMS_WS_SUPERVISOR_MAX_RATE = 20
    ws = await world()
    a, b = ws["a"], ws["b"]
    await offer(a, a["agent"], contact="+12025550111")
    comm, snap = await open_socket("/ws/supervisor/", user=a["supervisor"])
    assert snap["tenant"]["id"] == a["tenant"].id
    agents = {x["username"]: x for x in snap["agents"]}
    assert set(agents) == {a["agent"].username, a["agent2"].username}
    assert agents[a["agent"].username]["sms"] == 1 and agents[a["agent"].username]["session_limit"] == 5
    assert agents[a["agent"].username]["state"] == AgentState.AVAILABLE
    assert [r["contact_number"] for r in snap["rooms"]] == ["+12025550111"]
    assert {q["name"] for q in snap["queues"]} == {a["sms"].name, a["chat"].name}

    await offer(b, b["agent"], contact="+12025550222")
    await nothing_more(comm, 0.5)

    def queued():
        room = _room(a, agent=None, state=RoomState.QUEUED, contact="+12025550333")
        events.room_queued(room)

    await run(queued)
    _, ev = await receive_until(comm, "room.queued")
    assert ev["room"]["contact_number"] == "+12025550333"
    _, snap2 = await receive_until(comm, "snapshot")
    assert snap2["seq"] > ev["seq"]
    sms_queue = next(q for q in snap2["queues"] if q["skill"] == a["sms"].id)
    assert sms_queue["waiting"] == 1 and sms_queue["oldest_queued_at"]
    assert "+12025550222" not in str(snap2)
    await comm.disconnect()


async def test_supervisor_snapshots_are_throttled(settings):
    settings.CXSMS_WS_SUPERVISOR_MAX_RATE = 2
    w = (await world())["a"]
    comm, _ = await open_socket("/ws/supervisor/", user=w["admin"])
    started = time.monotonic()
    for i in range(10):
        await run(events.to_supervisors, w["tenant"].id, {"type": "agent.state", "agent": w["agent"].id, "state": "available"})
    sending = time.monotonic() - started  # a busy machine (parallel tests) stretches it past a second
    msgs = []
    while not await comm.receive_nothing(timeout=1.2):
        msgs.append(await comm.receive_json_from())
    kinds = [m["type"] for m in msgs]
    assert kinds.count("agent.state") == 10
    # Ten changes, at most two snapshots a second: one at once, then one per half second of sending.
    assert 1 <= kinds.count("snapshot") <= 2 + int(sending * 2), (kinds, sending)
    assert [m["seq"] for m in msgs] == list(range(2, 2 + len(msgs)))
    await comm.disconnect()


# --- web chat and simulator ---------------------------------------------------------------

async def test_chat_socket_with_unknown_token_is_refused():
    await world()
    comm, connected, code = await connect("/ws/chat/no-such-token/")
    assert not connected and code == CLOSE_NOT_FOUND


async def test_chat_socket_receives_its_rooms_messages():
    w = (await world())["a"]
    room = await offer(w, w["agent"], channel=Channel.CHAT, chat_token="tok-abc", body="hello from chat")
    other = await offer(w, w["agent"], channel=Channel.CHAT, chat_token="tok-other", body="other chat")
    comm, snap = await open_socket("/ws/chat/tok-abc/")  # no login: the token is the secret
    assert [m["body"] for m in snap["messages"]] == ["hello from chat"]
    assert "agent" not in str(snap["room"]) and "tok-abc" not in str(snap)

    def reply(r, body):
        m = Message.objects.create(room=r, tenant=r.tenant, direction=Direction.OUTBOUND, body=body, status=MessageStatus.SENT,
                                   author=w["agent"])
        events.room_message(r, m)

    await run(reply, other, "not for you")
    await run(reply, room, "Hi Goldilocks")
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "chat.message" and ev["message"]["body"] == "Hi Goldilocks" and ev["seq"] == 2

    def close():
        Room.objects.filter(pk=room.pk).update(state=RoomState.CLOSED, close_reason="ended_by_agent")
        room.refresh_from_db()
        events.room_closed(room)

    await run(close)
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "chat.closed" and ev["seq"] == 3
    await comm.disconnect()


async def test_simulator_socket_gets_its_tenants_texts():
    ws = await world()
    a, b = ws["a"], ws["b"]
    comm, snap = await open_socket("/ws/simulator/", user=a["admin"])
    assert snap["tenant"] == a["tenant"].id
    await run(events.simulator_text, b["tenant"].id, from_number="+1", to_number="+2", body="B", sid="SM1")
    await run(events.simulator_text, a["tenant"].id, from_number="+12125550100", to_number="+12025550101", body="Hi", sid="SM2")
    ev = await comm.receive_json_from(timeout=5)
    assert ev == {"type": "simulator.text", "from": "+12125550100", "to": "+12025550101", "body": "Hi", "sid": "SM2", "seq": 2}
    await comm.disconnect()


async def test_the_operators_simulator_socket_follows_the_tenant_the_page_shows():
    """The operator has no tenant: the simulator page names one (?tenant=<id>); replies of that tenant arrive."""
    ws = await world()
    a, b = ws["a"], ws["b"]
    operator = await database_sync_to_async(factories.operator)()
    comm, snap = await open_socket(f"/ws/simulator/?tenant={b['tenant'].id}", user=operator)
    assert snap["tenant"] == b["tenant"].id
    await run(events.simulator_text, a["tenant"].id, from_number="+1", to_number="+2", body="A", sid="SM1")
    await run(events.simulator_text, b["tenant"].id, from_number="+12125550100", to_number="+12025550101", body="Hi", sid="SM2")
    ev = await comm.receive_json_from(timeout=5)
    assert (ev["body"], ev["sid"]) == ("Hi", "SM2")
    await comm.disconnect()
    for bad in ("999999", "x", "²"):
        comm, connected, code = await connect(f"/ws/simulator/?tenant={bad}", user=operator)
        assert not connected and code == CLOSE_NOT_FOUND, bad
    # A tenant's own user always gets their own tenant, whatever the query says.
    comm, snap = await open_socket(f"/ws/simulator/?tenant={b['tenant'].id}", user=a["admin"])
    assert snap["tenant"] == a["tenant"].id
    await comm.disconnect()


# --- through the text hub's services (what the product really does) --------------------------

async def test_text_hub_flow_reaches_agent_and_supervisor_in_order(settings):
    settings.CXSMS_WS_SUPERVISOR_MAX_RATE = 50
    from routing.hub import inbound, outbound, rooms
    from routing.acd import offers

    w = (await world())["a"]
    agent = w["agent"]
    comm, snap = await open_socket("/ws/agent/", user=agent)
    sup, _ = await open_socket("/ws/supervisor/", user=w["supervisor"])

    await database_sync_to_async(inbound.inbound_sms)(poc=w["poc"], message_sid="SM" + "1" * 32, from_number="+12025550199",
                                                      body="Is the porridge too hot?")
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.offered" and ev["seq"] == 2 and ev["first_message"]["body"] == "Is the porridge too hot?"
    room = await database_sync_to_async(Room.objects.get)(pk=ev["room"]["id"])
    _, sup_ev = await receive_until(sup, "room.offered")
    assert sup_ev["room"]["id"] == room.id

    await database_sync_to_async(offers.room_accept)(room=room, agent=agent)
    ev = await comm.receive_json_from(timeout=5)
    assert ev["type"] == "room.assigned" and ev["room"]["state"] == RoomState.ACTIVE and ev["room"]["expires_at"]
    await database_sync_to_async(outbound.message_send)(room=room, author=agent, body="Just right.")
    _, ev = await receive_until(comm, "room.message")
    assert ev["message"]["body"] == "Just right." and ev["message"]["author"] == agent.username
    await database_sync_to_async(rooms.room_end)(room=room, actor=agent)
    skipped, ev = await receive_until(comm, "room.closed")
    assert all(m["type"] in ("message.status", "room.updated") for m in skipped), skipped
    assert ev["room"]["close_reason"] == "ended_by_agent"
    _, sup_ev = await receive_until(sup, "room.closed")
    _, sup_snap = await receive_until(sup, "snapshot")
    assert sup_snap["rooms"] == []
    await comm.disconnect()
    await sup.disconnect()


# --- the workspace's actions over the agent socket ------------------------------------------------

async def next_of(comm, kind, timeout=5):
    """The next frame of this type (events of the action itself may come before or after its reply)."""
    for _ in range(10):
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} frame")


async def test_accept_then_send_over_the_socket_replies_with_the_ref_and_changes_the_room():
    w = (await world())["a"]
    agent = w["agent"]
    comm, _ = await open_socket("/ws/agent/", user=agent)
    room = await offer(w, agent)
    assert (await next_of(comm, "room.offered"))["room"]["id"] == room.id
    await comm.send_json_to({"type": "room.accept", "room": room.id, "ref": 7})
    reply = await next_of(comm, "reply")
    assert reply["ref"] == 7 and reply["ok"] and reply["status"] == 200 and reply["data"]["state"] == "active"
    await comm.send_json_to({"type": "message.send", "room": room.id, "body": "Just right, thank you!", "ref": 8})
    reply = await next_of(comm, "reply")
    assert reply["ref"] == 8 and reply["status"] == 201 and reply["data"]["body"] == "Just right, thank you!"
    stored = await database_sync_to_async(lambda: (Room.objects.get(pk=room.pk).state,
                                                   list(Message.objects.filter(room=room, direction=Direction.OUTBOUND)
                                                        .values_list("body", flat=True))))()
    assert stored == (RoomState.ACTIVE, ["Just right, thank you!"])
    await comm.disconnect()


async def test_socket_actions_refuse_like_the_api_and_change_nothing():
    both = await world()
    w, other = both["a"], both["b"]
    agent = w["agent"]
    comm, _ = await open_socket("/ws/agent/", user=agent)
    mine = await offer(w, agent)
    await next_of(comm, "room.offered")
    theirs = await database_sync_to_async(_room)(other, agent=other["agent"])  # another tenant's room
    colleague = await database_sync_to_async(_room)(w, agent=w["agent2"])  # a colleague's offer
    cases = [
        ({"type": "room.accept", "room": theirs.id}, 404),
        ({"type": "room.accept", "room": colleague.id}, 404),
        ({"type": "room.accept", "room": "not-a-number"}, 404),
        ({"type": "message.send", "room": mine.id, "body": "before accepting"}, 400),
        ({"type": "room.end", "room": mine.id}, 400),
    ]
    for ref, (command, status) in enumerate(cases):
        await comm.send_json_to(dict(command, ref=ref))
        reply = await next_of(comm, "reply")
        assert (reply["ref"], reply["ok"], reply["status"]) == (ref, False, status), (command, reply)
    await comm.send_json_to({"type": "room.accept", "room": mine.id, "ref": "x"})
    assert (await next_of(comm, "reply"))["ok"]
    await comm.send_json_to({"type": "message.send", "room": mine.id, "body": "x" * 1601, "ref": "long"})
    reply = await next_of(comm, "reply")
    assert reply["status"] == 400 and "body" in reply["data"]
    counts = await database_sync_to_async(lambda: (Room.objects.get(pk=theirs.pk).state, Room.objects.get(pk=colleague.pk).state,
                                                   Message.objects.filter(direction=Direction.OUTBOUND).count()))()
    assert counts == (RoomState.OFFERED, RoomState.OFFERED, 0)
    await comm.disconnect()


async def test_reject_and_end_over_the_socket():
    w = (await world())["a"]
    agent = w["agent"]
    comm, _ = await open_socket("/ws/agent/", user=agent)
    first, second = await offer(w, agent), await offer(w, agent)
    await comm.send_json_to({"type": "room.reject", "room": first.id, "ref": 1})
    assert (await next_of(comm, "reply"))["ok"]
    await comm.send_json_to({"type": "room.accept", "room": second.id, "ref": 2})
    assert (await next_of(comm, "reply"))["ok"]
    await comm.send_json_to({"type": "room.end", "room": second.id, "ref": 3})
    reply = await next_of(comm, "reply")
    assert reply["ok"] and reply["data"]["state"] == "closed" and reply["data"]["close_reason"] == "ended_by_agent"
    first_after = await database_sync_to_async(lambda: Room.objects.get(pk=first.pk))()
    assert agent.id in first_after.declined_by
    await comm.disconnect()


async def test_socket_actions_stop_when_the_agent_is_deactivated():
    w = (await world())["a"]
    agent = w["agent"]
    comm, _ = await open_socket("/ws/agent/", user=agent)
    room = await offer(w, agent)
    await database_sync_to_async(lambda: User.objects.filter(pk=agent.pk).update(is_active=False))()
    await comm.send_json_to({"type": "room.accept", "room": room.id, "ref": 1})
    reply = await next_of(comm, "reply")
    assert reply["status"] == 403
    assert (await database_sync_to_async(lambda: Room.objects.get(pk=room.pk).state)()) == RoomState.OFFERED
    await comm.disconnect()
