"""Sending a text: the one way out, for an agent in a room, an automatic reply and a campaign. Public.

`text_send` refuses an opted-out number with the reason (R17), a tenant whose SMS Messaging is off
(R1) and a body that is empty, too long or not text; it stores the message before anything is
sent (R6) and hands it to the outbox after commit (routing.hub.outbox: the carrier call, retries
without a second SMS, status callbacks). A text sent without a room is kept on its thread (point
of contact + contact number): the room a reply opens takes it in, so the agent sees what the
contact answers (R9, R16).
"""
import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events, jobs, sms, sql
from ..choices import Channel, Direction, MessageStatus, RoomState
from ..models import Message
from . import optout
from .rooms import lock_room, room_touch, session_timeout

log = logging.getLogger("cxsms.outbound")


def storable(text):
    """PostgreSQL stores UTF-8 text without NUL. A JSON body can still carry "\\u0000" or a lone surrogate
    ("\\ud800"); SQLite keeps them, PostgreSQL refuses the row (found by the fuzz test's PostgreSQL pass)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def validate_body(body):
    """The text a person typed, trimmed, or a ValidationError that says what is wrong with it."""
    if body is not None and not isinstance(body, str):
        raise ValidationError({"body": "The message must be text."})
    if body and not storable(body):
        raise ValidationError({"body": "The message contains a character that is not text (a NUL or half of a surrogate pair)."})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Type a message to send."})
    if len(body) > sms.MAX_BODY:
        raise ValidationError({"body": f"A text is at most {sms.MAX_BODY} characters; this one has {len(body)}."})
    return body


def sms_off_error(field="body"):
    return ValidationError({field: "SMS Messaging is switched off for this company: texts can be neither sent nor routed. "
                                   "An administrator can switch it on again in Settings."})


def send_refusal(tenant, to_number, allow_opted_out=False):
    """Why nothing may be sent to `to_number` now (a ValidationError to raise), or None."""
    if not tenant.sms_messaging_enabled:
        return sms_off_error()
    if not allow_opted_out and optout.contact_is_opted_out(tenant.pk, to_number):
        return optout.opted_out_error(to_number)
    return None


def text_send(*, point_of_contact, to_number, body, author=None, automatic=False, room=None, allow_opted_out=False):
    """Send `body` from an SMS point of contact (with its tenant loaded) to `to_number` (E.164).
    `room`: the open room it belongs to (locked by the caller), else the thread keeps it.
    `allow_opted_out`: only the opt-out confirmation and HELP reply reach an opted-out number.
    Returns the stored Message; raises ValidationError (nothing stored) when it may not be sent."""
    body = validate_body(body)
    poc = point_of_contact
    _require_sms(poc)
    if refused := send_refusal(poc.tenant, to_number, allow_opted_out):
        raise refused
    return store_outbound(room, body, poc=poc, to_number=to_number, author=author, automatic=automatic)


def _require_sms(poc):
    if poc.channel != Channel.SMS:
        raise ValidationError({"point_of_contact": "Choose an SMS point of contact."})


def _outbound_message(body, *, room=None, poc=None, to_number=None, author=None, automatic=False, auto_kind="", now):
    """An unsaved outbound Message: in `room`, else on the thread of `poc` and `to_number`."""
    encoding, segments = sms.encoding_and_segments(body)
    chat = room is not None and room.channel == Channel.CHAT
    return Message(
        room=room, tenant_id=room.tenant_id if room is not None else poc.tenant_id,
        point_of_contact_id=room.point_of_contact_id if room is not None else poc.pk,
        contact_number=room.contact_number if room is not None else to_number, direction=Direction.OUTBOUND, body=body, author=author,
        status=MessageStatus.DELIVERED if chat else MessageStatus.PENDING, encoding=encoding, segments=segments, created_at=now,
        automatic=automatic, auto_kind=auto_kind)


def texts_send(*, point_of_contact, texts):
    """text_send for a batch from one SMS point of contact (a campaign's): `texts` is a list of
    (to_number, body). Each is refused or stored as text_send would (the same checks, the opt-out asked
    once for the batch, the messages inserted together) and given to the outbox after commit.
    Returns, in order, a Message or the ValidationError that refused it."""
    poc = point_of_contact
    _require_sms(poc)
    if not poc.tenant.sms_messaging_enabled:
        return [sms_off_error() for _ in texts]
    opted_out = optout.opted_out_among(poc.tenant_id, [number for number, _ in texts])
    now = timezone.now()
    results, new = [], []
    for number, body in texts:
        try:
            body = validate_body(body)
        except ValidationError as exc:
            results.append(exc)
            continue
        if number in opted_out:
            results.append(optout.opted_out_error(number))
            continue
        message = _outbound_message(body, poc=poc, to_number=number, now=now)
        results.append(message)
        new.append(message)
    Message.objects.bulk_create(new)  # sets their ids (RETURNING, on PostgreSQL and SQLite alike)
    for message in new:
        jobs.enqueue("outbox.deliver", message.pk)  # after commit
    return results


def store_outbound(room, body, *, poc=None, to_number=None, author=None, automatic=False, auto_kind="", now=None):
    """Store an outbound message (in `room` when given) and give it to the outbox after commit.
    In a room: R7, the first SMS out starts the timer and each one resets it."""
    now = now or timezone.now()
    message = sql.insert(_outbound_message(body, room=room, poc=poc, to_number=to_number, author=author, automatic=automatic,
                                           auto_kind=auto_kind, now=now))
    chat = room is not None and room.channel == Channel.CHAT
    if room is not None:
        resets = room.channel == Channel.SMS and room.state == RoomState.ACTIVE
        room_touch(room, now, now + session_timeout() if resets else None)
        events.room_message(room, message)
    if not chat:
        jobs.enqueue("outbox.deliver", message.pk)  # after commit
    return message


def auto_reply_window(tenant):
    return timedelta(minutes=tenant.auto_reply_window_minutes)


def auto_reply_recent(tenant, contact_number, kind, now):
    """Whether `contact_number` got an automatic reply of this kind within the tenant's window: the one
    rule that keeps a contact's own auto-responder from looping with ours (each kind at most once per
    window per number, across rooms). One indexed query, asked only when an automatic reply is due."""
    return Message.objects.filter(tenant_id=tenant.pk, contact_number=contact_number, automatic=True, auto_kind=kind,
                                  created_at__gte=now - auto_reply_window(tenant)).exists()


def reply_automatic(room, body, kind, allow_opted_out=False, now=None):
    """An automatic reply of `kind` (routing.choices.AutoReply) in a room: nothing when the text is
    blank, SMS is off, the contact opted out (unless allowed), or the contact had this kind of reply
    within the tenant's window (auto_reply_recent)."""
    now = now or timezone.now()
    if not body or send_refusal(room.tenant, room.contact_number, allow_opted_out):
        return None
    if room.contact_number and auto_reply_recent(room.tenant, room.contact_number, kind, now):
        return None
    return store_outbound(room, body, automatic=True, auto_kind=kind, now=now)


@transaction.atomic
def message_send(*, room, author, body):
    """An agent's text in their active room (R7 timer reset; R17 never to an opted-out number; R1)."""
    body = validate_body(body)
    room = lock_room(room.pk)
    if room.agent_id != author.pk:
        raise PermissionDenied("Only the agent who holds this interaction can write in it.")
    if room.state != RoomState.ACTIVE:
        raise ValidationError({"body": f"This interaction is {room.get_state_display().lower()}: accept it first, or start a new one."
                                       if room.state != RoomState.CLOSED
                                       else "This interaction has ended: start a new one to text the contact."})
    if room.channel == Channel.SMS and (refused := send_refusal(room.tenant, room.contact_number)):
        raise refused
    return store_outbound(room, body, author=author)
