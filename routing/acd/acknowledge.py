"""A waiting contact is not left alone: once a room has waited its point of contact's
`ack_after_seconds` for an agent, the contact gets the acknowledgement (off by default). Once per
room, and like every automatic reply at most once per contact number in the tenant's window.

The due time follows from the room (opened_at + the delay), so the timed job `acd.acknowledge`
(scheduled when the room is handed to the ACD) and the sweep `acd.acknowledge_sweep` (which
recovers a lost job) agree, and whoever comes first sends it under the room's lock."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import jobs, sql
from ..choices import AutoReply, RoomState
from ..hub.outbound import reply_automatic
from ..models import Room

WAITING = (RoomState.QUEUED, RoomState.OFFERED)
MIN_DELAY = 5  # seconds; the field's validator refuses less


def due_at(room, poc):
    return room.opened_at + timedelta(seconds=poc.ack_after_seconds) if poc.ack_after_seconds and poc.ack_reply else None


def schedule(room):
    """After a new room was handed to the ACD (its point of contact is loaded: no query)."""
    due = due_at(room, room.point_of_contact)
    if due is not None:
        jobs.enqueue_at("acd.acknowledge", due, room.pk)


def acknowledge(room_id, now=None, sweeping=False):
    """Send the acknowledgement if the room still waits for an agent and is due. Returns True if sent."""
    now = now or timezone.now()
    with transaction.atomic():
        room = (sql.locked(Room.objects, skip_locked=sweeping).select_related("point_of_contact", "tenant")
                .filter(pk=room_id, state__in=WAITING, acknowledged_at__isnull=True).first())
        if room is None:
            return False  # accepted, closed or acknowledged meanwhile
        due = due_at(room, room.point_of_contact)
        if due is None:
            return False  # switched off meanwhile
        if jobs.not_yet_due("acd.acknowledge", room.pk, due, now, sweeping):
            return False
        Room.objects.filter(pk=room.pk).update(acknowledged_at=now)
        return reply_automatic(room, room.point_of_contact.ack_reply, AutoReply.ACKNOWLEDGEMENT, now=now) is not None


def acknowledge_due(now=None):
    """The sweep: rooms waiting at least the shortest delay whose point of contact acknowledges."""
    now = now or timezone.now()
    ids = (Room.objects.filter(state__in=WAITING, acknowledged_at__isnull=True, point_of_contact__ack_after_seconds__isnull=False,
                               opened_at__lte=now - timedelta(seconds=MIN_DELAY)).values_list("id", flat=True)[:200])
    return sum(acknowledge(room_id, now, sweeping=True) for room_id in ids)
