"""Transcript retention: a tenant that keeps transcripts N days loses the messages of rooms that
closed more than N days ago. The rooms stay (reports count them: offered, accepted, handle time,
...), and what reports read from messages is rolled up first into the room's TranscriptRollup,
in the same transaction that deletes them, so a report over any period gives the same figures
before and after a run (reports add a room's rollup to what its remaining messages give).

Work goes in batches of rooms, each its own short transaction, so no lock is held for long and a
run that stops halfway leaves every room either untouched or fully rolled up.
`manage.py transcripts_prune` runs it (every night, from the task engine's schedule).
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from ..choices import Direction, RoomState
from ..models import Message, RetentionRun, Room, Tenant, TranscriptRollup

log = logging.getLogger("cxsms.retention")
BATCH_ROOMS = 200


def retention_cutoff(tenant, now):
    """Rooms closed before this instant lose their messages; None: the tenant keeps transcripts forever."""
    days = tenant.transcript_retention_days
    return None if not days else now - timedelta(days=days)


def _rollups(room_ids, now):
    inbound, outbound = Q(direction=Direction.INBOUND), Q(direction=Direction.OUTBOUND)
    rows = (Message.objects.filter(room_id__in=room_ids).values("room_id").order_by()
            .annotate(messages_in=Count("id", filter=inbound), messages_out=Count("id", filter=outbound),
                      segments_out=Sum("segments", filter=outbound), automatic_out=Count("id", filter=outbound & Q(automatic=True)),
                      first_inbound_at=Min("created_at", filter=inbound),
                      first_agent_reply_at=Min("created_at", filter=outbound & Q(author__isnull=False, automatic=False)),
                      last_message_at=Max("created_at")))
    by_room = {row.pop("room_id"): row for row in rows}
    rollups = []
    for room_id in room_ids:
        row = by_room.get(room_id, {})  # a room without messages (a chat nobody wrote in) gets zeros
        row["segments_out"] = row.get("segments_out") or 0  # SUM over no outbound text is NULL
        rollups.append(TranscriptRollup(room_id=room_id, pruned_at=now, **row))
    return rollups


def _prune_batch(tenant, cutoff, now, batch_size):
    """One transaction: the next `batch_size` rooms due, rolled up and emptied. Returns (rooms, messages)."""
    with transaction.atomic():
        due = (Room.objects.filter(tenant=tenant, state=RoomState.CLOSED, closed_at__lt=cutoff, transcript_rollup__isnull=True)
               .order_by("closed_at", "id").values_list("id", flat=True)[:batch_size])
        room_ids = list(due)
        if not room_ids:
            return 0, 0
        TranscriptRollup.objects.bulk_create(_rollups(room_ids, now))
        deleted, _ = Message.objects.filter(room_id__in=room_ids).delete()
        # The conversation has no transcript any more: previous-conversation lists (R9) leave it out.
        Room.objects.filter(pk__in=room_ids).update(transcript_kept=False)
        return len(room_ids), deleted


def tenant_transcripts_prune(*, tenant, now=None, batch_size=BATCH_ROOMS):
    """Prune one tenant; returns its RetentionRun (None when it keeps transcripts forever)."""
    now = now or timezone.now()
    cutoff = retention_cutoff(tenant, now)
    if cutoff is None:
        return None
    run = RetentionRun.objects.create(tenant=tenant, started_at=now, cutoff=cutoff)
    while True:
        rooms, messages = _prune_batch(tenant, cutoff, now, batch_size)
        if not rooms:
            break
        run.rooms += rooms
        run.messages += messages
    run.finished_at = timezone.now()
    run.save(update_fields=["rooms", "messages", "finished_at"])
    log.info("retention: tenant %s, %s room(s) and %s message(s) past %s pruned", tenant.pk, run.rooms, run.messages, cutoff.isoformat(),
             extra={"tenant_id": tenant.pk})
    return run


def transcripts_prune(*, now=None, batch_size=BATCH_ROOMS):
    """Every tenant with a retention period: [RetentionRun, ...]."""
    now = now or timezone.now()
    return [tenant_transcripts_prune(tenant=tenant, now=now, batch_size=batch_size)
            for tenant in Tenant.objects.filter(transcript_retention_days__isnull=False).order_by("pk")]


def last_retention_run(tenant):
    return RetentionRun.objects.filter(tenant=tenant).first()


def prune_job(now=None):
    """The periodic job (routing.jobs `retention.transcripts_prune`, asked every minute): prunes at
    the top of each hour, so each tenant's policy is applied within an hour of a transcript ageing out."""
    now = now or timezone.now()
    if now.minute != 0:
        return 0
    return len(transcripts_prune(now=now))
