"""Live events, sent only after the transaction that caused them commits.

Groups are named here from ids the server knows, never from client input:
  agent.<user id>         one agent's workspace sockets (every event carries the agent's `agent_seq`)
  supervisors.<tenant id> supervisor and administrator views of one tenant
  chat.<token>            one web-chat contact's page
  simulator.<tenant id>   the phone simulator page of one tenant (texts sent to simulated phones)
  user.<user id>          every socket of one signed-in person: only `rights.changed`, never shown

Every event is a dict with a `type` (prefixed by concept: room.*, agent.*, message.*). The consumers
add a per-connection `seq`. docs/websockets.md documents each type.
"""
import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _consistent_hash, decode_hosts
from django.db import transaction

from . import selectors, sql
from .ops import metrics

log = logging.getLogger("cxsms.events")


def agent_group(agent_id):
    return f"agent.{agent_id}"


def supervisors_group(tenant_id):
    return f"supervisors.{tenant_id}"


def chat_group(token):
    return f"chat.{token}"


def simulator_group(tenant_id):
    return f"simulator.{tenant_id}"


def user_group(user_id):
    return f"user.{user_id}"


RIGHTS_CHANGED = "rights.changed"


def user_rights_changed(user_id, ended_session=None):
    """The user's sign-in or permissions changed (routing/signals.py): each of their sockets
    re-checks what it was opened with and closes if that no longer holds. `ended_session` is the
    fingerprint (ws_auth.session_fingerprint) of a session that ended: its sockets close at once."""
    send(user_group(user_id), {"type": RIGHTS_CHANGED, "ended_session": ended_session})


class Pump:
    """Hands pushes to the channel layer from a server process's event loop, without making the
    request's thread wait for them. With async_to_sync each push held the request's thread for a
    round trip to Redis and for the event loop's turn, several times per text. Here the thread only queues the push; one task on the loop
    sends what has queued up, group by group in order (an agent's events keep their order; their
    `agent_seq` lets a page notice a push that never came anyway)."""

    def __init__(self, loop):
        self.loop = loop
        self.queue = asyncio.Queue()

    async def run(self):
        while True:
            batch = [await self.queue.get()]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            by_group = {}
            for group, message in batch:
                by_group.setdefault(group, []).append(message)
            await asyncio.gather(*(self._send_in_order(group, messages) for group, messages in by_group.items()))

    async def _send_in_order(self, group, messages):
        layer = get_channel_layer()
        for message in messages:
            try:
                await layer.group_send(group, message)
                metrics.record_event_pushed(message["event"]["type"])
            except Exception:  # a lost push delays an update until the next snapshot; it never loses data
                metrics.record_push_failed()
                log.exception("push to %s failed", group)

    def submit(self, group, message):
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message))


_pump = None
_publisher = None


class Publisher:
    """A worker process's pushes on the pub/sub layer (channels_redis.pubsub): published from the job's
    own thread with a plain Redis client, in the layer's format (its group channel name and serializer).
    Through the pump every push crossed to an event loop's thread and back, about a third of a worker's
    CPU per text (docs/benchmarks.md); a worker holds no websocket, so it needs no loop."""

    def __init__(self, layer):
        import redis

        self.layer = layer
        self.names = RedisPubSubLoopLayer(**layer._kwargs, channel_layer=layer)  # its channel names, no connection
        self.clients = [redis.Redis.from_url(host["address"], **{k: v for k, v in host.items() if k != "address"})
                        for host in decode_hosts(layer._kwargs.get("hosts"))]

    def publish(self, group, message):
        name = self.names._get_group_channel_name(group)
        self.clients[_consistent_hash(name, len(self.clients))].publish(name, self.layer.serialize(message))


def publish_directly():
    """In a process without websockets (run_worker): push through a Publisher when the layer is the
    pub/sub one on plain Redis addresses. Returns whether it does."""
    global _publisher
    layer = get_channel_layer()
    hosts = getattr(layer, "_kwargs", {}).get("hosts") or []
    if not isinstance(layer, RedisPubSubChannelLayer) or not all(isinstance(h, dict) and "address" in h for h in hosts):
        return False
    _publisher = Publisher(layer)
    return True


def ensure_pump():
    """Start the pump on the running event loop unless one runs there already. Called on the loop that
    serves the ASGI application (serve_with_pump, routing.workers), so the process's pushes go
    through the loop that also holds its websockets."""
    global _pump
    loop = asyncio.get_running_loop()
    if _pump is None or _pump.loop is not loop:
        _pump = Pump(loop)
        _pump.task = loop.create_task(_pump.run())  # held: the loop keeps only a weak reference to tasks
    return _pump


def start_pump(loop):
    """From another thread: start the pump on `loop`, running in a thread of its own (the benchmarks)."""
    async def start():
        return ensure_pump()

    return asyncio.run_coroutine_threadsafe(start(), loop).result(10)


def serve_with_pump(app):
    """The ASGI application, hosting the push pump on whichever loop serves it (daphne's, or a test's)."""
    async def application(scope, receive, send):
        ensure_pump()
        return await app(scope, receive, send)

    return application


