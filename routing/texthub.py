"""The text hub: every text in and out passes through here (R6–R11, R17).

Rooms hold interactions; messages are stored, in order, before any reply is sent; the outbox
sends after commit and retries without ever making a second SMS; timers live in the database
(Room.expires_at, Room.offer_expires_at) and are fired by routing.timers in every process,
exactly once thanks to conditional updates under row locks.
"""
import functools
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .audit.choices import Event
from .audit.services import audit_event

from . import engine, events, rules, scripts, sms, sql
from .carriers import backend_for
from .choices import (MESSAGE_STATUS_RANK, OPEN_ROOM_STATES, Channel, CloseReason, Direction,
                      MessageStatus, Role, RoomState, SmsDelivery)
from .models import Contact, Message, PointOfContact, Room, Skill, Tenant, User

log = logging.getLogger("cxsms.texthub")
MAX_SEND_ATTEMPTS = 6
SENDING_LEASE = timedelta(seconds=60)
TWILIO_OPTED_OUT = "21610"
AMBIGUOUS = ("timeout", "connection", "lookup", "lease")


def session_timeout():
    return timedelta(seconds=settings.CXSMS_SMS_SESSION_TIMEOUT)


# --- contacts and opt-out (R17) -------------------------------------------------------------

def contact_is_opted_out(tenant_id, number):
    # Asked before every text out (R17): one prepared statement rather than an ORM query.
    return sql.row(f"SELECT 1 FROM {sql.tables()['contact']} WHERE tenant_id = %s AND number = %s AND opted_out", [tenant_id, number]) is not None


def contact_set_opt_out(*, tenant_id, number, opted_out):
    contact, _ = Contact.objects.get_or_create(tenant_id=tenant_id, number=number)
    if contact.opted_out != opted_out:
        contact.opted_out, contact.opted_out_at = opted_out, timezone.now() if opted_out else None
        contact.save(update_fields=["opted_out", "opted_out_at"])
    return contact


def opted_out_error(number):
    return ValidationError({"body": f"{number} has opted out of texts from this company (replied STOP): nothing can be sent "
                                    "until the contact texts START."})


# --- inbound -----------------------------------------------------------------------------------

def poc_for_number(number):
    """The active SMS point of contact of a carrier's To number, with its tenant, carrier account and
    default skill: read for every text that arrives, in one hand-written statement."""
    from .models import CarrierAccount

    found = sql.row(f"SELECT {sql.columns(PointOfContact, 'p')}, {sql.columns(Tenant, 't')}, {sql.columns(CarrierAccount, 'a')}, "
                    f"{sql.columns(Skill, 's')} FROM {sql.table(PointOfContact)} p JOIN {sql.table(Tenant)} t ON t.id = p.tenant_id "
                    f"LEFT JOIN {sql.table(CarrierAccount)} a ON a.id = p.carrier_account_id LEFT JOIN {sql.table(Skill)} s ON s.id = p.skill_id "
                    f"WHERE p.channel = %s AND p.number = %s AND p.is_active", [Channel.SMS, number])
    if found is None:
        return None
    poc, poc.tenant, poc.carrier_account, poc.skill = sql.build_joined((PointOfContact, Tenant, CarrierAccount, Skill), found)
    return poc


def _open_room(poc, contact_number, first_body, now, direction=Direction.INBOUND):
    outcome = scripts.evaluate(poc, first_body, now)
    room = sql.insert(Room(
        tenant_id=poc.tenant_id, channel=poc.channel, direction=direction, state=RoomState.QUEUED, point_of_contact=poc,
        contact_number=contact_number, poc_number=poc.number, skill_id=outcome.skill_id, priority=outcome.priority,
        routed_by=outcome.rule, opened_at=now, queued_at=now, last_message_at=now))
    if outcome.skill is not None:
        room.skill = outcome.skill  # loaded with the rules: payloads need its name
    return room, outcome


def _open_room_locked(poc, contact_number):
    """The contact's open room on this number, locked, or None."""
    t = sql.tables()
    found = sql.row(f"SELECT {sql.columns(Room, 'r')} FROM {t['room']} r WHERE r.point_of_contact_id = %s AND r.contact_number = %s "
                    f"AND r.state IN (%s, %s, %s) LIMIT 1{sql.for_update()}", [poc.pk, contact_number, *OPEN_ROOM_STATES])
    return sql.build(Room, found) if found else None


