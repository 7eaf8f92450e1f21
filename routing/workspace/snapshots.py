"""Snapshots the live pages render from: read from the database, JSON-ready.

The agent workspace uses selectors.agent_snapshot; the supervisor view and the web-chat
contact's page use the functions here. They only read.
"""
from collections import Counter
from datetime import timedelta

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from .. import selectors
from ..acd import queues
from ..acd.decision import Candidate, skip_reason
from ..choices import AgentState, Channel, Role, RoomState, SkipReason
from ..models import AgentSkill, AgentStateChange, Room, RoutingDecision, Skill, Tenant, User
from ..ops import workers

SUPERVISOR_ROOM_STATES = (RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE)
WORKER_SILENCE = 30  # seconds without a worker reporting in before the page says so


def _iso(dt):
    return dt.isoformat() if dt else None


def supervisor_snapshot(tenant_id):
    """A tenant at a glance: agents with state and load against their limit, the queue of each
    skill, and every open room with its agent and time left."""
    tenant = Tenant.objects.get(pk=tenant_id)
    agents = list(User.objects.filter(tenant_id=tenant_id, role=Role.AGENT, is_active=True).select_related("team").order_by("username"))
    loads = selectors.agent_loads([a.id for a in agents])
    skills_of, proficiency = {}, {}
    skills = AgentSkill.objects.filter(agent__tenant_id=tenant_id).values_list("agent_id", "skill_id", "skill__name", "skill__channel",
                                                                                "proficiency")
    for agent_id, skill_id, name, channel, level in skills:
        skills_of.setdefault(agent_id, []).append({"name": name, "channel": channel})
        proficiency[agent_id, skill_id] = level

    agent_rows = []
    for a in agents:
        load = loads[a.id]
        agent_rows.append({
            "id": a.id, "username": a.username, "name": a.get_full_name() or a.username, "team": a.team.name if a.team_id else None,
            "state": a.state, "state_reason": a.state_reason, "state_changed_at": _iso(a.state_changed_at),
            "chat": load["chat"], "sms": load["sms"],
            "session_limit": a.effective_session_limit, "skills": sorted(skills_of.get(a.id, []), key=lambda s: s["name"]),
        })

    skills = (Skill.objects.filter(tenant_id=tenant_id)
              .annotate(waiting=Count("rooms", filter=Q(rooms__state=RoomState.QUEUED)),
                        offered=Count("rooms", filter=Q(rooms__state=RoomState.OFFERED)),
                        active=Count("rooms", filter=Q(rooms__state=RoomState.ACTIVE)),
                        oldest=Min("rooms__queued_at", filter=Q(rooms__state=RoomState.QUEUED)))
              .order_by("channel", "name"))
    available = {}
    for skill_id in AgentSkill.objects.filter(agent__tenant_id=tenant_id, agent__state=AgentState.AVAILABLE,
                                              agent__is_active=True).values_list("skill_id", flat=True):
        available[skill_id] = available.get(skill_id, 0) + 1
    queue_rows = []
    for s in skills:
        reason = None
        if s.waiting:
            head = queues.queue_order(Room.objects.filter(skill_id=s.id, state=RoomState.QUEUED))
            head = head.values_list("declined_by", flat=True).first()
            declined = set(head or [])
            candidates = [Candidate(id=a.id, username=a.username, state=a.state, proficiency=proficiency.get((a.id, s.id)),
                                    held=loads[a.id]["chat"] + loads[a.id]["sms"], limit=a.effective_session_limit, idle_since=None,
                                    declined=a.id in declined) for a in agents]
            reason = queue_wait_reason(s.name, candidates)
        queue_rows.append({"skill": s.id, "name": s.name, "channel": s.channel, "direction": s.direction, "waiting": s.waiting,
                           "oldest_queued_at": _iso(s.oldest), "offered": s.offered, "active": s.active,
                           "agents_available": available.get(s.id, 0), "waiting_reason": reason})

    rooms = (Room.objects.filter(tenant_id=tenant_id, state__in=SUPERVISOR_ROOM_STATES)
             .select_related("skill", "agent").annotate(decision_count=Count("decisions")).order_by("opened_at", "id"))
    room_rows = []
    for r in rooms:
        row = selectors.room_payload(r)
        row["queued_at"] = _iso(r.queued_at)
        row["last_message_at"] = _iso(r.last_message_at)
        row["decisions"] = r.decision_count  # the page reloads an open decision panel when this grows
        room_rows.append(row)

    totals = {
        "agents_available": sum(1 for a in agents if a.state == AgentState.AVAILABLE),
        "agents_logged_in": sum(1 for a in agents if a.state != AgentState.LOGGED_OUT),
        "active": sum(1 for r in room_rows if r["state"] == RoomState.ACTIVE),
        "offered": sum(1 for r in room_rows if r["state"] == RoomState.OFFERED),
        "queued": sum(1 for r in room_rows if r["state"] == RoomState.QUEUED),
        "active_sms": sum(1 for r in room_rows if r["state"] == RoomState.ACTIVE and r["channel"] == Channel.SMS),
    }
    # Background work (expiries, lapses, sends) runs on workers: an operator must see when none runs.
    seen = workers.workers_seen(WORKER_SILENCE)
    return {"type": "snapshot", "server_time": _iso(timezone.now()),
            "tenant": {"id": tenant.id, "name": tenant.name, "sms_delivery": tenant.sms_delivery},
            "totals": totals, "agents": agent_rows, "queues": queue_rows, "rooms": room_rows,
            "workers": {"seen": len(seen), "within_seconds": WORKER_SILENCE}}


