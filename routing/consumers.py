"""Websocket consumers: thin. Authenticate, join server-chosen groups, send a snapshot, forward events.

Every message a consumer sends carries a per-connection `seq` (1 for the first snapshot, then
2, 3, ...). Events reach a consumer from the channel layer as {"type": "push", "event": {...}}
(routing/events.py); the database stays the truth, so whenever a push may have been lost the
consumer sends a fresh snapshot instead of guessing. docs/websockets.md is the public description.
"""
import asyncio
import logging
import time

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import timezone
from rest_framework import serializers

from . import events, selectors, threads
from .acd import declines, offers
from .api.base import drf_error_detail
from .choices import Channel, Role
from .hub import delivery, outbound, rooms
from .models import Room, User
from .ops import metrics
from .workspace import snapshots
from .ws_auth import CLOSE_DETAIL, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, Grant

log = logging.getLogger("cxsms.ws")


# Reads and actions for sockets run in the loop's worker threads, which keep their connections
# (routing/threads.py), not in the one thread that thread-sensitive calls share.
_in_worker_thread = threads.in_worker_thread


@_in_worker_thread
def _agent_snapshot(user):
    data = selectors.agent_snapshot(user)
    mode = delivery.mode_for(user.tenant, Channel.SMS)
    if mode is not None:
        data.update(mode.agent_snapshot(user))  # the delivery mode's own page (a Digital agent's cases)
    return data


@_in_worker_thread
def _agent_event_seqs(user_ids):
    """id -> (event_seq, (is_active, tenant id, role)) of the agents with a socket here."""
    rows = User.objects.filter(pk__in=user_ids).values_list("id", "event_seq", "is_active", "tenant_id", "role")
    return {pk: (seq, rest) for pk, seq, *rest in rows}


@_in_worker_thread
def _check_grant(grant):
    return grant.still_refused()


async def _still_refused(grant):
    """The grant re-checked. A lock held by a writer (SQLite: the very write that changed the
    rights may still be finishing) is waited out briefly rather than taken for an answer."""
    for delay in (0.05, 0.2, 0.5):
        try:
            return await _check_grant(grant)
        except OperationalError:
            log.warning("rights check of user %s met a locked database; retrying", grant.user_id)
            await asyncio.sleep(delay)
    return await _check_grant(grant)


AGENT_ACTIONS = ("room.accept", "room.reject", "room.end", "message.send")
BUSY = "The server was too busy to answer in time, so this may not have been done: the screen shows what was done once it catches up."
NOT_A_ROOM = "No such room: give the room as its number, for example {\"room\": 12}."


def _room_id(value):
    """A room id from an action: an integer, or a string of ASCII digits ("12"); else None. Not
    str.isdigit(), which also accepts "²" and other digits int() refuses."""
    if type(value) is int:
        return value if 0 < value < 2 ** 63 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


