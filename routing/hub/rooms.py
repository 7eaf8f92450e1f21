"""A room's life in the text hub: its inactivity timer (R7), closing it, expiry, ending it, and the
forced disconnect (R10). Accepting and rejecting an offer belong to the ACD (routing.acd.offers).

Timers live in the database (Room.expires_at): whoever fires one (routing.jobs) closes the room
exactly once thanks to a conditional read under the room's row lock.
"""
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events, jobs, selectors, sql
from ..audit.choices import Event
from ..audit.services import audit_event
from ..choices import OPEN_ROOM_STATES, Channel, CloseReason, Role, RoomState
from ..models import Room, Skill, Tenant, User
from ..ops import metrics
from . import delivery


def session_timeout():
    return timedelta(seconds=settings.CXSMS_SMS_SESSION_TIMEOUT)


def room_touch(room, now, expires_at=None):
    """A message came or went: the room's last message time, and its inactivity timer when
    `expires_at` resets it (R7); otherwise the stored timer is left as it is."""
    t = sql.tables()
    if expires_at is None:
        sql.execute(f"UPDATE {t['room']} SET last_message_at = %s WHERE id = %s", [sql.dt(now), room.pk])
    else:
        sql.execute(f"UPDATE {t['room']} SET last_message_at = %s, expires_at = %s WHERE id = %s",
                    [sql.dt(now), sql.dt(expires_at), room.pk])
        room.expires_at = expires_at
    room.last_message_at = now


def lock_room(room_id, skip_locked=False):
    """The room, locked, with its tenant, skill and agent loaded (complete instances), in one
    statement (the ORM's select_related compiled three joins on every accept, send and end).
    Raises Room.DoesNotExist (also when `skip_locked` and another transaction holds it)."""
    t = sql.tables()
    found = sql.row(f"SELECT {sql.columns(Room, 'r')}, {sql.columns(Tenant, 'tn')}, {sql.columns(Skill, 's')}, {sql.columns(User, 'u')} "
                    f"FROM {t['room']} r JOIN {sql.table(Tenant)} tn ON tn.id = r.tenant_id LEFT JOIN {t['skill']} s ON s.id = r.skill_id "
                    f"LEFT JOIN {t['user']} u ON u.id = r.agent_id WHERE r.id = %s{sql.for_update('r', skip_locked)}", [room_id])
    if found is None:
        raise Room.DoesNotExist(f"no room {room_id}")
    room, room.tenant, skill, agent = sql.build_joined((Room, Tenant, Skill, User), found)
    if skill is not None:
        room.skill = skill
    if agent is not None:
        room.agent = agent
    return room


def close_locked(room, reason, now=None, keep_transcript=None):
    """Close a locked room. The transcript is kept when the tenant saves transcripts, or when the
    caller says so (a forced disconnect never loses one, R10). The delivery mode frees the agent's
    capacity (delivery.Mode.released)."""
    now = now or timezone.now()
    agent_id = room.agent_id
    room.state, room.closed_at, room.close_reason = RoomState.CLOSED, now, reason
    room.offer_expires_at = None
    if not Room.tenant.is_cached(room):
        room.tenant = sql.build(Tenant, sql.row(f"SELECT {sql.columns(Tenant, 'tn')} FROM {sql.table(Tenant)} tn WHERE tn.id = %s",
                                                [room.tenant_id]))
    room.transcript_kept = bool(room.tenant.save_transcripts if keep_transcript is None else keep_transcript)
    sql.execute(f"UPDATE {sql.tables()['room']} SET state = %s, closed_at = %s, close_reason = %s, offer_expires_at = NULL, "
                f"transcript_kept = %s WHERE id = %s", [room.state, sql.dt(now), reason, room.transcript_kept, room.pk])
    mode = delivery.mode_for(room.tenant, room.channel)
    if agent_id and mode is not None:
        mode.released(room, agent_id)
    events.room_closed(room, agent_id=agent_id)
    return room


SUMMARY_MAX = 2000