def _names(candidates, limit=3):
    names = [c.username for c in candidates]
    return ", ".join(names) if len(names) <= limit else f"{len(names)} agents"


def queue_wait_reason(skill_name, candidates):
    """Why a skill's queue waits, in words, from the ACD's own rule (decision.skip_reason) applied to
    the agents as they are now. `candidates`: every agent of the tenant, as a decision sees them,
    for the room at the head of the queue (its declines)."""
    by_reason = {}
    for c in candidates:
        by_reason.setdefault(skip_reason(c), []).append(c)
    holders = [c for c in candidates if c.proficiency is not None]
    if not holders:
        return f"No agent has the skill {skill_name}."
    if by_reason.get(None):
        return f"{_names(by_reason[None])} can take it: it is offered in a moment."
    at_limit, declined = by_reason.get(SkipReason.AT_LIMIT, []), by_reason.get(SkipReason.REJECTED, [])
    away = by_reason.get(SkipReason.UNAVAILABLE, []) + by_reason.get(SkipReason.LOGGED_OUT, [])
    parts = []
    if not at_limit and not declined:
        states = Counter(c.state for c in away)
        detail = ", ".join(f"{n} {AgentState(state).label.lower()}" for state, n in sorted(states.items()))
        return f"No agent with the skill {skill_name} is available ({detail})."
    available = len(at_limit) + len(declined)
    if at_limit:
        if len(at_limit) == available:
            parts.append("The only available agent is at their session limit" if available == 1
                         else f"All {available} available agents are at their session limit")
        else:
            parts.append(f"{_names(at_limit)} {'is' if len(at_limit) == 1 else 'are'} at the session limit")
    if declined:
        parts.append(f"{_names(declined)} declined this conversation (it is offered to them again after a while)")
    if away:
        parts.append(f"{len(away)} more {'is' if len(away) == 1 else 'are'} unavailable or logged out")
    return "; ".join(parts) + "."  # usernames stay as they are written, also first


def chat_room_for_token(token):
    """The open or closed web-chat room behind a contact's token, or None."""
    if not token:
        return None
    return Room.objects.filter(chat_token=token, channel=Channel.CHAT).first()


def chat_snapshot(token):
    """What the web-chat contact's page shows: the conversation, without any agent-side detail."""
    room = chat_room_for_token(token)
    if room is None:
        return None
    messages = [{"id": m.id, "direction": m.direction, "body": m.body, "created_at": _iso(m.created_at), "automatic": m.automatic}
                for m in selectors.messages_for_room(room)]
    return {"type": "snapshot", "room": {"state": room.state, "closed": room.state == RoomState.CLOSED, "close_reason": room.close_reason,
                                         "contact_name": room.contact_name, "queue_position": queues.queue_position(room)},
            "messages": messages}