@_in_worker_thread
def _agent_action(grant, user, content):
    """One workspace action sent over the agent's socket, through the same services and scoping as
    the REST API (rooms/{id}/accept/, reject/, end/, messages/; a delivery mode's own actions, such
    as a Digital agent's cases: routing.hub.delivery.SocketAction). Returns (reply frame, close code
    or None): the sign-in and the role the socket was opened with are checked first, as every
    request checks them."""
    kind, ref = content.get("type"), content.get("ref")

    def reply(status, data):
        return {"type": "reply", "ref": ref, "action": kind, "ok": status < 400, "status": status, "data": data}

    mode_action = None if kind in AGENT_ACTIONS else delivery.agent_action(kind)
    # One statement: the sign-in the socket rests on (re-checked before every action) and whether the
    # room (or the mode's object: of the agent's tenant) is theirs.
    object_id = _room_id(content.get("room" if mode_action is None else mode_action.key))
    sign_in, theirs = selectors.sign_in_and_room(user_id=user.pk, room_id=object_id, model=mode_action and mode_action.model,
                                                 **grant.keys())
    refused = grant.refusal(sign_in)
    if refused:
        return reply(401 if refused == CLOSE_UNAUTHENTICATED else 403, {"detail": CLOSE_DETAIL[refused]}), refused
    if mode_action is not None:
        key = mode_action.key
        if object_id is None:
            return reply(404, {"detail": f"No such {key}: give the {key} as its number, for example {{\"{key}\": 12}}."}), None
        if not selectors.is_active_agent(sign_in):
            return reply(403, {"detail": "You are not allowed to do this."}), None
        if not theirs:  # as the REST API's get_object: another tenant's is not found, before its input is read
            return reply(404, {"detail": f"No such {key}: it may belong to another company."}), None
        try:
            return reply(*mode_action.run(user, object_id, content)), None
        except ValidationError as exc:
            return reply(400, drf_error_detail(exc)), None
        except serializers.ValidationError as exc:  # the REST API's input rules, run by the action on the frame
            return reply(400, exc.detail), None
        except PermissionDenied as exc:
            return reply(403, {"detail": str(exc) or "You are not allowed to do this."}), None
    if object_id is None:
        # As the REST API answers rooms/<anything but a number>/accept/: not found, saying why.
        return reply(404, {"detail": NOT_A_ROOM}), None
    # As the REST API does per request: the person must still be an active agent, and the room theirs.
    if not selectors.is_active_agent(sign_in):
        return reply(403, {"detail": "You are not allowed to do this."}), None
    if not theirs:
        return reply(404, {"detail": "Not found — it may have ended already."}), None
    room = Room(pk=object_id)  # the services lock it and read it
    try:
        if kind == "room.accept":
            return reply(200, selectors.room_payload(offers.room_accept(room=room, agent=user))), None
        if kind == "room.reject":
            return reply(200, selectors.room_payload(declines.room_reject(room=room, agent=user))), None
        if kind == "room.end":
            # Wrap-up as rooms/{id}/end/ takes it: a disposition id of the tenant, a summary.
            disposition = None
            if content.get("disposition") is not None:
                disposition = selectors.dispositions_for(user).filter(pk=_room_id(content.get("disposition"))).first()
                if disposition is None:
                    return reply(400, {"disposition": ["Choose one of the dispositions offered."]}), None
            ended = rooms.room_end(room=room, actor=user, disposition=disposition, summary=content.get("summary") or "")
            return reply(200, selectors.room_payload(ended)), None
        message = outbound.message_send(room=room, author=user, body=content.get("body"))
        return reply(201, selectors.message_payload(message)), None
    except ValidationError as exc:
        return reply(400, drf_error_detail(exc)), None
    except PermissionDenied as exc:
        return reply(403, {"detail": str(exc) or "You are not allowed to do this."}), None


class SequenceWatch:
    """The agent feeds' database check, one per process (per event loop): every
    CXSMS_WS_AGENT_CHECK_INTERVAL seconds one query reads the sequence of every agent with a socket
    here, and whether they are still an active agent of the same tenant (a safety net under the
    rights push of routing/signals.py, should that push be lost: such a socket closes). A socket
    whose agent's sequence was ahead of what it sent at two checks in a row (so not a push still on
    its way) gets a fresh snapshot: the *last* push was lost, and no later event
    can reveal the gap."""

    _by_loop = {}

    @classmethod
    def join(cls, consumer):
        loop = asyncio.get_running_loop()
        watch = cls._by_loop.get(loop)
        if watch is None:
            for old in [lp for lp in cls._by_loop if lp.is_closed()]:
                del cls._by_loop[old]
            watch = cls._by_loop[loop] = cls()
            watch.task = loop.create_task(watch.run())
        watch.sockets.setdefault(consumer.user.id, set()).add(consumer)
        return watch

    def __init__(self):
        self.sockets = {}  # agent id -> consumers
        self.task = None

    def leave(self, consumer):
        group = self.sockets.get(consumer.user.id)
        if group is not None:
            group.discard(consumer)
            if not group:
                del self.sockets[consumer.user.id]

    async def run(self):
        while True:
            await asyncio.sleep(settings.CXSMS_WS_AGENT_CHECK_INTERVAL)
            if not self.sockets:
                continue
            try:
                current = await _agent_event_seqs(list(self.sockets))
            except Exception:  # a failed check waits for the next one; the sockets stay up
                log.exception("agent sequence check failed")
                continue
            for agent_id in list(self.sockets):
                seq, rights = current.get(agent_id, (None, None))
                for consumer in list(self.sockets.get(agent_id, ())):
                    if seq is None or rights != [True, consumer.grant.tenant_id, consumer.grant.role]:
                        async with consumer.lock:
                            await consumer.rights_refused()
                    elif not consumer.closed:
                        await consumer.check_sequence(seq)