def _stored_inbound(message_sid):
    return Message.objects.filter(carrier_sid=message_sid).first()  # only for a repeated MessageSid


def inbound_sms(*, poc, message_sid, from_number, body, num_media=0):
    """Store an inbound text exactly once (unique MessageSid), join or open its room, route a new room.
    Returns (message, created). Raises ValidationError on malformed input, before writing anything."""
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
                return existing, False
    raise RuntimeError("could not store the inbound text after 3 attempts")


def _inbound_sms_once(poc, message_sid, contact_number, body):
    now = timezone.now()
    tenant = poc.tenant
    keyword = sms.keyword(body)
    room = _open_room_locked(poc, contact_number)
    new_room, outcome = False, None
    if room is None:
        room, outcome = _open_room(poc, contact_number, body, now)
        new_room = True
    encoding, segments = sms.encoding_and_segments(body)
    message = sql.insert(Message(room=room, tenant_id=tenant.id, direction=Direction.INBOUND, body=body, carrier_sid=message_sid,
                                 status=MessageStatus.RECEIVED, encoding=encoding, segments=segments, created_at=now))
    if not new_room:  # a new room was created with these values
        resets = room.state == RoomState.ACTIVE and room.expires_at is not None
        _room_touch(room, now, now + session_timeout() if resets else None)  # R7: every SMS received resets the timer
    events.room_message(room, message)

    if keyword == "opt_out":
        contact_set_opt_out(tenant_id=tenant.id, number=contact_number, opted_out=True)
        _reply_automatic(room, tenant.opt_out_reply, allow_opted_out=True)
    elif keyword == "opt_in":
        contact_set_opt_out(tenant_id=tenant.id, number=contact_number, opted_out=False)
        _reply_automatic(room, tenant.opt_in_reply)
    elif keyword == "help":
        _reply_automatic(room, tenant.help_reply, allow_opted_out=True)
    elif new_room and outcome.after_hours and poc.after_hours_reply:
        _reply_automatic(room, poc.after_hours_reply)

    if new_room:
        if keyword:
            # A keyword alone is not a conversation: kept in the transcripts, not routed to an agent.
            _close_locked(room, CloseReason.ENDED_BY_CONTACT, now)
        elif tenant.sms_delivery == SmsDelivery.DIGITAL:
            log.info("room %s waits for the Digital Experience inbox", room.pk)
        else:
            _route_new_room(room, message)
    return message


def _route_new_room(room, message, trigger="new text"):
    """Route a new room in the transaction that stores its first text (one commit for both). In a
    savepoint: if routing fails, the text is still stored and the queue sweep routes the room."""
    try:
        engine.route_room(room.pk, trigger, room=room, first_message=message)
    except Exception:
        log.exception("routing room %s failed; the queue sweep will route it", room.pk)


# --- outbound ----------------------------------------------------------------------------------

def _status_callback_url():
    return _callback_url(settings.CXSMS_PUBLIC_URL)


@functools.lru_cache(maxsize=4)
def _callback_url(public_url):  # URL resolving costs more than the rest of a send to the simulator
    return public_url.rstrip("/") + reverse("twilio-status")


def _store_outbound(room, body, author=None, automatic=False, now=None):
    now = now or timezone.now()
    encoding, segments = sms.encoding_and_segments(body)
    chat = room.channel == Channel.CHAT
    message = sql.insert(Message(room=room, tenant_id=room.tenant_id, direction=Direction.OUTBOUND, body=body, author=author,
                                 status=MessageStatus.DELIVERED if chat else MessageStatus.PENDING, encoding=encoding,
                                 segments=segments, created_at=now, automatic=automatic))
    resets = room.channel == Channel.SMS and room.state == RoomState.ACTIVE
    _room_touch(room, now, now + session_timeout() if resets else None)  # R7: starts on the first outbound text, resets on each
    events.room_message(room, message)
    if not chat:
        transaction.on_commit(lambda: outbox_deliver(message.pk, message=message), robust=True)
    return message


def _room_touch(room, now, expires_at=None):
    """A message came or went: the room's last message time, and its inactivity timer when
    `expires_at` resets it (R7); otherwise the stored timer is left as it is."""
    t = sql.tables()
    if expires_at is None:
        sql.execute(f"UPDATE {t['room']} SET last_message_at = %s WHERE id = %s", [sql.dt(now), room.pk])
    else:
        sql.execute(f"UPDATE {t['room']} SET last_message_at = %s, expires_at = %s WHERE id = %s", [sql.dt(now), sql.dt(expires_at), room.pk])
        room.expires_at = expires_at
    room.last_message_at = now


