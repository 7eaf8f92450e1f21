"""Operational records: workers reporting in (/readyz), transcript retention runs and what they rolled up."""
from django.db import models
from django.utils import timezone


class WorkerBeat(models.Model):
    """The last time a background worker reported in. /readyz wants one seen within 30 s."""

    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class TranscriptRollup(models.Model):
    """What reports need from a room's messages, kept when retention deletes them (routing/ops/retention.py).

    Written once, in the transaction that deletes the room's messages; a room with a rollup has no
    messages left, so a report adds these counts to what it counts from the Message rows."""

    room = models.OneToOneField("routing.Room", on_delete=models.CASCADE, related_name="transcript_rollup")
    messages_in = models.PositiveIntegerField(default=0)
    messages_out = models.PositiveIntegerField(default=0)
    segments_out = models.PositiveIntegerField(default=0)
    automatic_out = models.PositiveIntegerField(default=0)
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    first_agent_reply_at = models.DateTimeField(null=True, blank=True, help_text="The first outbound text an agent wrote.")
    last_message_at = models.DateTimeField(null=True, blank=True)
    pruned_at = models.DateTimeField(default=timezone.now)


class RetentionRun(models.Model):
    """One pass of transcript retention over one tenant: shown in the console as "last run"."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="retention_runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField(null=True, blank=True, help_text="Rooms closed before this lost their messages.")
    rooms = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-started_at"], name="retention_run_tenant_idx")]