@database_sync_to_async
def _supervisor_snapshot(tenant_id):
    return snapshots.supervisor_snapshot(tenant_id)


@database_sync_to_async
def _transcript(tenant_id, room_id):
    return snapshots.transcript_for(tenant_id, room_id)


@database_sync_to_async
def _transcript_message(tenant_id, room_id, message_id):
    return snapshots.transcript_message(tenant_id, room_id, message_id)


@database_sync_to_async
def _chat_exists(token):
    return snapshots.chat_room_for_token(token) is not None


@database_sync_to_async
def _chat_snapshot(token):
    return snapshots.chat_snapshot(token)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Shared mechanics: one group, a numbered outgoing stream, snapshot on connect and on request.

    Sends go through `emit`, under a lock, so the background tasks (periodic checks, throttled
    snapshots) and the handlers never interleave or reorder `seq`.
    """

    group = None
    grant = None  # sockets of a signed-in person: what they were allowed on (ws_auth.Grant)
    closed = False
    unknown_message = "Unknown message; send {\"type\": \"resync\"} or {\"type\": \"ping\"}."

    async def connect(self):
        self.seq = 0
        self.lock = asyncio.Lock()
        self.tasks = []
        refusal = await self.authorize()
        if refusal:
            await self.close(code=refusal)
            return
        self.group = self.group_name()
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.grant is not None:
            # The user's own group: a change of their rights reaches every socket of theirs, in
            # every process (routing/signals.py), before it joins the feed's group's traffic.
            await self.channel_layer.group_add(events.user_group(self.grant.user_id), self.channel_name)
        await self.accept()
        # Joined before the snapshot is read: an event committed meanwhile is either in the
        # snapshot or arrives after it (and is dropped or applied idempotently).
        async with self.lock:
            await self.send_snapshot()
        self.started()

    async def websocket_disconnect(self, message):
        # From here on nothing is sent: a push or a background task racing the disconnect is
        # dropped quietly instead of failing on a closed socket.
        self.closed = True
        await super().websocket_disconnect(message)

    async def disconnect(self, code):
        for task in getattr(self, "tasks", []):
            task.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.grant is not None:
            await self.channel_layer.group_discard(events.user_group(self.grant.user_id), self.channel_name)

    # --- to override -----------------------------------------------------------------------
    async def authorize(self):
        """Return a close code to refuse the connection, or None."""
        raise NotImplementedError

    def group_name(self):
        raise NotImplementedError

    async def snapshot(self):
        raise NotImplementedError

    def started(self):
        """Start background tasks once the first snapshot is out."""

    async def on_event(self, event):
        await self.emit(event)

    # --- mechanics -------------------------------------------------------------------------
    async def dispatch(self, message):
        """Channels' dispatch without its `aclose_old_connections()` before every message: that is a
        hop to the thread-sensitive thread for each event and frame (about a tenth of a server's CPU
        at load, docs/benchmarks.md), for connections these async consumers never leave open: their
        database work runs in hops that settle their own connection (routing/threads.py,
        database_sync_to_async)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def emit(self, payload):
        if self.closed:
            return
        self.seq += 1
        try:
            await self.send_json(dict(payload, seq=self.seq))
        except Disconnected:
            # daphne (autobahn) between the client's close frame and the end of the connection:
            # the push raced the disconnect. Nothing more goes out; websocket.disconnect follows.
            self.closed = True

    async def end_for_rights(self, code):
        """Close the socket because the user's rights ended: a last frame saying why, then the
        close code (4401: sign in again; 4403: no longer allowed). docs/websockets.md."""
        if self.closed:
            return
        log.info("closing socket of user %s: %s", self.grant.user_id, code)
        await self.emit({"type": "closing", "code": code, "detail": CLOSE_DETAIL[code]})
        self.closed = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:  # the periodic refresh may be the one closing
                task.cancel()
        try:
            await self.close(code=code)
        except Disconnected:  # the client was closing anyway
            pass

    async def rights_refused(self):
        """Re-check the socket's grant now; close it if it no longer holds. True when closed."""
        if self.grant is None or self.closed:
            return self.closed
        refused = await _still_refused(self.grant)
        if refused:
            await self.end_for_rights(refused)
        return bool(refused)

    async def rights_changed(self, event):
        """The user's rights changed somewhere (routing/signals.py): an ended session is named by
        its fingerprint (it may not be gone from the store yet); anything else is re-checked."""
        async with self.lock:
            if self.closed:
                return
            if self.grant.names_session(event.get("ended_session")):
                await self.end_for_rights(CLOSE_UNAUTHENTICATED)
            else:
                await self.rights_refused()

    async def send_snapshot(self):
        if self.closed:
            return
        data = await self.snapshot()
        data.setdefault("server_time", timezone.now().isoformat())
        await self.emit(data)
        metrics.record_snapshot_sent(type(self).__name__.removesuffix("Consumer").lower())

    async def push(self, message):
        """Channel-layer handler for {"type": "push", "event": {...}} (routing.events)."""
        event = message["event"]
        if event.get("type") == events.RIGHTS_CHANGED:
            if self.grant is not None:
                await self.rights_changed(event)
            return
        async with self.lock:
            if not self.closed:
                await self.on_event(event)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        async with self.lock:
            if self.closed:
                return
            if kind == "resync":
                if not await self.rights_refused():  # a snapshot is a read like any other
                    await self.send_snapshot()
            elif kind == "ping":
                await self.emit({"type": "pong"})
            else:
                await self.emit({"type": "error", "detail": self.unknown_message})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = await self.decode_json(text_data) if text_data is not None else None
        except (ValueError, RecursionError):  # not JSON (or nested beyond reason)
            content = None
        if content is None:
            async with self.lock:
                await self.emit({"type": "error", "detail": "Messages are JSON objects."})
            return
        await self.receive_json(content, **kwargs)

    def spawn(self, coro):
        self.tasks.append(asyncio.ensure_future(coro))


