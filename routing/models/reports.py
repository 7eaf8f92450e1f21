"""What reports are computed from, besides rooms and messages: agent state history and the per-room rollup.

Both are written outside the per-text hot path: a state change is rare (an agent's click, a
logout, a lapsed offer), and the rollup is refreshed in batches (routing/reports/rollup.py).
"""
from django.db import models
from django.utils import timezone

from ..choices import AgentState, Channel


class AgentStateChange(models.Model):
    """An agent entered `state` at `started_at`; they stayed in it until their next change."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(max_length=12, choices=AgentState.choices)
    # Unavailability reasons do not exist yet; the column is ready for them.
    reason = models.CharField(max_length=60, blank=True)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agent", "started_at", "id"]
        indexes = [models.Index(fields=["tenant", "started_at"], name="statechange_tenant_idx"),
                   models.Index(fields=["agent", "started_at"], name="statechange_agent_idx")]


class RoomFact(models.Model):
    """One row per room with every per-room figure already computed (routing/reports/rollup.py
    defines them). Reports aggregate these rows instead of rooms, decisions and messages. The
    period columns are the room's opening time cut in the tenant's time zone (DST included).
    `final` rows belong to closed rooms and never change; open rooms are recomputed at each refresh."""

    room = models.OneToOneField("routing.Room", on_delete=models.CASCADE, primary_key=True, related_name="fact")
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    direction = models.CharField(max_length=8)
    skill_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    point_of_contact_id = models.BigIntegerField(null=True)
    opened_at = models.DateTimeField()
    slot = models.DateTimeField()   # start of its 15-minute interval
    hour = models.DateTimeField()   # start of its local hour (the repeated hour of a DST change is two hours)
    day = models.DateField()        # local date
    week = models.DateField()       # local Monday of its week
    final = models.BooleanField(default=False)
    offered = models.BooleanField(default=False)
    accepted = models.BooleanField(default=False)
    abandoned = models.BooleanField(default=False)
    rejected = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    answered_in_target = models.BooleanField(default=False)
    responded_in_target = models.BooleanField(default=False)
    asa_seconds = models.FloatField(null=True)
    first_response_seconds = models.FloatField(null=True)
    handle_seconds = models.FloatField(null=True)
    messages_in = models.PositiveIntegerField(default=0)
    messages_out = models.PositiveIntegerField(default=0)
    segments_out = models.PositiveIntegerField(default=0)
    opt_outs = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tenant", "day"], name="roomfact_tenant_day_idx"),
                   models.Index(fields=["tenant", "room"], name="roomfact_tenant_room_idx"),
                   models.Index(fields=["tenant", "final"], condition=models.Q(final=False), name="roomfact_open_idx")]
