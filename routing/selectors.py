"""Reads: tenant-scoped querysets and the payloads pages, the API and websockets share."""
from typing import NamedTuple

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from . import sql

from .choices import CAPACITY_ROOM_STATES, Channel, CloseReason, Role, RoomState
from .models import (AgentSkill, CannedResponse, CarrierAccount, Contact, Country, Disposition, Message, PointOfContact, Room,
                     RoutingDecision, RoutingRule, Skill, Team, Tenant, User, UnavailableReason)


def _scoped(qs, user, field="tenant"):
    """Everything a user may see: the operator all tenants, everyone else their own tenant only."""
    if user.is_superuser:
        return qs
    if not user.is_authenticated or user.tenant_id is None:
        return qs.none()
    return qs.filter(**{f"{field}_id": user.tenant_id})


def contacts_for(user):
    """Contact cards (a number erased to its hash only keeps an opt-out: no card)."""
    return _scoped(Contact.objects.select_related("notes_by"), user).filter(number__startswith="+")


def contact_card(tenant_id, number):
    return Contact.objects.select_related("notes_by").filter(tenant_id=tenant_id, number=number).first() if number else None


def contact_payload(contact, number=None):
    """The card as pages and events show it; `number` without a card: an empty card for that number."""
    if contact is None:
        return {"id": None, "number": number, "name": "", "tags": [], "notes": "", "notes_by": None, "notes_at": None, "opted_out": False}
    return {"id": contact.id, "number": contact.number, "name": contact.name, "tags": contact.tag_list, "notes": contact.notes,
            "notes_by": contact.notes_by.username if contact.notes_by_id else None, "notes_at": _iso(contact.notes_at),
            "opted_out": contact.opted_out}


def tenants_for(user):
    return Tenant.objects.all() if user.is_superuser else Tenant.objects.filter(pk=user.tenant_id)


def users_for(user):
    return _scoped(User.objects.filter(is_superuser=False).select_related("team", "tenant"), user)


def teams_for(user):
    return _scoped(Team.objects.all(), user)


def skills_for(user):
    return _scoped(Skill.objects.all(), user)


def agent_skills_for(user):
    return _scoped(AgentSkill.objects.select_related("skill", "agent"), user, "agent__tenant")


def carrier_accounts_for(user):
    return _scoped(CarrierAccount.objects.all(), user)


def points_of_contact_for(user):
    return _scoped(PointOfContact.objects.select_related("country", "skill", "carrier_account"), user)


def routing_rules_for(user):
    return _scoped(RoutingRule.objects.select_related("skill", "point_of_contact"), user, "point_of_contact__tenant")


def countries_for(user):
    return Country.objects.all()


def texts_while_sms_off(tenant_id):
    """Texts kept but neither routed nor answered because SMS Messaging was off (R1)."""
    return Message.objects.filter(tenant_id=tenant_id, room__close_reason=CloseReason.SMS_OFF).count()


def canned_responses_for(user):
    """The tenant-wide canned responses and the caller's own (another agent's are never shown)."""
    qs = _scoped(CannedResponse.objects.select_related("owner"), user)
    return qs if user.is_superuser else qs.filter(Q(owner__isnull=True) | Q(owner=user))


def dispositions_for(user):
    return _scoped(Disposition.objects.prefetch_related("skills"), user)


def unavailable_reasons_for(user):
    return _scoped(UnavailableReason.objects.all(), user)


def dispositions_for_room(room):
    """The active dispositions that apply to the room's skill (a disposition without skills applies to every skill)."""
    qs = Disposition.objects.filter(tenant_id=room.tenant_id, is_active=True)
    return qs.filter(Q(skills__isnull=True) | Q(skills=room.skill_id)).distinct() if room.skill_id else qs.filter(skills__isnull=True)


def disposition_rows_for_room(room):
    """`dispositions_for_room` as one prepared statement, for an agent ending a room (on the path of
    every text): {id: required}. Its twin; change both (tests/routing/acd/test_twins.py compares them)."""
    through = sql.table(Disposition.skills.through)
    applies, params = f"NOT EXISTS (SELECT 1 FROM {through} x WHERE x.disposition_id = d.id)", [room.tenant_id]
    if room.skill_id:
        applies = f"({applies} OR EXISTS (SELECT 1 FROM {through} x WHERE x.disposition_id = d.id AND x.skill_id = %s))"
        params.append(room.skill_id)
    found = sql.rows(f"SELECT d.id, d.required FROM {sql.table(Disposition)} d WHERE d.tenant_id = %s AND d.is_active AND {applies}",
                     params)
    return {pk: bool(required) for pk, required in found}