def _tenant_user(user):
    """Close code for a socket that needs a signed-in person of a tenant, or None."""
    if user is None or not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    if not user.is_active or user.tenant_id is None:
        return CLOSE_FORBIDDEN
    return None


class AgentConsumer(LiveConsumer):
    """/ws/agent/: one agent's workspace feed.

    Events to an agent carry `agent_seq`, the agent's database sequence bumped in the same
    transaction as the change. An event at or below the last seen value is already in the screen
    (it raced the snapshot) and is dropped; one above last+1 is held back for up to
    CXSMS_WS_GAP_WAIT seconds: with several server processes an agent's events come from each of
    them and may overtake each other, and the missing one usually follows within milliseconds.
    Then the held events go out in order. If it does not come, it was lost, and a fresh snapshot
    goes out instead. The process's SequenceWatch compares the database's sequence with the last
    one sent, so a lost *last* event is recovered too.
    """

    async def authorize(self):
        self.user = self.scope.get("user")
        refusal = _tenant_user(self.user)
        if refusal:
            return refusal
        if self.user.role != Role.AGENT:
            return CLOSE_FORBIDDEN
        self.grant = Grant.from_scope(self.scope, self.user)
        return None

    @property
    def unknown_message(self):
        return ("Unknown message; send {\"type\": \"resync\"}, {\"type\": \"ping\"} or an action: "
                + ", ".join((*AGENT_ACTIONS, *delivery.agent_action_names())) + " (docs/websockets.md).")

    def group_name(self):
        return events.agent_group(self.user.id)

    async def snapshot(self):
        data = await _agent_snapshot(self.user)
        self.agent_seq = data.get("agent_seq") or 0
        return data

    def started(self):
        self.behind_at = None  # the agent_seq this socket had when the database was first seen ahead
        self.early_events = {}  # agent_seq -> event that arrived before the one before it
        self.gap_timer = None
        self.watch = SequenceWatch.join(self)

    async def disconnect(self, code):
        if getattr(self, "watch", None) is not None:
            self.watch.leave(self)
        if getattr(self, "gap_timer", None) is not None:
            self.gap_timer.cancel()
        await super().disconnect(code)

    async def on_event(self, event):
        agent_seq = event.get("agent_seq")
        if agent_seq is None:
            await self.emit(event)
        elif agent_seq <= self.agent_seq:
            return  # already part of the last snapshot
        elif agent_seq == self.agent_seq + 1:
            self.agent_seq = agent_seq
            await self.emit(event)
            await self._release_held()
        else:
            self.early_events[agent_seq] = event
            if self.gap_timer is None:
                self.gap_timer = asyncio.get_running_loop().create_task(self._gap_expired(self.agent_seq))

    async def _release_held(self):
        """Send the held events that now follow in order; drop those a snapshot covered."""
        for seq in [seq for seq in self.early_events if seq <= self.agent_seq]:
            del self.early_events[seq]
        while self.agent_seq + 1 in self.early_events:
            self.agent_seq += 1
            await self.emit(self.early_events.pop(self.agent_seq))
        if not self.early_events and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    async def _gap_expired(self, waiting_after):
        await asyncio.sleep(settings.CXSMS_WS_GAP_WAIT)
        async with self.lock:
            self.gap_timer = None
            await self._release_held()  # a snapshot meanwhile (resync, sequence check) may have closed the gap
            if self.early_events and self.agent_seq == waiting_after:
                log.info("agent %s: agent_seq %s never came (held %s), resyncing",
                         self.user.id, waiting_after + 1, sorted(self.early_events))
                await self.send_snapshot()
                await self._release_held()
            if self.early_events and self.gap_timer is None:  # another gap is open: wait for it in turn
                self.gap_timer = asyncio.get_running_loop().create_task(self._gap_expired(self.agent_seq))

    async def receive_json(self, content, **kwargs):
        """The workspace's actions (docs/websockets.md), answered by a `reply` carrying the client's
        `ref`. A consumer handles one message at a time, so events for this socket wait for it."""
        kind = content.get("type") if isinstance(content, dict) else None
        if isinstance(kind, str) and (kind in AGENT_ACTIONS or delivery.agent_action(kind) is not None):
            try:
                answer, refused = await _agent_action(self.grant, self.user, content)
            except OperationalError:
                # A database too busy to answer in time (SQLite's lock wait ran out under overload). Said so, as
                # the REST API fails such a request, instead of the socket dropping with the exception.
                log.warning("agent %s: %s met a busy database", self.user.id, kind)
                answer, refused = {"type": "reply", "ref": content.get("ref"), "action": kind, "ok": False, "status": 503,
                                   "data": {"detail": BUSY}}, None
            async with self.lock:
                await self.emit(answer)
                if refused:
                    await self.end_for_rights(refused)
            return
        await super().receive_json(content, **kwargs)

    async def check_sequence(self, current):
        """SequenceWatch: the database's sequence for this agent, now."""
        if current <= self.agent_seq:
            self.behind_at = None
            return
        if self.behind_at != self.agent_seq:
            self.behind_at = self.agent_seq  # maybe a push still on its way: look again next time
            return
        async with self.lock:
            if current > self.agent_seq:  # the missing event may have arrived meanwhile
                log.info("agent %s: event_seq %s > %s seen, resyncing", self.user.id, current, self.agent_seq)
                await self.send_snapshot()
                await self._release_held()
        self.behind_at = None


