"""Routing a room to an agent and accepting the offer (R4, R13).

Applying a decision happens in one transaction that locks the room, then the chosen agent's row
(that row only, not its team), and recounts the agent's rooms under that lock, so two processes
routing at once never push an agent over the limit nor give a room to two agents.

Lock order is always room, then agent. An agent is locked only while their row is still routable
(see _try_offer): one who filled up meanwhile is refused without a lock, so a routing transaction
holds the lock of at most the agent it offers to, and two routers trying agents in a different
order cannot deadlock.

Declines: an agent who rejected a room, or let its offer lapse, is skipped for that room. When
nobody else can take it and the last decline is older than `CXSMS_REOFFER_AFTER` seconds
(default 120), the declines are forgotten and the room may be offered to them again, so a contact
is never stranded because the only agents of a skill once said no.
"""
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .. import events, jobs, sql
from ..choices import AgentState, Channel, RoomState
from ..hub.rooms import lock_room, session_timeout
from ..models import Message, Room, RoutingDecision, Skill
from . import capacity
from .candidates import snapshot
from .decision import decide

RELEASE_OUTCOMES = ("rejected", "lapsed", "transferred")  # decisions that add to the declines (transferred: the sender)


def _try_offer(room, agent_id, now, record=None):
    """Offer the locked queued room to an agent if, under the agent's lock, they may still take it.
    Returns (agent, event_seq, None) on success, (None, None, (agent, held)) as found on refusal.
    The agent's update also takes the sequence number of the `room.offered` event (events.to_agent).

    The lock is taken only on a row that is still routable: an agent who filled up or left since
    the snapshot is refused without a lock. Only when the cached count was wrong (never expected)
    is a refused agent's lock kept, to store the correction; PostgreSQL would then break a deadlock
    by failing one routing, which the queue sweep redoes."""
    t = sql.tables()
    found = capacity.agent_row(agent_id, routable_only=True)
    if found is None:
        agent, held = capacity.agent_row(agent_id, lock=False)
        if not capacity.agent_routable(agent, held):
            return None, None, (agent, held)  # raced: as it is now, for the record
        found = capacity.agent_row(agent_id)  # the flag was wrong (never expected): lock, correct it below
    agent, held = found
    if (held != agent.held or agent.routable != capacity.agent_routable(agent, held) or not agent.routable
            or agent.pk in (room.declined_by or [])):
        capacity.store_count(agent, held)
        return None, None, (agent, held)
    expires = now + timedelta(seconds=settings.CXSMS_OFFER_TIMEOUT)
    with connection.cursor() as writes, connection.cursor() as agent_cursor:
        with sql.pipeline():  # the writes of an offer (and its decision record), one round trip
            writes.execute(f"UPDATE {t['room']} SET state = %s, agent_id = %s, offered_at = %s, offer_expires_at = %s WHERE id = %s",
                           [RoomState.OFFERED, agent_id, sql.dt(now), sql.dt(expires), room.pk])
            if record is not None:
                writes.execute(*_record_statement(room, "offered", agent_id, record[0], record[1], now))
            capacity.take_slot((writes, agent_cursor), agent, held, now)
        (seq,) = agent_cursor.fetchone()
    room.state, room.agent_id, room.offered_at, room.offer_expires_at = RoomState.OFFERED, agent.id, now, expires
    return agent, seq, None


def _as_found(candidate, agent, held, room):
    """The candidate as the locked recount found it, so the decision record says the true reason."""
    return candidate._replace(state=agent.state if agent.is_active else AgentState.LOGGED_OUT, held=held,
                              limit=agent.effective_session_limit, declined=agent.pk in (room.declined_by or []))


def _offer_best(room, now, trigger):
    """Decide and apply: try the best candidate; one who filled up meanwhile is replaced by what the
    lock found and the decision is taken again. If every candidate of the snapshot raced, look once
    more. Returns (agent or None, the offer event's agent_seq, the last Decision)."""
    found = {}  # agent id -> Candidate as the locked recount found it
    decision = None
    for _look in range(2):
        candidates = [found.get(c.id, c) for c in snapshot(room)]
        while True:
            decision = decide(candidates)
            if decision.agent_id is None:
                break
            agent, seq, refused = _try_offer(room, decision.agent_id, now, record=(decision.skipped, trigger))
            if agent is not None:
                return agent, seq, decision
            chosen = next(c for c in candidates if c.id == decision.agent_id)
            found[chosen.id] = _as_found(chosen, *refused, room)
            candidates = [found.get(c.id, c) for c in candidates]
        if not found:
            break  # nothing raced: the snapshot was right, nobody is free
    return None, None, decision