def rooms_for(user):
    """Administrators and supervisors see the tenant's rooms; an agent sees the rooms offered or assigned to them.
    The agent branch is also written in SQL in `sign_in_and_room` (socket actions): change both."""
    qs = _scoped(Room.objects.select_related("skill", "agent", "point_of_contact"), user)
    if not user.is_superuser and user.role == Role.AGENT:
        qs = qs.filter(agent=user)
    return qs


class SignIn(NamedTuple):
    """What an open socket's sign-in rests on, read in one statement (ws_auth.Grant.refusal decides)."""
    is_active: bool
    tenant_id: int | None
    role: str
    password: str
    token_found: bool  # the socket's token still exists for this user
    session_data: str | None  # the socket's session, unexpired (None: gone, or not a database session)


DB_SESSIONS = "django.contrib.sessions.backends.db"


def sign_in_and_room(*, user_id, token_key, session_key, room_id=None, model=None):
    """(SignIn or None when the user is gone, the room is theirs): what every socket action checks,
    in one hand-written statement as it runs before every accept and answer. The room part is
    `rooms_for`'s agent branch (their tenant's room, offered or assigned to them). With `model` (a
    delivery mode's objects, which have a tenant: SocketAction.model), `room_id` names one of those
    instead, and it is theirs when it is of their tenant (the mode's services decide the rest)."""
    t = sql.tables()
    scoped = (f"LEFT JOIN {t['room']} r ON r.id = %s AND r.tenant_id = u.tenant_id AND r.agent_id = u.id" if model is None
              else f"LEFT JOIN {sql.table(model)} r ON r.id = %s AND r.tenant_id = u.tenant_id")
    session = (f"(SELECT s.session_data FROM {sql.table(Session)} s WHERE s.session_key = %s AND s.expire_date > %s)"
               if settings.SESSION_ENGINE == DB_SESSIONS else "NULL")
    params = [token_key or "", *([session_key or "", sql.dt(timezone.now())] if session != "NULL" else []), room_id, user_id]
    found = sql.row(f"SELECT u.is_active, u.tenant_id, u.role, u.password, "
                    f"EXISTS (SELECT 1 FROM {sql.table(Token)} k WHERE k.key = %s AND k.user_id = u.id), {session}, r.id "
                    f"FROM {t['user']} u {scoped} WHERE u.id = %s", params)
    if found is None:
        return None, False
    return SignIn(bool(found[0]), found[1], found[2], found[3], bool(found[4]), found[5]), found[6] is not None


def is_active_agent(sign_in):
    """Still an active agent of a tenant (what the REST API requires per request of an agent)."""
    return sign_in is not None and sign_in.is_active and sign_in.role == Role.AGENT and sign_in.tenant_id is not None


def notes_for_room(room):
    return room.notes.select_related("author").order_by("created_at", "id")


def note_payload(n):
    """An internal note as pages show it (never a text: no direction, no status)."""
    return {"id": n.id, "room": n.room_id, "author": n.author.username if n.author_id and n.author else None, "body": n.body,
            "created_at": _iso(n.created_at)}


def messages_for_room(room):
    return room.messages.select_related("author").order_by("created_at", "id")


def decisions_for_room(room):
    return RoutingDecision.objects.filter(room=room).select_related("agent", "skill").order_by("created_at", "id")


HISTORY_SIZE = 10


HISTORY_BY = ("any", "contact", "number")


def room_history(room, by="any"):
    """R9: the last ten closed sessions sharing the room's contact number (ANI) or POC number (DNIS),
    newest first. `by`: "contact" (this contact's only: what an agent wants first), "number" (the
    business number's: other contacts too), or "any" (either)."""
    none = Q(pk__in=[])
    by_contact = Q(contact_number=room.contact_number) if room.contact_number else none
    by_number = Q(poc_number=room.poc_number) if room.poc_number else none
    match = {"contact": by_contact, "number": by_number}.get(by, by_contact | by_number)
    return (Room.objects.filter(match, tenant_id=room.tenant_id, state=RoomState.CLOSED, transcript_kept=True)
            .exclude(pk=room.pk).select_related("agent", "skill", "disposition").order_by("-closed_at", "-id")[:HISTORY_SIZE])