class SupervisorConsumer(LiveConsumer):
    """/ws/supervisor/: a tenant's supervisors and administrators.

    Every event is forwarded as it comes (for the activity list), and a fresh supervisor snapshot
    follows, coalesced so that at most CXSMS_WS_SUPERVISOR_MAX_RATE (2) snapshots a second go out
    however busy the tenant is. Supervisor events carry no sequence, so a snapshot also goes out
    every CXSMS_WS_SUPERVISOR_REFRESH seconds (10): a lost push is never stale for longer.
    """

    watching = None  # the room whose transcript this socket follows (transcript.open)

    async def authorize(self):
        self.user = self.scope.get("user")
        refusal = _tenant_user(self.user)
        if refusal:
            return refusal
        if self.user.role not in (Role.SUPERVISOR, Role.ADMIN):
            return CLOSE_FORBIDDEN
        self.grant = Grant.from_scope(self.scope, self.user)
        return None

    def group_name(self):
        return events.supervisors_group(self.user.tenant_id)

    async def snapshot(self):
        self.last_snapshot = time.monotonic()
        return await _supervisor_snapshot(self.user.tenant_id)

    def started(self):
        self.pending = None
        self.spawn(self._refresh())

    async def receive_json(self, content, **kwargs):
        """`transcript.open` ({"room": id}): follow one of the tenant's rooms read-only: a `transcript`
        frame with its messages, then a `transcript.message` frame for each new message; one room at a
        time. `transcript.close`: stop. Anything else as every feed."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in ("transcript.open", "transcript.close"):
            return await super().receive_json(content, **kwargs)
        async with self.lock:
            if self.closed or await self.rights_refused():  # a transcript is a read like any other
                return
            if kind == "transcript.close":
                self.watching = None
                await self.emit({"type": "transcript.closed"})
                return
            room_id = _room_id(content.get("room"))
            data = await _transcript(self.user.tenant_id, room_id) if room_id is not None else None
            if data is None:
                await self.emit({"type": "error", "detail": "No such conversation: it may belong to another tenant."})
                return
            self.watching = room_id
            await self.emit({"type": "transcript", "room": data})

    async def on_event(self, event):
        await self.emit(event)
        if event.get("type") == "room.message" and self.watching is not None and event.get("room_id") == self.watching:
            # Supervisors' room.message carries ids only; the watched room's message is read here, scoped to the tenant.
            message = await _transcript_message(self.user.tenant_id, self.watching, event.get("message_id"))
            if message is not None:
                await self.emit({"type": "transcript.message", "room_id": self.watching, "message": message})
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self._throttled_snapshot())
            self.tasks.append(self.pending)

    async def _throttled_snapshot(self):
        gap = 1.0 / settings.CXSMS_WS_SUPERVISOR_MAX_RATE
        # Wait a little even when idle, so a burst of events (one routing decision makes several)
        # is rendered from one snapshot.
        await asyncio.sleep(max(0.05, self.last_snapshot + gap - time.monotonic()))
        try:
            async with self.lock:
                await self.send_snapshot()
        except Exception:  # the periodic refresh will try again
            log.exception("supervisor snapshot failed")
        self.tasks = [t for t in self.tasks if not t.done()]

    async def _refresh(self):
        interval = settings.CXSMS_WS_SUPERVISOR_REFRESH
        while not self.closed:
            await asyncio.sleep(interval / 2)
            try:
                if time.monotonic() - self.last_snapshot >= interval:
                    async with self.lock:
                        # Also the safety net under the rights push (routing/signals.py).
                        if not await self.rights_refused():
                            await self.send_snapshot()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("supervisor snapshot refresh failed")


class ChatConsumer(LiveConsumer):
    """/ws/chat/<token>/: a web-chat contact's page. No login: the token is the secret, and the
    socket joins the room's group only if a chat room with that token exists."""

    async def authorize(self):
        self.token = self.scope["url_route"]["kwargs"]["token"]
        if not await _chat_exists(self.token):
            return CLOSE_NOT_FOUND
        return None

    def group_name(self):
        return events.chat_group(self.token)

    async def snapshot(self):
        return await _chat_snapshot(self.token) or {"type": "snapshot", "room": None, "messages": []}