ACTIVITY_SIZE = 40
ACTIVITY_HOURS = 24


def _activity_room(room, agent=None):
    """The few room fields an activity line names (the agent: the one the line is about)."""
    return {"id": room.id, "channel": room.channel, "contact_number": room.contact_number, "contact_name": room.contact_name,
            "skill_name": room.skill.name if room.skill_id else None, "close_reason": room.close_reason,
            "agent": agent.id if agent else None, "agent_username": agent.username if agent else None}


def supervisor_activity(tenant_id, limit=ACTIVITY_SIZE):
    """The supervisor's activity feed after a reload: the tenant's latest routing decisions, accepts,
    ends and agent state changes of the last day, newest first, shaped like the live events the page
    adds to it (each with `at`). Read from the rows those events come from; nothing extra is stored."""
    since = timezone.now() - timedelta(hours=ACTIVITY_HOURS)
    items = []
    decisions = (RoutingDecision.objects.filter(room__tenant_id=tenant_id, created_at__gte=since)
                 .select_related("room", "room__skill", "agent").order_by("-created_at", "-id")[:limit])
    for d in decisions:
        kind = {"offered": "room.offered", "queued": "room.queued"}.get(d.outcome, "room.revoked")
        item = {"type": kind, "at": _iso(d.created_at), "room": _activity_room(d.room, d.agent)}
        if kind == "room.revoked":
            item["reason"] = d.outcome
        items.append(item)
    rooms = Room.objects.filter(tenant_id=tenant_id).select_related("skill", "agent")
    for r in rooms.filter(accepted_at__gte=since).order_by("-accepted_at")[:limit]:
        items.append({"type": "room.assigned", "at": _iso(r.accepted_at), "room": _activity_room(r, r.agent)})
    for r in rooms.filter(state=RoomState.CLOSED, closed_at__gte=since).order_by("-closed_at")[:limit]:
        items.append({"type": "room.closed", "at": _iso(r.closed_at), "room": _activity_room(r, r.agent)})
    # A row that only records a new session limit (routing.reports.history) repeats the agent's state
    # and reason: it is not a state change a supervisor should read about.
    before = AgentStateChange.objects.filter(Q(started_at__lt=OuterRef("started_at")) | Q(started_at=OuterRef("started_at"),
                                                                                          id__lt=OuterRef("id")),
                                             agent=OuterRef("agent")).order_by("-started_at", "-id")
    changes = (AgentStateChange.objects.filter(tenant_id=tenant_id, started_at__gte=since)
               .annotate(state_before=Subquery(before.values("state")[:1]), reason_before=Subquery(before.values("reason")[:1]))
               .select_related("agent").order_by("-started_at", "-id")[:limit])
    for c in changes:
        if (c.state, c.reason) == (c.state_before, c.reason_before):
            continue
        items.append({"type": "agent.state", "at": _iso(c.started_at), "agent": c.agent_id, "agent_username": c.agent.username,
                      "state": c.state, "reason": c.reason})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:limit]


def transcript_for(tenant_id, room_id):
    """A room of the tenant with its messages, for a supervisor's read-only transcript; None when the
    room is not the tenant's."""
    room = Room.objects.filter(pk=room_id, tenant_id=tenant_id).select_related("skill", "agent", "disposition").first()
    if room is None:
        return None
    payload = selectors.room_payload(room, messages=True)
    payload["notes"] = [selectors.note_payload(n) for n in selectors.notes_for_room(room)]  # internal, never sent
    return payload


def transcript_message(tenant_id, room_id, message_id):
    """One message of a tenant's room (the live transcript's next line), or None."""
    message = (selectors.messages_for_room(Room(pk=room_id)).filter(pk=message_id, room__tenant_id=tenant_id).first())
    return selectors.message_payload(message) if message is not None else None
