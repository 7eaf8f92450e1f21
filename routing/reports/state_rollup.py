"""The agents' state history cut into 15-minute slots (AgentStateFact, AgentReasonFact), so an agent
report sums rows in SQL instead of clipping every agent's history to every interval per request.

`agent_state_facts_refresh` is part of the rollup job (rollup.refresh_job) and of a report's
catch-up (rollup.refresh_for_report): idempotent. It recomputes the slots from a little before the
tenant's mark (LOOKBACK: a state change committed late, by a slow transaction, is still counted),
or from the earliest start among the rows added since (a history written for the past), until
now; the slot now falls in is partial and is recomputed at the next refresh. The figures are the
ones history.state_timelines defines (state, reason and session limit in force).
"""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from ..choices import AgentState, Role
from ..models import (AgentReasonDay, AgentReasonFact, AgentStateChange, AgentStateDay, AgentStateFact, StateRollupMark, Tenant,
                      User)
from . import periods
from .history import state_timelines

SLOT = 900  # seconds
LOOKBACK = timedelta(minutes=5)


def _floor_slot(instant):
    epoch = int(instant.timestamp())
    return datetime.fromtimestamp(epoch - epoch % SLOT, dt_timezone.utc)


def slot_seconds(timeline, begin, now):
    """{slot start epoch: (available, unavailable, capacity, {reason: seconds})} for one agent's
    timeline (selectors.state_timelines) from `begin` to `now` (epoch seconds); slots without
    logged-in time are left out."""
    out = {}
    for i, (start, state, reason, limit) in enumerate(timeline):
        if state == AgentState.LOGGED_OUT:
            continue
        end = min(timeline[i + 1][0] if i + 1 < len(timeline) else now, now)
        t = max(start, begin)
        while t < end:
            slot = t - t % SLOT
            stop = min(slot + SLOT, end)
            span = stop - t
            cell = out.get(slot)
            if cell is None:
                cell = out[slot] = [0.0, 0.0, 0.0, {}]
            if state == AgentState.AVAILABLE:
                cell[0] += span
            else:
                cell[1] += span
                cell[3][reason] = cell[3].get(reason, 0.0) + span
            cell[2] += limit * span
            t = stop
    return out


STATE_COLUMNS = ("tenant_id", "agent_id", "slot", "hour", "day", "week", "available", "unavailable", "capacity")
REASON_COLUMNS = ("tenant_id", "agent_id", "slot", "hour", "day", "week", "reason", "seconds")


def _insert(model, columns, rows):
    """Slot rows written at once. On PostgreSQL by COPY: a month's rebuild is some 800,000 rows, and
    making a model instance of each for bulk_create took minutes (docs/benchmarks.md, Reports)."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create((model(**dict(zip(columns, row))) for row in rows), batch_size=5000)
        return
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur, cur.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _days_refresh(tenant_id, first_day):
    """The day rows from `first_day` on, summed again from the slots (those before `begin` included)."""
    AgentStateDay.objects.filter(tenant_id=tenant_id, day__gte=first_day).delete()
    AgentReasonDay.objects.filter(tenant_id=tenant_id, day__gte=first_day).delete()
    slots = AgentStateFact.objects.filter(tenant_id=tenant_id, day__gte=first_day).values("agent_id", "day", "week").order_by()
    AgentStateDay.objects.bulk_create(
        (AgentStateDay(tenant_id=tenant_id, agent_id=r["agent_id"], day=r["day"], week=r["week"], available=r["a"], unavailable=r["u"],
                       capacity=r["c"])
         for r in slots.annotate(a=Sum("available"), u=Sum("unavailable"), c=Sum("capacity")).iterator()), batch_size=5000)
    reasons = (AgentReasonFact.objects.filter(tenant_id=tenant_id, day__gte=first_day).values("agent_id", "day", "week", "reason")
               .order_by().annotate(s=Sum("seconds")))
    AgentReasonDay.objects.bulk_create(
        (AgentReasonDay(tenant_id=tenant_id, agent_id=r["agent_id"], day=r["day"], week=r["week"], reason=r["reason"], seconds=r["s"])
         for r in reasons.iterator()), batch_size=5000)


def agent_state_facts_refresh(*, tenant_ids=None, rebuild=False, now=None):
    """Bring the tenants' slot rows up to now (all tenants when None). `rebuild`: from the first state
    change on. Returns the number of slot rows written."""
    now = now or timezone.now()
    tenants = Tenant.objects.all() if tenant_ids is None else Tenant.objects.filter(pk__in=tenant_ids)
    written = 0
    for tenant in tenants.only("id", "time_zone"):
        tz = periods.tz_of(tenant)
        mark = StateRollupMark.objects.filter(tenant_id=tenant.pk).values_list("until", "last_change_id").first()
        newest = AgentStateChange.objects.filter(tenant_id=tenant.pk).aggregate(m=Max("id"))["m"] or 0
        if rebuild or mark is None:
            begin = AgentStateChange.objects.filter(tenant_id=tenant.pk).aggregate(m=Min("started_at"))["m"]
        else:
            begin = min(mark[0], now) - LOOKBACK
            late = AgentStateChange.objects.filter(tenant_id=tenant.pk, id__gt=mark[1], started_at__lt=begin).aggregate(m=Min("started_at"))
            if late["m"] is not None:
                begin = late["m"]
        if begin is None or begin >= now:
            StateRollupMark.objects.update_or_create(tenant_id=tenant.pk, defaults={"until": now, "last_change_id": newest})
            continue
        begin = _floor_slot(begin)
        agents = list(User.objects.filter(tenant_id=tenant.pk, role=Role.AGENT).select_related("team"))
        timelines = state_timelines(agents, begin, now)
        keys = {}
        states, reasons = [], []
        b, n = begin.timestamp(), now.timestamp()
        for agent in agents:
            for slot, (available, unavailable, capacity, by_reason) in slot_seconds(timelines[agent.pk], b, n).items():
                k = keys.get(slot)
                if k is None:
                    at = datetime.fromtimestamp(slot, dt_timezone.utc)
                    k = keys[slot] = (at, *periods.keys(at, tz)[1:])
                states.append((tenant.pk, agent.pk, *k, available, unavailable, capacity))
                reasons.extend((tenant.pk, agent.pk, *k, reason, seconds) for reason, seconds in by_reason.items())
        with transaction.atomic():
            # The mark's row lock (update_or_create) keeps two refreshes of one tenant (the job and a report's catch-up) apart.
            StateRollupMark.objects.update_or_create(tenant_id=tenant.pk, defaults={"until": now, "last_change_id": newest})
            deleted = AgentStateFact.objects.filter(tenant_id=tenant.pk, slot__gte=begin).delete()[0]
            AgentReasonFact.objects.filter(tenant_id=tenant.pk, slot__gte=begin).delete()
            _insert(AgentStateFact, STATE_COLUMNS, states)
            _insert(AgentReasonFact, REASON_COLUMNS, reasons)
            if states or deleted:  # else nobody was logged in then, before or now: the day rows stand
                _days_refresh(tenant.pk, periods.keys(begin, tz)[2])
        written += len(states)
    return written