def _record_statement(room, outcome, agent_id, skipped, trigger, now):
    return sql.insert_statement(RoutingDecision(
        room_id=room.pk, created_at=now, outcome=outcome, agent_id=agent_id, skill_id=room.skill_id, rule=room.routed_by,
        skipped=[{"agent": a, "username": u, "reason": str(r)} for a, u, r in skipped], trigger=trigger[:40]))


def record(room, outcome, agent_id, skipped, trigger, now=None):
    """Keep why a room went where it went (or stayed queued): the supervisor's per-room decision."""
    sql.execute(*_record_statement(room, outcome, agent_id, skipped, trigger, now or timezone.now()))


def reoffer_after():
    return timedelta(seconds=settings.CXSMS_REOFFER_AFTER)


def _declines_expired(room, now):
    last = (RoutingDecision.objects.filter(room=room, outcome__in=RELEASE_OUTCOMES).order_by("-id")
            .values_list("created_at", flat=True).first())
    return last is None or now - last >= reoffer_after()


class RouteTarget(NamedTuple):
    """A queued room read for routing, locked: with its skill, its first message (for the offer's
    payload) and the outcome of its last decision, in one statement."""
    room: Room
    first_message: Message | None
    last_outcome: str | None


def _lock_room_to_route(room_id):
    t = sql.tables()
    found = sql.row(
        f"SELECT {sql.columns(Room, 'r')}, {sql.columns(Skill, 's')}, {sql.columns(Message, 'm')}, "
        f"(SELECT d.outcome FROM {t['decision']} d WHERE d.room_id = r.id ORDER BY d.id DESC LIMIT 1) "
        f"FROM {t['room']} r LEFT JOIN {t['skill']} s ON s.id = r.skill_id "
        f"LEFT JOIN {t['message']} m ON m.id = (SELECT m1.id FROM {t['message']} m1 WHERE m1.room_id = r.id "
        f"ORDER BY m1.created_at, m1.id LIMIT 1) WHERE r.id = %s{sql.for_update('r')}", [room_id])
    if found is None:
        return None
    room, skill, first = sql.build_joined((Room, Skill, Message), found[:-1])
    if skill is not None:
        room.skill = skill
    return RouteTarget(room, first, found[-1])


def route(room, first_message, trigger, *, fresh, last_outcome=None):
    """Offer the locked queued `room` to the best eligible agent, or leave it queued (a decision
    record says why). `fresh`: created in this transaction, no decision yet. Returns the agent id or None."""
    now = timezone.now()
    agent, seq, decision = _offer_best(room, now, trigger)
    if agent is None and room.declined_by and _declines_expired(room, now):
        # Nobody else can take it and the declines are old: start a new round (module docstring).
        room.declined_by = []
        Room.objects.filter(pk=room.pk).update(declined_by=[])
        trigger = f"{trigger}; declines forgotten"
        agent, seq, decision = _offer_best(room, now, trigger)
    if agent is not None:  # its decision was recorded with the offer
        events.room_offered(room, first_message, agent_seq=seq, agent_username=agent.username)
        return agent.pk  # its lapse: the sweep every second (declines.lapse_offers) finds it when due
    if fresh or last_outcome != "queued":
        record(room, "queued", None, decision.skipped, trigger, now)
        events.room_queued(room)
    return None


def route_room(room_id, trigger="new"):
    """Lock a room and route it if it is still queued. Returns the agent id or None."""
    with transaction.atomic():
        target = _lock_room_to_route(room_id)
        if target is None or target.room.state != RoomState.QUEUED:
            return None
        return route(target.room, target.first_message, trigger, fresh=False, last_outcome=target.last_outcome)


def route_on_commit(room_id, trigger="new"):
    # robust: a failure here is logged and the queue sweep routes the room; the text is already stored.
    transaction.on_commit(lambda: route_room(room_id, trigger), robust=True)


@transaction.atomic
def room_accept(*, room, agent):
    room = lock_room(room.pk)
    if room.agent_id != agent.pk or room.state != RoomState.OFFERED:
        raise ValidationError({"state": "This offer is no longer yours: it was accepted, lapsed or taken back."}
                              if room.state != RoomState.ACTIVE or room.agent_id != agent.pk
                              else {"state": "You already accepted this interaction."})
    now = timezone.now()
    room.state, room.accepted_at, room.offer_expires_at = RoomState.ACTIVE, now, None
    if room.channel == Channel.SMS and (room.expires_at is None or room.expires_at <= now):
        room.expires_at = now + session_timeout()  # R7: the timer starts on accept (a transferred room keeps its running timer)
    sql.execute(f"UPDATE {sql.tables()['room']} SET state = %s, accepted_at = %s, offer_expires_at = NULL, expires_at = %s WHERE id = %s",
                [room.state, sql.dt(now), sql.dt(room.expires_at), room.pk])
    events.room_assigned(room)
    if room.expires_at is not None:
        jobs.enqueue_at("rooms.expire_room", room.expires_at, room.pk)
    return room