def _reply_automatic(room, body, allow_opted_out=False):
    if not body or (not allow_opted_out and contact_is_opted_out(room.tenant_id, room.contact_number)):
        return None
    return _store_outbound(room, body, automatic=True)


def _storable(text):
    """PostgreSQL stores UTF-8 text without NUL. A JSON body can still carry "\u0000" or a lone surrogate
    ("\ud800"); SQLite keeps them, PostgreSQL refuses the row (found by the fuzz test's PostgreSQL pass)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _validate_body(body):
    if body is not None and not isinstance(body, str):
        raise ValidationError({"body": "The message must be text."})
    if body and not _storable(body):
        raise ValidationError({"body": "The message contains a character that is not text (a NUL or half of a surrogate pair)."})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Type a message to send."})
    if len(body) > sms.MAX_BODY:
        raise ValidationError({"body": f"A text is at most {sms.MAX_BODY} characters; this one has {len(body)}."})
    return body


@transaction.atomic
def message_send(*, room, author, body):
    """An agent's text in their active room (R7 timer reset; R17 never to an opted-out number)."""
    body = _validate_body(body)
    room = engine.lock_room(room.pk)
    if room.agent_id != author.pk:
        raise PermissionDenied("Only the agent who holds this interaction can write in it.")
    if room.state != RoomState.ACTIVE:
        raise ValidationError({"body": f"This interaction is {room.get_state_display().lower()}: accept it first, or start a new one."
                                       if room.state != RoomState.CLOSED else "This interaction has ended: start a new one to text the contact."})
    if room.channel == Channel.SMS and contact_is_opted_out(room.tenant_id, room.contact_number):
        raise opted_out_error(room.contact_number)
    return _store_outbound(room, body, author=author)


def outbox_deliver(message_id, now=None, message=None):
    """Send one pending outbound text through its POC's carrier. Safe to call from several processes.
    `message`: the Message just stored by this thread, with its room (spares reading it again)."""
    now = now or timezone.now()
    # Claim it: pending and due, or sending with a lapsed lease (its sender died). One process wins.
    claimed = sql.execute(
        f"UPDATE {sql.tables()['message']} SET status = %s, attempts = attempts + 1, next_attempt_at = %s "
        f"WHERE id = %s AND direction = %s AND (status = %s OR (status = %s AND next_attempt_at <= %s)) "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s)",
        [MessageStatus.SENDING, sql.dt(now + SENDING_LEASE), message_id, Direction.OUTBOUND, MessageStatus.PENDING, MessageStatus.SENDING,
         sql.dt(now), sql.dt(now)])
    if not claimed:
        return None
    if message is None:
        message = Message.objects.select_related("room__point_of_contact__carrier_account").get(pk=message_id)
    else:
        message.attempts += 1  # as the claim did
    room = message.room
    account = _carrier_account(room)
    if contact_is_opted_out(room.tenant_id, room.contact_number) and not message.automatic:
        return _finish_send(message, None, error=("opted_out", f"{room.contact_number} opted out before the text left."))
    ambiguous = message.error_code in AMBIGUOUS or message.attempts > 1 and message.error_code == ""
    try:
        kwargs = {"ambiguous_since": message.created_at} if ambiguous and account.provider == "twilio" else {}
        result = backend_for(account).send(account=account, from_number=room.poc_number, to_number=room.contact_number, body=message.body,
                                           status_callback=_status_callback_url(), key=message.send_key, **kwargs)
    except Exception as exc:  # a bug in a backend must not lose the text: retried like a timeout
        log.exception("carrier backend failed for message %s", message_id)
        from .carriers import SendResult

        result = SendResult(ok=False, transient=True, error_code="lease", error_message=str(exc)[:300])
    return _finish_send(message, result, now=now)


def _carrier_account(room):
    """The account the room's number sends through (the POC's, as loaded with it, else read)."""
    from .models import CarrierAccount, PointOfContact

    if Room.point_of_contact.is_cached(room):
        return room.point_of_contact.carrier_account
    found = sql.row(f"SELECT {sql.columns(CarrierAccount, 'a')} FROM {sql.table(CarrierAccount)} a "
                    f"JOIN {sql.table(PointOfContact)} p ON p.carrier_account_id = a.id WHERE p.id = %s", [room.point_of_contact_id])
    return sql.build(CarrierAccount, found) if found else None