def agent_loads(agent_ids):
    """{agent_id: {"chat": n, "sms": n}} for rooms holding a slot (offered or active)."""
    rows = (Room.objects.filter(agent_id__in=agent_ids, state__in=CAPACITY_ROOM_STATES).values("agent_id")
            .annotate(chat=Count("id", filter=Q(channel=Channel.CHAT)), sms=Count("id", filter=Q(channel=Channel.SMS))))
    out = {a: {"chat": 0, "sms": 0} for a in agent_ids}
    for row in rows:
        out[row["agent_id"]] = {"chat": row["chat"], "sms": row["sms"]}
    return out


# --- payloads (JSON-ready dicts) shared by the REST API, websocket events and pages -----------

def _iso(dt):
    return dt.isoformat() if dt else None


def message_payload(m):
    return {
        "id": m.id, "room": m.room_id, "direction": m.direction, "body": m.body, "status": m.status,
        "error_code": m.error_code, "error_message": m.error_message, "encoding": m.encoding, "segments": m.segments,
        "author": m.author.username if m.author_id and m.author else None, "automatic": m.automatic, "created_at": _iso(m.created_at),
    }


def room_payload(room, messages=False, agent_username=None):
    """`agent_username`: the agent's name when the caller read it (the engine's offer), else the
    room's agent is read (loaded with the room, or by a query). `messages`: True reads the room's
    messages; a list gives them (read for several rooms at once)."""
    if agent_username is None and room.agent_id:
        agent_username = room.agent.username
    data = {
        "id": room.id, "channel": room.channel, "direction": room.direction, "state": room.state,
        "contact_number": room.contact_number, "contact_name": room.contact_name, "poc_number": room.poc_number,
        "point_of_contact": room.point_of_contact_id, "skill": room.skill_id,
        "skill_name": room.skill.name if room.skill_id else None,
        "agent": room.agent_id, "agent_username": agent_username,
        "priority": room.priority, "opened_at": _iso(room.opened_at), "offered_at": _iso(room.offered_at),
        "offer_expires_at": _iso(room.offer_expires_at), "accepted_at": _iso(room.accepted_at), "expires_at": _iso(room.expires_at),
        "closed_at": _iso(room.closed_at), "close_reason": room.close_reason,
        "transfer_note": room.transfer_note, "transferred_by": room.transferred_by_id,
        "disposition": room.disposition_id, "disposition_name": room.disposition.name if room.disposition_id else None,
        "summary": room.summary,
    }
    if messages is not False:
        data["messages"] = [message_payload(m) for m in (messages_for_room(room) if messages is True else messages)]
    return data


def agent_snapshot(agent):
    """Everything the agent workspace shows, from the database (sent on connect and on resync)."""
    agent = User.objects.select_related("team").get(pk=agent.pk)
    rooms = list(Room.objects.filter(agent=agent, state__in=CAPACITY_ROOM_STATES).select_related("skill", "agent", "disposition")
                 .order_by("opened_at", "id"))
    messages = {room.id: [] for room in rooms}  # one query for every room's thread (a resync under load asks often)
    for m in Message.objects.filter(room__in=list(messages)).select_related("author").order_by("created_at", "id"):
        messages[m.room_id].append(m)
    load = agent_loads([agent.id])[agent.id]
    channels = sorted(set(AgentSkill.objects.filter(agent=agent).values_list("skill__channel", flat=True)))
    return {
        "type": "snapshot",
        "agent_seq": agent.event_seq,
        "agent": {"id": agent.id, "username": agent.username, "first_name": agent.first_name, "state": agent.state,
                  "state_reason": agent.state_reason, "session_limit": agent.effective_session_limit,
                  "chat": load["chat"], "sms": load["sms"], "channels": channels},
        "rooms": [room_payload(r, messages=messages[r.id]) for r in rooms],
    }
