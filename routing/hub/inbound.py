"""An inbound text: stored exactly once (unique MessageSid), in the contact's open room on that
number or a new one (R6), opt-out keywords handled (R17), then handed to the tenant's delivery
mode (routing.hub.delivery). A tenant whose SMS Messaging is off keeps the text (nothing is lost)
but neither routes nor answers it (R1): its room closes at once as "arrived while SMS was off".
"""
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events, rules, sms, sql
from ..choices import OPEN_ROOM_STATES, AutoReply, Channel, CloseReason, Direction, MessageStatus, RoomState
from ..models import CarrierAccount, Message, PointOfContact, Room, Skill, Tenant
from ..ops import metrics
from . import delivery, optout
from .outbound import reply_automatic
from .rooms import close_locked, room_touch, session_timeout

log = logging.getLogger("cxsms.inbound")
# A text sent without a room (a campaign's) joins the room its contact's answer opens, if that
# answer comes within this long.
ADOPT_WITHIN = timedelta(days=30)


def poc_for_number(number):
    """The active SMS point of contact of a carrier's To number, with its tenant, carrier account and
    default skill: read for every text that arrives, in one hand-written statement."""
    found = sql.row(f"SELECT {sql.columns(PointOfContact, 'p')}, {sql.columns(Tenant, 't')}, {sql.columns(CarrierAccount, 'a')}, "
                    f"{sql.columns(Skill, 's')} FROM {sql.table(PointOfContact)} p JOIN {sql.table(Tenant)} t ON t.id = p.tenant_id "
                    f"LEFT JOIN {sql.table(CarrierAccount)} a ON a.id = p.carrier_account_id "
                    f"LEFT JOIN {sql.table(Skill)} s ON s.id = p.skill_id "
                    f"WHERE p.channel = %s AND p.number = %s AND p.is_active", [Channel.SMS, number])
    if found is None:
        return None
    poc, poc.tenant, poc.carrier_account, skill = sql.build_joined((PointOfContact, Tenant, CarrierAccount, Skill), found)
    if skill is not None:
        poc.skill = skill
    return poc


def _open_room(poc, contact_number, first_body, now, mode):
    opening = mode.open_fields(poc, first_body, now) if mode is not None else delivery.Opening()  # none: SMS off, or no app
    room = sql.insert(Room(
        tenant_id=poc.tenant_id, channel=poc.channel, direction=Direction.INBOUND, state=RoomState.QUEUED, point_of_contact=poc,
        contact_number=contact_number, poc_number=poc.number, opened_at=now, queued_at=now, last_message_at=now, **opening.room_fields))
    if opening.skill is not None:
        room.skill = opening.skill  # read by the mode anyway: payloads want its name
    # Texts sent to this contact without a room (a campaign's) join the thread the answer opens.
    t = sql.tables()
    sql.execute(f"UPDATE {t['message']} SET room_id = %s WHERE room_id IS NULL AND point_of_contact_id = %s AND contact_number = %s "
                f"AND created_at >= %s", [room.pk, poc.pk, contact_number, sql.dt(now - ADOPT_WITHIN)])
    return room, opening


def _open_room_locked(poc, contact_number):
    """The contact's open room on this number, locked, or None."""
    t = sql.tables()
    found = sql.row(f"SELECT {sql.columns(Room, 'r')} FROM {t['room']} r WHERE r.point_of_contact_id = %s AND r.contact_number = %s "
                    f"AND r.state IN (%s, %s, %s) LIMIT 1{sql.for_update()}", [poc.pk, contact_number, *OPEN_ROOM_STATES])
    return sql.build(Room, found) if found else None


def _stored_inbound(message_sid):
    return Message.objects.filter(carrier_sid=message_sid).first()  # only for a repeated MessageSid


