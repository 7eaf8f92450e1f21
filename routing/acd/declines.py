"""An offer taken back (R13): rejected by the agent, or lapsed. The room goes back to its queue,
keeping its place, and on to the next agent."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events, sql
from ..choices import AgentState, RoomState
from ..hub.rooms import lock_room
from ..models import Room, User
from ..models.workspace import OFFER_TIMED_OUT
from ..ops import metrics
from . import agents, capacity
from .offers import record, route_on_commit
from .queues import dispatch_on_commit


def offer_release(room, agent_id, reason):
    """Take an offer back from the agent (rejected or lapsed) and queue the room again, keeping its
    place in the queue. Room locked by the caller."""
    declined = list(room.declined_by or [])
    if agent_id not in declined:
        declined.append(agent_id)
    room.state, room.agent_id, room.offered_at, room.offer_expires_at, room.declined_by = RoomState.QUEUED, None, None, None, declined
    room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at", "declined_by"])
    capacity.recount(agent_id)
    record(room, reason, agent_id, (), f"offer {reason}")
    events.room_offer_revoked(room, agent_id, reason)
    route_on_commit(room.pk, f"offer {reason}")
    if reason == "rejected":
        # The rejecting agent's slot is free again: other queued rooms may go to them (not this one).
        dispatch_on_commit([agent_id], trigger="offer rejected")


@transaction.atomic
def room_reject(*, room, agent):
    room = lock_room(room.pk)
    if room.agent_id != agent.pk or room.state != RoomState.OFFERED:
        raise ValidationError({"state": "This offer is no longer yours."})
    offer_release(room, agent.pk, "rejected")
    return room


def lapse_offer(room_id, now=None):
    """An offer not accepted in time goes to the next agent; the agent who let it lapse is set
    unavailable. Exactly once: read under the room's lock (skipped when another worker holds it),
    only while still offered and due."""
    now = now or timezone.now()
    with transaction.atomic():
        room = sql.locked(Room.objects, skip_locked=True).filter(pk=room_id, state=RoomState.OFFERED,
                                                                 offer_expires_at__lte=now).first()
        if room is None:
            return False  # accepted, rejected or lapsed meanwhile, or another worker has it
        agent_id = room.agent_id
        metrics.record_offer_lapsed(room.tenant_id)
        metrics.record_timer_fired("offer_lapse", room.offer_expires_at, now)
        offer_release(room, agent_id, "lapsed")
        agents.agent_set_state(agent=User.objects.get(pk=agent_id), state=AgentState.UNAVAILABLE, system_reason=OFFER_TIMED_OUT)
    return True


def lapse_offers(now=None):
    """Every offer that is due: the job `acd.lapse_sweep`, every second (R13's 45 s lapse lands within
    a second or two of its due time)."""
    now = now or timezone.now()
    ids = Room.objects.filter(state=RoomState.OFFERED, offer_expires_at__lte=now).values_list("id", flat=True)[:200]
    return sum(lapse_offer(room_id, now) for room_id in ids)