class SimulatorConsumer(LiveConsumer):
    """/ws/simulator/: the phone simulator page of a signed-in person of a tenant; receives the
    texts the simulated carrier "delivers" to simulated phones (simulator.text)."""

    tenant_id = None

    async def authorize(self):
        self.user = self.scope.get("user")
        user = self.user
        if user is not None and user.is_authenticated and user.is_active and user.is_superuser and user.tenant_id is None:
            # The platform operator has no tenant: the page's tenant picker names it (?tenant=<id>).
            self.tenant_id = await _simulator_tenant_id(self.scope)
            if self.tenant_id is None:
                return CLOSE_NOT_FOUND
        else:
            refusal = _tenant_user(user)
            if refusal is not None:
                return refusal
            self.tenant_id = user.tenant_id
        self.grant = Grant.from_scope(self.scope, user)
        return None

    def group_name(self):
        return events.simulator_group(self.tenant_id)

    async def snapshot(self):
        return {"type": "snapshot", "tenant": self.tenant_id}


@database_sync_to_async
def _simulator_tenant_id(scope):
    """The tenant the operator's simulator page shows: ?tenant=<id>, else the first by name (as the page)."""
    from urllib.parse import parse_qs

    from .models import Tenant

    raw = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("tenant") or [""])[0]
    if raw:
        tenant_id = _room_id(raw)  # the same check as any id a socket is given
        return Tenant.objects.filter(pk=tenant_id).values_list("pk", flat=True).first() if tenant_id else None
    return Tenant.objects.order_by("name").values_list("pk", flat=True).first()


class NotFoundConsumer(AsyncJsonWebsocketConsumer):
    """Any other websocket path: refused with 4404."""

    async def connect(self):
        await self.close(code=CLOSE_NOT_FOUND)
