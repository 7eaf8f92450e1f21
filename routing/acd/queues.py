"""Queues (R13): a skill's queued rooms wait, highest priority then oldest, and are offered the
moment capacity frees; the queue sweep is the safety net that routes what nothing else did."""
import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import sql
from ..choices import Channel, Role, RoomState, SmsDelivery
from ..models import Room, Team, User
from . import capacity
from .offers import route_room

QUEUE_PAGE = 50
MAX_DISPATCH_ROUNDS = 100
ORPHAN_AFTER = 5  # seconds a queued room may go without any routing decision before the sweep routes it


def queue_order(qs):
    """R13: a skill's queue is served highest priority first, then oldest. The SQL twin is
    QUEUE_ORDER_SQL (tests/routing/acd/test_twins.py compares them)."""
    return qs.order_by("-priority", "queued_at", "id")


QUEUE_ORDER_SQL = "r.priority DESC, r.queued_at, r.id"
POSITION_LIMIT = 500


def queue_position(room):
    """Where a queued room stands in its skill's queue (1: next), in queue_order; None when it is not
    queued, or deeper than POSITION_LIMIT (the web chat then says only that it waits)."""
    if room.state != RoomState.QUEUED or room.skill_id is None:
        return None
    queue = queue_order(Room.objects.filter(skill_id=room.skill_id, state=RoomState.QUEUED))
    ids = list(queue.values_list("id", flat=True)[:POSITION_LIMIT])
    return ids.index(room.pk) + 1 if room.pk in ids else None


def _queue_head_for(agent_id, tried):
    """The first queued room, in queue order, of the agent's skills that the agent has not declined."""
    t = sql.tables()
    for _page in range(20):
        skip = f" AND r.id NOT IN ({sql.placeholders(tried)})" if tried else ""
        rows = sql.rows(f"SELECT r.id, r.declined_by FROM {t['room']} r WHERE r.state = %s AND r.skill_id IN "
                        f"(SELECT a.skill_id FROM {t['agentskill']} a WHERE a.agent_id = %s){skip} "
                        f"ORDER BY {QUEUE_ORDER_SQL} LIMIT {QUEUE_PAGE}", [RoomState.QUEUED, agent_id, *tried])
        for room_id, declined in rows:
            if agent_id not in (json.loads(declined) if isinstance(declined, str) else declined or []):
                return room_id
            tried.add(room_id)
        if len(rows) < QUEUE_PAGE:
            return None
    return None  # a thousand declined rooms ahead: the queue sweep gets to the rest


def dispatch_for_agents(*, agent_ids, trigger="capacity freed"):
    """Capacity freed for these agents (end, expiry, limit raised, became available, rejected):
    route the queued rooms of their skills, highest priority then oldest first (R13). Each room goes
    to the best eligible agent, which is usually, not necessarily, the one who freed up."""
    for agent_id in dict.fromkeys(agent_ids):
        tried = set()
        for _round in range(MAX_DISPATCH_ROUNDS):
            found = sql.row(f"SELECT routable FROM {sql.tables()['user']} WHERE id = %s", [agent_id])
            if found is None or not found[0]:
                break
            room_id = _queue_head_for(agent_id, tried)
            if room_id is None:
                break
            tried.add(room_id)
            route_room(room_id, trigger)


def dispatch_on_commit(agent_ids, trigger="capacity freed"):
    transaction.on_commit(lambda: dispatch_for_agents(agent_ids=agent_ids, trigger=trigger), robust=True)


def _skill_has_free_agent(skill_id):
    return User.objects.filter(routable=True, agent_skills__skill_id=skill_id).exists()


def dispatch_queued(now=None, max_rooms=50):
    """The safety net: route the queue heads of every skill that has an agent with room. A room nobody
    can take (say, declined by the only free agent) does not block the rooms behind it."""
    routed = 0
    capacity.refresh_routable()  # repair any drift of the flag before relying on it
    # A room stored by a process that died before its routing ran (the text is committed first):
    # route it now, so it gets its decision record and its place is known, whatever the capacity.
    stale = (now or timezone.now()) - timedelta(seconds=ORPHAN_AFTER)
    # Only the ACD's own rooms: a Digital tenant's texts wait for their case, never for an ACD agent.
    for room_id in (Room.objects.filter(state=RoomState.QUEUED, queued_at__lte=stale, decisions__isnull=True)
                    .exclude(channel=Channel.SMS, tenant__sms_delivery=SmsDelivery.DIGITAL)
                    .values_list("id", flat=True)[:max_rooms]):
        if route_room(room_id, "recovered") is not None:
            routed += 1
    skill_ids = list(Room.objects.filter(state=RoomState.QUEUED, skill__isnull=False).values_list("skill_id", flat=True)
                     .order_by().distinct()[:200])
    for skill_id in skill_ids:
        for room_id in queue_order(Room.objects.filter(skill_id=skill_id, state=RoomState.QUEUED)).values_list("id", flat=True)[:max_rooms]:
            if not _skill_has_free_agent(skill_id):
                break
            if route_room(room_id, "queue sweep") is not None:
                routed += 1
    return routed


def after_capacity_change(instance):
    """A raised limit, a new skill or an agent's return frees capacity: offer queued rooms (R13)."""
    if isinstance(instance, Team):
        capacity.refresh_routable(team_id=instance.pk)
        transaction.on_commit(lambda: dispatch_for_agents(agent_ids=list(instance.members.values_list("id", flat=True))))
    elif isinstance(instance, User):
        capacity.refresh_routable(agent_ids=[instance.pk])
        if instance.role == Role.AGENT:
            transaction.on_commit(lambda: dispatch_for_agents(agent_ids=[instance.pk]))
