"""The outbox: a stored outbound text goes to its point of contact's carrier, once.

Each send is a job (`outbox.deliver`, routing.jobs) claimed by a conditional update, so several
workers never send the same text at once; a transient failure is retried with backoff, and an
ambiguous one (timeout, a sender that died) is retried with the same key, which the carrier backend
uses so a retry never makes a second SMS. Status callbacks only move a status forward.
"""
import contextlib
import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .. import events, jobs, sql
from ..choices import MESSAGE_STATUS_RANK, Direction, MessageStatus
from ..models import CarrierAccount, Message, PointOfContact, Room
from ..ops import metrics
from . import optout
from .carriers import SendResult, backend_for

log = logging.getLogger("cxsms.outbox")
MAX_SEND_ATTEMPTS = 6

AMBIGUOUS = ("timeout", "connection", "lookup", "lease")


def _status_callback_url():
    return _callback_url(settings.CXSMS_PUBLIC_URL)


@functools.lru_cache(maxsize=4)
def _callback_url(public_url):  # URL resolving costs more than the rest of a send to the simulator
    return public_url.rstrip("/") + reverse("twilio-status")


def outbox_deliver(message_id, now=None):
    """Send one pending outbound text through its point of contact's carrier. Safe to call from
    several processes: the claim below lets one of them send."""
    now = now or timezone.now()
    # Claim it: pending and due, or sending with a lapsed lease (its sender died). One process wins.
    claimed = sql.execute(
        f"UPDATE {sql.tables()['message']} SET status = %s, attempts = attempts + 1, next_attempt_at = %s "
        f"WHERE id = %s AND direction = %s AND (status = %s OR (status = %s AND next_attempt_at <= %s)) "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s)",
        [MessageStatus.SENDING, sql.dt(now + timedelta(seconds=settings.CXSMS_SEND_LEASE)), message_id, Direction.OUTBOUND,
         MessageStatus.PENDING, MessageStatus.SENDING,
         sql.dt(now), sql.dt(now)])
    if not claimed:
        return None
    message = _message_to_send(message_id)
    poc = message.point_of_contact
    account = poc.carrier_account
    if optout.contact_is_opted_out(message.tenant_id, message.contact_number) and not message.automatic:
        return _finish_send(message, None, error=("opted_out", f"{message.contact_number} opted out before the text left."))
    if account is None:
        return _finish_send(message, None, error=("no_carrier", f"The number {poc.number} has no carrier account to send through."))
    ambiguous = message.error_code in AMBIGUOUS or message.attempts > 1 and message.error_code == ""
    try:
        kwargs = {"ambiguous_since": message.created_at} if ambiguous and account.provider == "twilio" else {}
        result = backend_for(account).send(account=account, from_number=poc.number, to_number=message.contact_number, body=message.body,
                                           status_callback=_status_callback_url(), key=message.send_key, **kwargs)
    except Exception as exc:  # a bug in a backend must not lose the text: retried like a timeout
        log.exception("carrier backend failed for message %s", message_id)
        result = SendResult(ok=False, transient=True, error_code="lease", error_message=str(exc)[:300])
    return _finish_send(message, result, now=now)


def _message_to_send(message_id):
    """The message with its room (if any), point of contact and carrier account, complete instances,
    in one hand-written statement: every text out reads it (the ORM's select_related compiled four
    joins per send)."""
    t = sql.tables()
    found = sql.row(f"SELECT {sql.columns(Message, 'm')}, {sql.columns(Room, 'r')}, {sql.columns(PointOfContact, 'p')}, "
                    f"{sql.columns(CarrierAccount, 'a')} FROM {t['message']} m LEFT JOIN {t['room']} r ON r.id = m.room_id "
                    f"JOIN {sql.table(PointOfContact)} p ON p.id = m.point_of_contact_id "
                    f"LEFT JOIN {sql.table(CarrierAccount)} a ON a.id = p.carrier_account_id WHERE m.id = %s", [message_id])
    message, room, poc, account = sql.build_joined((Message, Room, PointOfContact, CarrierAccount), found)
    message.room, message.point_of_contact, poc.carrier_account = room, poc, account
    return message