def _wrap_up(room, disposition, summary, by_agent):
    """The disposition and summary an ending room keeps. A disposition must apply to the room's
    skill; when a required one does, the agent who ends it must choose one (wrap-up)."""
    summary = (summary or "").strip() if isinstance(summary, str) or summary is None else None
    if summary is None or len(summary) > SUMMARY_MAX:
        raise ValidationError({"summary": f"A summary is text of at most {SUMMARY_MAX} characters."})
    applicable = selectors.disposition_rows_for_room(room)  # {id: required}
    if disposition is not None:
        if disposition.tenant_id != room.tenant_id or disposition.pk not in applicable:
            raise ValidationError({"disposition": "This disposition does not apply to this conversation."})
    elif by_agent and any(applicable.values()):
        raise ValidationError({"disposition": "Choose a disposition to end this conversation."})
    room.disposition, room.summary = disposition, summary


@transaction.atomic
def room_end(*, room, actor, disposition=None, summary=""):
    room = lock_room(room.pk)
    if room.state == RoomState.CLOSED:
        raise ValidationError({"state": "This interaction has already ended."})
    is_manager = actor.is_superuser or (actor.tenant_id == room.tenant_id and actor.role == Role.ADMIN)
    if room.agent_id != actor.pk and not is_manager:
        raise PermissionDenied("Only the agent who holds this interaction or an administrator can end it.")
    if room.state != RoomState.ACTIVE and not is_manager:
        raise ValidationError({"state": "Accept or reject the offer; only an active interaction can be ended."})
    _wrap_up(room, disposition, summary, by_agent=room.agent_id == actor.pk)
    if room.disposition_id or room.summary:
        Room.objects.filter(pk=room.pk).update(disposition=room.disposition, summary=room.summary)
    return close_locked(room, CloseReason.ENDED_BY_AGENT)


def expire_room(room_id, now=None, sweeping=False):
    """R7: close the room if its inactivity timer ran out (the job `rooms.expire_room`, scheduled for
    the timer's due time when it starts). Exactly once across processes: read under the room's lock,
    and a reset that committed first wins: the timer then lies ahead, and the job waits for it.
    `sweeping`: a room another transaction holds is left to it (or to the next sweep)."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            room = lock_room(room_id, skip_locked=sweeping)
        except Room.DoesNotExist:
            return False
        if room.state != RoomState.ACTIVE or room.channel != Channel.SMS or room.expires_at is None:
            return False
        if jobs.not_yet_due("rooms.expire_room", room.pk, room.expires_at, now, sweeping):
            return False
        metrics.record_timer_fired("session_expiry", room.expires_at, now)
        close_locked(room, CloseReason.EXPIRED, now)
    return True


def expire_rooms(now=None):
    """The safety sweep: every room whose timer ran out and whose job was lost."""
    now = now or timezone.now()
    ids = Room.objects.filter(state=RoomState.ACTIVE, channel=Channel.SMS, expires_at__lte=now).values_list("id", flat=True)[:500]
    return sum(expire_room(room_id, now, sweeping=True) for room_id in ids)


def forced_disconnect_count(tenant):
    """The open SMS interactions a forced disconnect would end: open rooms, and the delivery mode's
    interactions that have no room yet (a Digital case the agent started, not answered yet)."""
    mode = delivery.mode_for(tenant, Channel.SMS)
    rooms = Room.objects.filter(tenant=tenant, channel=Channel.SMS, state__in=OPEN_ROOM_STATES).count()
    return rooms + (mode.open_without_room(tenant) if mode is not None else 0)


def forced_disconnect(*, tenant, actor):
    """R10: end every open SMS interaction of the tenant at once; every transcript is kept. The
    delivery mode ends its own first (a Digital case closes, and its room with it); then every room
    still open closes."""
    if not (actor.is_superuser or (actor.tenant_id == tenant.pk and actor.role == Role.ADMIN)):
        raise PermissionDenied("Only an administrator of this tenant can force a disconnect.")
    now = timezone.now()
    mode = delivery.mode_for(tenant, Channel.SMS)
    ended = mode.forced_disconnect(tenant, now) if mode is not None else 0
    ids = list(Room.objects.filter(tenant=tenant, channel=Channel.SMS, state__in=OPEN_ROOM_STATES).values_list("id", flat=True))
    for room_id in ids:
        with transaction.atomic():
            room = sql.locked(Room.objects.select_related("tenant")).filter(pk=room_id, state__in=OPEN_ROOM_STATES).first()
            if room is None:
                continue
            close_locked(room, CloseReason.FORCED_DISCONNECT, now, keep_transcript=True)
            ended += 1
    audit_event(event=Event.FORCED_DISCONNECT, obj=tenant, actor=actor, details={"ended": ended})
    return ended