def inbound_sms(*, poc, message_sid, from_number, body, num_media=0):
    """Store an inbound text exactly once (unique MessageSid), join or open its room, hand a new room
    to the delivery mode. Returns (message, created). Raises ValidationError on malformed input,
    before writing anything."""
    if not message_sid or len(message_sid) > 64:
        raise ValidationError({"MessageSid": "A MessageSid is required (at most 64 characters)."})
    if len(body) > sms.MAX_BODY:
        raise ValidationError({"Body": f"The body has {len(body)} characters; the carrier maximum is {sms.MAX_BODY}."})
    try:
        contact_number = rules.contact_normalize_number(from_number)
    except ValidationError:
        raise ValidationError({"From": f"“{from_number}” is not a phone number in E.164 form."})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _inbound_sms_once(poc, message_sid, contact_number, body), True
        except IntegrityError:
            # A repeated delivery of this MessageSid (stored before, or by a concurrent request: its
            # unique carrier_sid refuses the copy, and everything this attempt wrote rolls back), or
            # a concurrent text of this contact opened the room first (tried again: it joins it).
            existing = _stored_inbound(message_sid)
            if existing:
                metrics.record_inbound_text(poc.tenant_id, "duplicate")
                return existing, False
    raise RuntimeError("could not store the inbound text after 3 attempts")


def _inbound_sms_once(poc, message_sid, contact_number, body):
    now = timezone.now()
    tenant = poc.tenant
    enabled = tenant.sms_messaging_enabled
    keyword = sms.keyword(body)
    room = _open_room_locked(poc, contact_number)
    new_room, opening = room is None, None
    mode = delivery.mode_for(tenant, Channel.SMS) if enabled else None
    if new_room:
        room, opening = _open_room(poc, contact_number, body, now, mode)
    room.tenant = tenant
    encoding, segments = sms.encoding_and_segments(body)
    message = sql.insert(Message(room=room, tenant_id=tenant.id, point_of_contact_id=poc.pk, contact_number=contact_number,
                                 direction=Direction.INBOUND, body=body, carrier_sid=message_sid, status=MessageStatus.RECEIVED,
                                 encoding=encoding, segments=segments, created_at=now))
    if not new_room:  # a new room was created with these values
        resets = room.state == RoomState.ACTIVE and room.expires_at is not None
        room_touch(room, now, now + session_timeout() if resets else None)  # R7: every SMS received resets the timer
    events.room_message(room, message)
    metrics.record_inbound_text(tenant.id, {"opt_out": "opt_out", "opt_in": "opt_in", "help": "help"}.get(keyword, "stored"))

    # The opt-out state follows the contact's word even while SMS is off (nothing is answered then).
    if keyword == "opt_out":
        optout.contact_set_opt_out(tenant_id=tenant.id, number=contact_number, opted_out=True)
        reply_automatic(room, tenant.opt_out_reply, AutoReply.OPT_OUT, allow_opted_out=True, now=now)
    elif keyword == "opt_in":
        optout.contact_set_opt_out(tenant_id=tenant.id, number=contact_number, opted_out=False)
        reply_automatic(room, tenant.opt_in_reply, AutoReply.OPT_IN, now=now)
    elif keyword == "help":
        reply_automatic(room, tenant.help_reply, AutoReply.HELP, allow_opted_out=True, now=now)
    elif new_room and opening.after_hours and poc.after_hours_reply:
        reply_automatic(room, poc.after_hours_reply, AutoReply.AFTER_HOURS, now=now)

    if new_room:
        if not enabled:
            close_locked(room, CloseReason.SMS_OFF, now, keep_transcript=True)
        elif keyword:
            # A keyword alone is not a conversation: kept in the transcripts, not routed to an agent.
            close_locked(room, CloseReason.ENDED_BY_CONTACT, now)
        elif mode is None:
            log.warning("room %s waits: no installed app delivers texts the %s way", room.pk, tenant.sms_delivery)
        else:
            hand_off(mode, room, message, "new text")
    elif mode is not None and type(mode).received is not delivery.Mode.received:  # the ACD's texts skip the savepoint
        received(mode, room, message)
    return message


def received(mode, room, message):
    """A later text of an open room, to its delivery mode (in a savepoint, as `hand_off`: the text
    stays stored if the mode fails; the mode's sweep catches up)."""
    try:
        with transaction.atomic():
            mode.received(room, message)
    except Exception:
        log.exception("giving text %s of room %s to the %s delivery mode failed", message.pk, room.pk, mode.name)


def hand_off(mode, room, message, trigger):
    """Give a new room to its delivery mode in the transaction that stores its first text (one commit
    for both). In a savepoint: if the mode fails, the text is still stored, and the mode's own safety
    sweep picks the room up (the ACD's queue sweep routes rooms that have no decision)."""
    try:
        with transaction.atomic():
            mode.hand_off(room, message, trigger)
    except Exception:
        log.exception("handing room %s to the %s delivery mode failed; its sweep will pick it up", room.pk, mode.name)
