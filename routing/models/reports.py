"""What reports are computed from, besides rooms and messages: agent state history and the per-room rollup.

Both are written outside the per-text hot path: a state change is rare (an agent's click, a
logout, a lapsed offer), and the rollup is refreshed in batches (routing/reports/rollup.py).
"""
from django.db import models
from django.utils import timezone

from ..choices import AgentState, Channel


class AgentStateChange(models.Model):
    """From `started_at` until their next row, the agent was in `state` (for `reason`, when
    unavailable) with `session_limit` in force. A row is written when any of the three changes:
    the state or reason (routing.acd.agents), or the limit (routing.reports.history)."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(max_length=12, choices=AgentState.choices)
    # The reason's name as it was (UnavailableReason, or a reason the system gives); empty: none given.
    reason = models.CharField(max_length=60, blank=True)
    # The effective session limit then (R3); NULL on rows written before limits were recorded: read as today's.
    session_limit = models.PositiveSmallIntegerField(null=True, blank=True)
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
    # The disposition chosen when the room ended (set with the close, in the same transaction), so the
    # dispositions report needs no join with a month's million rooms.
    disposition_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "day"], name="roomfact_tenant_day_idx"),
                   models.Index(fields=["tenant", "room"], name="roomfact_tenant_room_idx"),
                   models.Index(fields=["tenant", "final"], condition=models.Q(final=False), name="roomfact_open_idx")]


class AgentStateFact(models.Model):
    """An agent's logged-in seconds in one 15-minute slot (routing/reports/state_rollup.py): what the
    agent reports sum instead of clipping the state history at every request. Slots the agent spent
    logged out have no row. `capacity` is Σ(session limit in force × seconds logged in), the
    denominator of occupancy. The period columns are cut in the tenant's time zone like RoomFact's."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    hour = models.DateTimeField()
    day = models.DateField()
    week = models.DateField()
    available = models.FloatField(default=0)
    unavailable = models.FloatField(default=0)
    capacity = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "slot"], name="agentstatefact_unique")]
        indexes = [models.Index(fields=["tenant", "day"], name="agentstatefact_day_idx"),
                   models.Index(fields=["tenant", "slot"], name="agentstatefact_slot_idx")]


class AgentReasonFact(models.Model):
    """An agent's unavailable seconds for one reason ("" when none was given) in one 15-minute slot."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    hour = models.DateTimeField()
    day = models.DateField()
    week = models.DateField()
    reason = models.CharField(max_length=60, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tenant", "day"], name="agentreasonfact_day_idx"),
                   models.Index(fields=["tenant", "slot"], name="agentreasonfact_slot_idx")]


class StateRollupMark(models.Model):
    """Until when a tenant's AgentStateFact rows are computed (the rollup recomputes from a little before)."""

    tenant = models.OneToOneField("routing.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="+")
    until = models.DateTimeField()
    # The newest AgentStateChange id seen: a row with a larger id that starts before `until` (written
    # late, or by a script replaying the past) makes the next refresh start from it.
    last_change_id = models.BigIntegerField(default=0)


class AgentStateDay(models.Model):
    """AgentStateFact summed per agent and local day (kept with the slots by state_rollup.py): the day,
    week and month reports read these, 30 rows per agent a month instead of a thousand slots."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    week = models.DateField()
    available = models.FloatField(default=0)
    unavailable = models.FloatField(default=0)
    capacity = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "day"], name="agentstateday_unique")]
        indexes = [models.Index(fields=["tenant", "day"], name="agentstateday_day_idx")]


class AgentReasonDay(models.Model):
    """AgentReasonFact summed per agent, local day and reason."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    agent = models.ForeignKey("routing.User", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    week = models.DateField()
    reason = models.CharField(max_length=60, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tenant", "day"], name="agentreasonday_day_idx")]


class RoomDay(models.Model):
    """RoomFact rows summed per local day and one grouping (routing/reports/day_rollup.py): what the
    day, week and month reports read instead of a month's million room rows. `dim` names the grouping
    ("" the day's totals, "skill", "agent", "team", "point_of_contact", "channel", "disposition") and
    `key` its value (an id or a channel; "" when the rooms have none); the hour grouping ("hour": the
    day page's totals per hour) keys its rows by the hour (epoch seconds). Only settled days are
    kept: past days whose rooms are all closed; the "" row of a day marks it as kept, even with no rooms."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    week = models.DateField()
    dim = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=32, blank=True)
    offered = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    answered_in_target = models.PositiveIntegerField(default=0)
    responded_in_target = models.PositiveIntegerField(default=0)
    response_due = models.PositiveIntegerField(default=0)
    messages_in = models.PositiveIntegerField(default=0)
    messages_out = models.PositiveIntegerField(default=0)
    segments_out = models.PositiveIntegerField(default=0)
    opt_outs = models.PositiveIntegerField(default=0)
    asa_sum = models.FloatField(default=0)
    asa_n = models.PositiveIntegerField(default=0)
    frt_sum = models.FloatField(default=0)
    frt_n = models.PositiveIntegerField(default=0)
    handle_sum = models.FloatField(default=0)
    handle_n = models.PositiveIntegerField(default=0)
    # The same over the accepted rooms only (the agents report's handled rooms).
    acc_handle_sum = models.FloatField(default=0)
    acc_handle_n = models.PositiveIntegerField(default=0)
    acc_frt_sum = models.FloatField(default=0)
    acc_frt_n = models.PositiveIntegerField(default=0)
    # 90th percentiles of the day's rooms, and the whole-second histograms ({"37": 4, …}) that merge into
    # a week's or a month's percentile exactly (selectors.P90 reads whole seconds too).
    asa_p90 = models.FloatField(null=True)
    frt_p90 = models.FloatField(null=True)
    handle_p90 = models.FloatField(null=True)
    asa_hist = models.JSONField(default=dict)
    frt_hist = models.JSONField(default=dict)
    handle_hist = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day", "dim", "key"], name="roomday_unique")]
        indexes = [models.Index(fields=["tenant", "dim", "day"], name="roomday_dim_idx")]
