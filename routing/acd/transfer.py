"""Transfer: the agent who holds a room (or a supervisor or administrator) hands it on, with a
note the receiver reads: to an agent, who gets it as an offer (accept, reject or let it lapse, as any
offer), or to a skill, whose queue it joins at its original place. A supervisor or administrator
also assigns a queued room to an agent this way.

The receiving agent's session limit holds (the offer goes through the engine's locked recount,
R4); the room keeps its inactivity timer (R7: it is not restarted by the transfer) and its thread.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .. import events
from ..choices import CAPACITY_ROOM_STATES, AgentState, Role, RoomState
from ..hub.rooms import lock_room
from ..models import AgentSkill, Message, Room, Skill, User
from . import capacity
from .offers import _try_offer, record, route_on_commit
from .queues import dispatch_on_commit

NOTE_MAX = 500


def _is_manager(actor, room):
    return actor.is_superuser or (actor.tenant_id == room.tenant_id and actor.role in (Role.ADMIN, Role.SUPERVISOR))


def _why_not(agent, room):
    """Why `agent` cannot receive the room now (a sentence), or None."""
    if agent.state != AgentState.AVAILABLE:
        return f"{agent.username} is {agent.get_state_display().lower()}: choose an available agent."
    if not AgentSkill.objects.filter(agent=agent, skill__channel=room.channel).exists():
        return f"{agent.username} has no {room.get_channel_display()} skill."
    return None


def transfer_targets(room):
    """The agents and skills a room may go to, for the transfer dialog: every active agent of the
    tenant with whether they can take it now (and why not), and the skills of the room's channel."""
    agents = User.objects.filter(tenant_id=room.tenant_id, role=Role.AGENT, is_active=True).exclude(pk=room.agent_id).select_related("team")
    loads = dict(Room.objects.filter(agent__in=agents, state__in=CAPACITY_ROOM_STATES).values_list("agent").annotate(n=Count("id")))
    out = []
    for a in agents.order_by("username"):
        reason = _why_not(a, room)
        held = loads.get(a.pk, 0)
        if reason is None and held >= a.effective_session_limit:
            reason = f"{a.username} is at their session limit."
        out.append({"id": a.pk, "username": a.username, "name": a.get_full_name() or a.username, "state": a.state,
                    "held": held, "limit": a.effective_session_limit, "available": reason is None, "reason": reason or ""})
    skills = [{"id": s.pk, "name": s.name} for s in
              Skill.objects.filter(tenant_id=room.tenant_id, channel=room.channel, direction="inbound").order_by("name")]
    return {"agents": out, "skills": skills}


@transaction.atomic
def room_transfer(*, room, actor, agent=None, skill=None, note=""):
    """Hand the room to `agent` (as an offer) or to `skill`'s queue. Returns the room."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"A note can be at most {NOTE_MAX} characters."})
    if (agent is None) == (skill is None):
        raise ValidationError({"agent": "Choose an agent or a skill to transfer to."})
    room = lock_room(room.pk)
    manager = _is_manager(actor, room)
    if not manager and room.agent_id != actor.pk:
        raise PermissionDenied("Only the agent who holds this conversation, a supervisor or an administrator can transfer it.")
    if room.state == RoomState.CLOSED:
        raise ValidationError({"state": "This conversation has ended."})
    if room.state == RoomState.OFFERED or (room.state == RoomState.QUEUED and not manager):
        raise ValidationError({"state": "This conversation is waiting for an agent to accept it: transfer it once it is accepted."})
    if agent is not None and (agent.tenant_id != room.tenant_id or agent.role != Role.AGENT or not agent.is_active):
        raise ValidationError({"agent": "Choose an active agent of this tenant."})
    if skill is not None and (skill.tenant_id != room.tenant_id or skill.channel != room.channel):
        raise ValidationError({"skill": f"Choose a {room.get_channel_display()} skill of this tenant."})
    if agent is not None and agent.pk == room.agent_id:
        raise ValidationError({"agent": "The conversation is already yours: choose another agent."})
    if agent is not None and (reason := _why_not(agent, room)):
        raise ValidationError({"agent": reason})

    now = timezone.now()
    previous = room.agent_id
    declined = [a for a in (room.declined_by or []) if agent is None or a != agent.pk]
    if previous and previous not in declined:
        declined.append(previous)  # not offered straight back to the agent who handed it on
    room.state, room.agent_id, room.offered_at, room.offer_expires_at = RoomState.QUEUED, None, None, None
    room.transferred_by_id, room.transfer_note, room.declined_by = actor.pk, note, declined
    if skill is not None:
        room.skill = skill
    room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at", "transferred_by", "transfer_note", "declined_by", "skill"])
    if previous:
        capacity.recount(previous)
        events.room_offer_revoked(room, previous, "transferred")
        dispatch_on_commit([previous], trigger="transferred")
    if previous:
        trigger = f"transfer by {actor.username}"
        # The transfer's own record (reports count them; the sender counts as a decline for a while).
        record(room, "transferred", previous, (), trigger, now)
    else:
        # A queued room given to an agent by a supervisor: an assignment, not a transfer (nobody handed it on).
        trigger = f"assigned by {actor.username}"
    if agent is None:
        events.room_queued(room)
        route_on_commit(room.pk, trigger)
        return room
    offered, seq, refused = _try_offer(room, agent.pk, now, record=((), trigger))
    if offered is None:
        held = refused[1]
        limit = refused[0].effective_session_limit
        raise ValidationError({"agent": f"{agent.username} cannot take it now: {held} of {limit} conversations."})
    first = Message.objects.filter(room=room).order_by("created_at", "id").first()
    events.room_offered(room, first, agent_seq=seq, agent_username=agent.username)
    return room  # its lapse: the sweep every second (declines.lapse_offers)
