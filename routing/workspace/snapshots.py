"""Snapshots the live pages render from: read from the database, JSON-ready.

The agent workspace uses selectors.agent_snapshot; the supervisor view and the web-chat
contact's page use the functions here. They only read.
"""
from django.db.models import Count, Min, Q
from django.utils import timezone

from .. import selectors
from ..acd import queues
from ..choices import AgentState, Channel, Role, RoomState
from ..models import AgentSkill, Room, Skill, Tenant, User
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
    skills_of = {}
    skills = AgentSkill.objects.filter(agent__tenant_id=tenant_id).values_list("agent_id", "skill__name", "skill__channel")
    for agent_id, name, channel in skills:
        skills_of.setdefault(agent_id, []).append({"name": name, "channel": channel})

    agent_rows = []
    for a in agents:
        load = loads[a.id]
        agent_rows.append({
            "id": a.id, "username": a.username, "name": a.get_full_name() or a.username, "team": a.team.name if a.team_id else None,
            "state": a.state, "state_changed_at": _iso(a.state_changed_at), "chat": load["chat"], "sms": load["sms"],
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
    queues = [{"skill": s.id, "name": s.name, "channel": s.channel, "direction": s.direction, "waiting": s.waiting,
               "oldest_queued_at": _iso(s.oldest), "offered": s.offered, "active": s.active, "agents_available": available.get(s.id, 0)}
              for s in skills]

    rooms = (Room.objects.filter(tenant_id=tenant_id, state__in=SUPERVISOR_ROOM_STATES)
             .select_related("skill", "agent").order_by("opened_at", "id"))
    room_rows = []
    for r in rooms:
        row = selectors.room_payload(r)
        row["queued_at"] = _iso(r.queued_at)
        row["last_message_at"] = _iso(r.last_message_at)
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
            "totals": totals, "agents": agent_rows, "queues": queues, "rooms": room_rows,
            "workers": {"seen": len(seen), "within_seconds": WORKER_SILENCE}}


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