def _send_now(group, event):
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "push", "event": event}
    if _publisher is not None:
        try:
            _publisher.publish(group, message)
            metrics.record_event_pushed(event["type"])
        except Exception:  # a lost push delays an update until the next snapshot; it never loses data
            metrics.record_push_failed()
            log.exception("push to %s failed", group)
        return
    if _pump is not None and _pump.loop.is_running():
        _pump.submit(group, message)
        return
    try:  # no serving loop in this process (management commands, a server before its first request): send and wait
        async_to_sync(layer.group_send)(group, message)
        metrics.record_event_pushed(event["type"])
    except Exception:  # a lost push delays an update until the next snapshot; it never loses data
        metrics.record_push_failed()
        log.exception("push to %s failed", group)


def send(group, event):
    """Send `event` to `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send_now(group, event))


def sequence_statement(agent_id):
    """(sql, params) that bump the agent's event sequence and return it: for a caller that sends it
    with its own writes (routing.sql.pipeline) and gives the result to `to_agent`."""
    # One statement (SQLite ≥ 3.35 and PostgreSQL both have RETURNING).
    return f"UPDATE {sql.tables()['user']} SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq", [agent_id]


def to_agent(agent_id, event, agent_seq=None):
    """Bump the agent's sequence in this transaction and push the event with it. `agent_seq`: the
    caller already bumped it in its own update of the agent's row (the engine's offer), or with
    `sequence_statement`."""
    if agent_seq is None:
        found = sql.row(*sequence_statement(agent_id))
        agent_seq = found[0] if found else None
    send(agent_group(agent_id), dict(event, agent_seq=agent_seq))


def to_supervisors(tenant_id, event):
    send(supervisors_group(tenant_id), event)


def _room_event(kind, room, agent_id=None, agent_seq=None, agent_username=None, **extra):
    event = {"type": kind, "room": selectors.room_payload(room, agent_username=agent_username), **extra}
    target = agent_id if agent_id is not None else room.agent_id
    if target:
        to_agent(target, event, agent_seq)
    to_supervisors(room.tenant_id, event)
    if kind != "room.closed":  # chat.closed says that one
        _chat_state(room)


def _chat_state(room):
    """The web-chat contact's page follows its room's state (waiting, with an agent, ended); it asks
    for a snapshot for its place in the queue."""
    if room.chat_token:
        send(chat_group(room.chat_token), {"type": "chat.state", "state": room.state})


def room_offered(room, first_message, agent_seq=None, agent_username=None):
    """`first_message`: the room's first message (None: it has none), read by the engine with the room;
    `agent_seq`: already bumped by the engine in its update of the agent."""
    first = selectors.message_payload(first_message) if first_message is not None else None
    _room_event("room.offered", room, agent_seq=agent_seq, agent_username=agent_username, first_message=first)


def room_assigned(room, agent_seq=None):
    _room_event("room.assigned", room, agent_seq=agent_seq)


def room_queued(room):
    to_supervisors(room.tenant_id, {"type": "room.queued", "room": selectors.room_payload(room)})
    _chat_state(room)


def room_offer_revoked(room, agent_id, reason):
    """An offer the agent no longer holds (lapsed, rejected, taken back)."""
    _room_event("room.revoked", room, agent_id=agent_id, reason=reason)


def room_updated(room):
    _room_event("room.updated", room)


def room_closed(room, agent_id=None):
    _room_event("room.closed", room, agent_id=agent_id)
    if room.chat_token:
        send(chat_group(room.chat_token), {"type": "chat.closed", "reason": room.close_reason})


def room_message(room, message):
    payload = selectors.message_payload(message)
    event = {"type": "room.message", "room_id": room.id, "message": payload,
             "expires_at": room.expires_at.isoformat() if room.expires_at else None}
    if room.agent_id:
        to_agent(room.agent_id, event)
    to_supervisors(room.tenant_id, {"type": "room.message", "room_id": room.id, "message_id": message.id})
    if room.chat_token:
        send(chat_group(room.chat_token), {"type": "chat.message", "message": payload})


_status_listeners = []


def on_message_status(listener):
    """Another app's pages follow delivery reports too (Digital: the case's agent): `listener(message)`
    is called with every status change, inside its transaction; it pushes with `to_agent` etc."""
    _status_listeners.append(listener)


def message_status(message):
    for listener in _status_listeners:
        listener(message)
    room = message.room
    if room is None:  # a text without a room (a campaign's): its sender follows it, no agent does
        return
    event = {"type": "message.status", "room_id": room.id, "message_id": message.id, "status": message.status,
             "error_code": message.error_code, "error_message": message.error_message}
    if room.agent_id:
        to_agent(room.agent_id, event)


def room_note(room, note):
    """An internal note in a room: to its agent and the tenant's supervisors (never to a chat page or the contact)."""
    event = {"type": "room.note", "room_id": room.id, "note": selectors.note_payload(note)}
    if room.agent_id:
        to_agent(room.agent_id, event)
    to_supervisors(room.tenant_id, event)


def agent_state_changed(agent):
    event = {"type": "agent.state", "agent": agent.id, "state": agent.state, "reason": agent.state_reason}
    to_agent(agent.id, event)
    to_supervisors(agent.tenant_id, event)


def simulator_text(tenant_id, *, from_number, to_number, body, sid):
    """A text a simulated carrier delivered to a simulated phone."""
    send(simulator_group(tenant_id), {"type": "simulator.text", "from": from_number, "to": to_number, "body": body, "sid": sid})