def _finish_send(message, result, error=None, now=None):
    now = now or timezone.now()
    t = sql.tables()
    with transaction.atomic():
        new_sid = None  # keep the carrier SID as stored (a status callback may have written it meanwhile)
        if error:
            message.status, message.error_code, message.error_message = MessageStatus.FAILED, *error
        elif result.ok:
            new_sid = result.sid or None
            new = result.status if result.status in MESSAGE_STATUS_RANK else MessageStatus.QUEUED
            message.status = new if MESSAGE_STATUS_RANK[new] >= MESSAGE_STATUS_RANK[MessageStatus.QUEUED] else MessageStatus.QUEUED
            message.error_code = message.error_message = ""
            message.next_attempt_at = None
        elif result.transient and message.attempts < MAX_SEND_ATTEMPTS:
            message.status = MessageStatus.PENDING
            message.error_code, message.error_message = result.error_code, result.error_message
            message.next_attempt_at = now + timedelta(seconds=min(2 ** message.attempts, 60))
        else:
            message.status = MessageStatus.FAILED
            message.error_code, message.error_message = result.error_code, result.error_message
            message.next_attempt_at = None
            if result.error_code == TWILIO_OPTED_OUT:
                contact_set_opt_out(tenant_id=message.tenant_id, number=message.room.contact_number, opted_out=True)
                message.error_message = f"The carrier refused: {message.room.contact_number} has opted out (error 21610)."
        (message.carrier_sid,) = sql.row(
            f"UPDATE {t['message']} SET carrier_sid = COALESCE(%s, carrier_sid), status = %s, error_code = %s, error_message = %s, "
            f"next_attempt_at = %s WHERE id = %s RETURNING carrier_sid",
            [new_sid, message.status, message.error_code, message.error_message, sql.dt(message.next_attempt_at), message.pk])
        events.message_status(message)
    return message


def outbox_retry(now=None):
    """The timer loop's share of the outbox: texts waiting for a retry, or whose sender died."""
    now = now or timezone.now()
    due = (Message.objects.filter(direction=Direction.OUTBOUND, status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
           .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(seconds=5)))
           .values_list("id", flat=True)[:100])
    n = 0
    for message_id in due:
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(error_code="lease")
        if outbox_deliver(message_id, now=now):
            n += 1
    return n


@transaction.atomic
def status_update(*, message_sid, status, error_code=""):
    """A carrier status callback: statuses only move forward, whatever order callbacks arrive in."""
    message = engine.locked(Message.objects.select_related("room")).filter(carrier_sid=message_sid, direction=Direction.OUTBOUND).first()
    if message is None or status not in MESSAGE_STATUS_RANK:
        return None
    if MESSAGE_STATUS_RANK[status] <= MESSAGE_STATUS_RANK.get(message.status, 0) and status != message.status:
        return message
    if status == message.status:
        return message
    message.status = status
    if error_code:
        message.error_code = error_code
        if error_code == TWILIO_OPTED_OUT:
            contact_set_opt_out(tenant_id=message.tenant_id, number=message.room.contact_number, opted_out=True)
            message.error_message = f"The carrier refused: {message.room.contact_number} has opted out (error 21610)."
    message.save(update_fields=["status", "error_code", "error_message"])
    events.message_status(message)
    return message


# --- room life cycle ---------------------------------------------------------------------------

@transaction.atomic
def room_accept(*, room, agent):
    room = engine.lock_room(room.pk)
    if room.agent_id != agent.pk or room.state != RoomState.OFFERED:
        raise ValidationError({"state": "This offer is no longer yours: it was accepted, lapsed or taken back."}
                              if room.state != RoomState.ACTIVE or room.agent_id != agent.pk else {"state": "You already accepted this interaction."})
    now = timezone.now()
    room.state, room.accepted_at, room.offer_expires_at = RoomState.ACTIVE, now, None
    if room.channel == Channel.SMS:
        room.expires_at = now + session_timeout()  # R7: the timer starts on accept
    sql.execute(f"UPDATE {sql.tables()['room']} SET state = %s, accepted_at = %s, offer_expires_at = NULL, expires_at = %s WHERE id = %s",
                [room.state, sql.dt(now), sql.dt(room.expires_at), room.pk])
    events.room_assigned(room)
    return room