def _finish_send(message, result, error=None, now=None):
    now = now or timezone.now()
    t = sql.tables()
    if error:
        metrics.record_outbound_text(message.tenant_id, "opted_out" if error[0] == "opted_out" else "failed")
    elif result.ok:
        metrics.record_outbound_text(message.tenant_id, "sent")
    else:
        metrics.record_carrier_error(message.point_of_contact.carrier_account.provider if message.point_of_contact_id else "",
                                     result.error_code)
        metrics.record_outbound_text(message.tenant_id, "retry" if result.transient and message.attempts < MAX_SEND_ATTEMPTS else "failed")
    # One statement when the carrier took it (or it never left): no transaction to open and commit around
    # it. A failure may also record an opt-out and schedule the retry, which go with the update or not at all.
    with transaction.atomic() if result is not None and not result.ok else contextlib.nullcontext():
        new_sid = None  # keep the carrier SID as stored (a status callback may have written it meanwhile)
        if error:
            message.status, message.error_code, message.error_message = MessageStatus.FAILED, *error
            message.next_attempt_at = None
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
            jobs.enqueue_at("outbox.deliver", message.next_attempt_at, message.pk)  # after commit
        else:
            message.status = MessageStatus.FAILED
            message.error_code, message.error_message = result.error_code, result.error_message
            message.next_attempt_at = None
            if result.error_code == optout.CARRIER_OPTED_OUT:
                optout.contact_set_opt_out(tenant_id=message.tenant_id, number=message.contact_number, opted_out=True)
                message.error_message = optout.carrier_refusal_message(message.contact_number)
        (message.carrier_sid,) = sql.row(
            f"UPDATE {t['message']} SET carrier_sid = COALESCE(%s, carrier_sid), status = %s, error_code = %s, error_message = %s, "
            f"next_attempt_at = %s WHERE id = %s RETURNING carrier_sid",
            [new_sid, message.status, message.error_code, message.error_message, sql.dt(message.next_attempt_at), message.pk])
        events.message_status(message)
    return message


def outbox_due(now=None, limit=100):
    """Texts waiting for a retry, or whose sender died (their lease lapsed), or never handed to a
    sender (a process that died between commit and hand-off): the safety sweep's share."""
    now = now or timezone.now()
    return list(Message.objects.filter(direction=Direction.OUTBOUND, status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
                .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(seconds=5)))
                .values_list("id", flat=True)[:limit])


def outbox_retry(now=None):
    """Send what outbox_due finds, here and now (the sweep)."""
    now = now or timezone.now()
    n = 0
    for message_id in outbox_due(now):
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(error_code="lease")
        if outbox_deliver(message_id, now=now):
            n += 1
    return n


@transaction.atomic
def status_update(*, message_sid, status, error_code=""):
    """A carrier status callback: statuses only move forward, whatever order callbacks arrive in."""
    message = sql.locked(Message.objects.select_related("room")).filter(carrier_sid=message_sid, direction=Direction.OUTBOUND).first()
    if message is None or status not in MESSAGE_STATUS_RANK:
        return None
    if MESSAGE_STATUS_RANK[status] <= MESSAGE_STATUS_RANK.get(message.status, 0) and status != message.status:
        return message
    if status == message.status:
        return message
    message.status = status
    if error_code:
        message.error_code = error_code
        if error_code == optout.CARRIER_OPTED_OUT:
            optout.contact_set_opt_out(tenant_id=message.tenant_id, number=message.contact_number, opted_out=True)
            message.error_message = optout.carrier_refusal_message(message.contact_number)
    message.save(update_fields=["status", "error_code", "error_message"])
    events.message_status(message)
    return message


def carrier_account_for_message(message_sid):
    """The carrier account that sent the message with this SID (its status callbacks are signed with it)."""
    found = Message.objects.select_related("point_of_contact__carrier_account").filter(carrier_sid=message_sid,
                                                                                      direction=Direction.OUTBOUND).first()
    return found.point_of_contact.carrier_account if found and found.point_of_contact else None