@transaction.atomic
def room_reject(*, room, agent):
    room = engine.lock_room(room.pk)
    if room.agent_id != agent.pk or room.state != RoomState.OFFERED:
        raise ValidationError({"state": "This offer is no longer yours."})
    engine.offer_release(room, agent.pk, "rejected")
    return room


def _close_locked(room, reason, now=None, keep_transcript=None):
    """Close a locked room. The transcript is kept when the tenant saves transcripts, or when the
    caller says so (a forced disconnect never loses one, R10)."""
    now = now or timezone.now()
    agent_id = room.agent_id
    room.state, room.closed_at, room.close_reason = RoomState.CLOSED, now, reason
    room.offer_expires_at = None
    if keep_transcript is None:
        keep_transcript = (room.tenant.save_transcripts if Room.tenant.is_cached(room) else
                           sql.row(f"SELECT save_transcripts FROM {sql.table(Tenant)} WHERE id = %s", [room.tenant_id])[0])
    room.transcript_kept = bool(keep_transcript)
    sql.execute(f"UPDATE {sql.tables()['room']} SET state = %s, closed_at = %s, close_reason = %s, offer_expires_at = NULL, "
                f"transcript_kept = %s WHERE id = %s", [room.state, sql.dt(now), reason, room.transcript_kept, room.pk])
    if agent_id:
        engine.recount(agent_id)
        transaction.on_commit(lambda: engine.dispatch_for_agents(agent_ids=[agent_id]), robust=True)
    events.room_closed(room, agent_id=agent_id)
    return room


@transaction.atomic
def room_end(*, room, actor):
    room = engine.lock_room(room.pk)
    if room.state == RoomState.CLOSED:
        raise ValidationError({"state": "This interaction has already ended."})
    is_manager = actor.is_superuser or (actor.tenant_id == room.tenant_id and actor.role == Role.ADMIN)
    if room.agent_id != actor.pk and not is_manager:
        raise PermissionDenied("Only the agent who holds this interaction or an administrator can end it.")
    if room.state != RoomState.ACTIVE and not is_manager:
        raise ValidationError({"state": "Accept or reject the offer; only an active interaction can be ended."})
    return _close_locked(room, CloseReason.ENDED_BY_AGENT)


def expire_rooms(now=None):
    """R7: close SMS rooms whose inactivity timer ran out. Exactly once across processes:
    the conditional UPDATE succeeds for one caller only, and a reset that committed first wins."""
    now = now or timezone.now()
    closed = 0
    for room_id in Room.objects.filter(state=RoomState.ACTIVE, channel=Channel.SMS, expires_at__lte=now).values_list("id", flat=True)[:500]:
        with transaction.atomic():
            room = engine.locked(Room.objects.select_related("tenant")).filter(pk=room_id, state=RoomState.ACTIVE, expires_at__lte=now).first()
            if room is None:
                continue
            _close_locked(room, CloseReason.EXPIRED, now)
            closed += 1
    return closed


def forced_disconnect_count(tenant):
    return Room.objects.filter(tenant=tenant, channel=Channel.SMS, state__in=OPEN_ROOM_STATES).count()


def forced_disconnect(*, tenant, actor):
    """R10: end every open SMS interaction of the tenant at once; every transcript is kept."""
    if not (actor.is_superuser or (actor.tenant_id == tenant.pk and actor.role == Role.ADMIN)):
        raise PermissionDenied("Only an administrator of this tenant can force a disconnect.")
    ended = 0
    now = timezone.now()
    ids = list(Room.objects.filter(tenant=tenant, channel=Channel.SMS, state__in=OPEN_ROOM_STATES).values_list("id", flat=True))
    for room_id in ids:
        with transaction.atomic():
            room = engine.locked(Room.objects.select_related("tenant")).filter(pk=room_id, state__in=OPEN_ROOM_STATES).first()
            if room is None:
                continue
            _close_locked(room, CloseReason.FORCED_DISCONNECT, now, keep_transcript=True)
            ended += 1
    audit_event(event=Event.FORCED_DISCONNECT, obj=tenant, actor=actor, details={"ended": ended})
    return ended


@transaction.atomic
def room_open_outbound(*, agent, point_of_contact, contact_number, body):
    """R11: an agent with an outbound SMS skill texts a contact: a room assigned to them, counted, timer started."""
    body = _validate_body(body)
    poc = point_of_contact
    if agent.role != Role.AGENT or poc.tenant_id != agent.tenant_id:
        raise PermissionDenied("Only an agent of this tenant can start a text from this number.")
    if poc.channel != Channel.SMS:
        raise ValidationError({"point_of_contact": "Choose an SMS point of contact."})
    if not poc.tenant.sms_messaging_enabled:
        raise ValidationError({"point_of_contact": "SMS Messaging is not enabled on this tenant."})
    skill = Skill.objects.filter(agent_skills__agent=agent, channel=Channel.SMS, direction="outbound").order_by("agent_skills__proficiency").first()
    if skill is None:
        raise ValidationError({"point_of_contact": "You need an outbound SMS skill to start a text."})
    number = rules.contact_normalize_number(contact_number)
    if contact_is_opted_out(agent.tenant_id, number):
        raise ValidationError({"contact_number": f"{number} has opted out of texts from this company (replied STOP): nothing can be sent."})
    agent_row, held = engine.recount(agent.pk)
    if held >= agent_row.effective_session_limit:
        raise ValidationError({"contact_number": f"You hold {held} of your {agent_row.effective_session_limit} chat/SMS sessions: end one first."})
    open_room = Room.objects.filter(point_of_contact=poc, contact_number=number, state__in=OPEN_ROOM_STATES).first()
    if open_room:
        raise ValidationError({"contact_number": f"There is already an open conversation with {number} on this number (room {open_room.pk})."})
    now = timezone.now()
    try:
        with transaction.atomic():
            room = Room.objects.create(tenant_id=agent.tenant_id, channel=Channel.SMS, direction=Direction.OUTBOUND, state=RoomState.ACTIVE,
                                       point_of_contact=poc, contact_number=number, poc_number=poc.number, skill=skill, agent=agent,
                                       opened_at=now, queued_at=now, offered_at=now, accepted_at=now, last_message_at=now,
                                       expires_at=now + session_timeout(), routed_by="started by the agent")
    except IntegrityError:
        raise ValidationError({"contact_number": f"There is already an open conversation with {number} on this number."})
    User.objects.filter(pk=agent.pk).update(held=held + 1, idle_since=now, routable=engine.agent_routable(agent_row, held + 1))
    engine.sync_skill_copies(agent_ids=[agent.pk])
    events.room_assigned(room)
    _store_outbound(room, body, author=agent, now=now)
    return room


# --- web chat (R14) ----------------------------------------------------------------------------

def chat_poc(slug):
    return PointOfContact.objects.select_related("tenant").filter(channel=Channel.CHAT, slug=slug, is_active=True).first()


@transaction.atomic
def chat_start(*, poc, name, body):
    body = _validate_body(body)
    name = (name if isinstance(name, str) and _storable(name) else "").strip()[:100] or "Web visitor"
    now = timezone.now()
    outcome = scripts.evaluate(poc, body, now)
    room = Room.objects.create(tenant_id=poc.tenant_id, channel=Channel.CHAT, state=RoomState.QUEUED, point_of_contact=poc,
                               contact_name=name, chat_token=secrets.token_urlsafe(24), skill_id=outcome.skill_id,
                               priority=outcome.priority, routed_by=outcome.rule, opened_at=now, queued_at=now, last_message_at=now)
    message = Message.objects.create(room=room, tenant_id=poc.tenant_id, direction=Direction.INBOUND, body=body,
                                     status=MessageStatus.RECEIVED, created_at=now)
    _route_new_room(room, message, "new chat")
    return room


@transaction.atomic
def chat_contact_message(*, token, body):
    body = _validate_body(body)
    room = engine.locked(Room.objects).filter(chat_token=token, channel=Channel.CHAT).first()
    if room is None:
        raise PermissionDenied("Unknown chat.")
    if room.state == RoomState.CLOSED:
        raise ValidationError({"body": "This chat has ended. Start a new chat to write again."})
    now = timezone.now()
    message = Message.objects.create(room=room, tenant_id=room.tenant_id, direction=Direction.INBOUND, body=body,
                                     status=MessageStatus.RECEIVED, created_at=now)
    Room.objects.filter(pk=room.pk).update(last_message_at=now)
    events.room_message(room, message)
    return message
