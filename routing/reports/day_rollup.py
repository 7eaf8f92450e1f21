"""RoomFact rows summed per local day and grouping (RoomDay), so a month's report reads some
thousands of rows instead of a million (docs/reporting.md, Performance).

One function makes a day's figures from the room rows, `day_figures`; it serves twice. The rollup
job stores its rows for the days that are settled (before the tenant's today, every room of the day
closed), and a report computes the days that are not (today, a day with a room still open, a day
the job has not reached) with it at read time. So the stored and the computed rows are the same
thing, and a report over a range mixes them freely.

One more grouping is kept per hour of a settled day, for the day report page: HOUR, the hour's
totals with their percentiles (24 rows a day). Its RoomDay.key holds the hour (epoch seconds), so a
day is still kept, read and dropped as one set of rows. (Per agent and hour was tried: 11,000 rows a
day, a third of the room rows, read slower than the room rows' grouped sums; docs/benchmarks.md.)

A stored day is dropped again when a room of it is rolled up anew (a late commit, a rebuild): the
next refresh stores it again. Percentiles are whole seconds, rounded down (the nearest-rank 90th
percentile of the seconds): the per-second histograms of the days merge into a week's or a month's
exactly, and selectors.P90 reads the room rows the same way.
"""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Floor
from django.utils import timezone

from ..models import RoomDay, RoomFact, Tenant
from . import periods
from .aggregates import P90

# The groupings kept, and RoomFact's column for each ("" the day's totals).
DIMS = {"": None, "skill": "skill_id", "agent": "agent_id", "team": "team_id", "point_of_contact": "point_of_contact_id",
        "channel": "channel", "disposition": "disposition_id"}
# The totals per hour of the day (RoomFact's column "hour"), keyed by the hour's epoch seconds.
HOUR = "hour"
METRICS = {"asa": "asa_seconds", "frt": "first_response_seconds", "handle": "handle_seconds"}

SUMS = {
    "offered": Count("pk", filter=Q(offered=True)),
    "accepted": Count("pk", filter=Q(accepted=True)),
    "abandoned": Count("pk", filter=Q(abandoned=True)),
    "rejected": Sum("rejected"),
    "lapsed": Sum("lapsed"),
    "transferred": Sum("transferred"),
    "answered_in_target": Count("pk", filter=Q(answered_in_target=True)),
    "responded_in_target": Count("pk", filter=Q(responded_in_target=True)),
    # First-response level's base: rooms that got a reply, and answered rooms that closed without one.
    "response_due": Count("pk", filter=Q(first_response_seconds__isnull=False) | Q(accepted=True, final=True, messages_in__gt=0)),
    "messages_in": Sum("messages_in"),
    "messages_out": Sum("messages_out"),
    "segments_out": Sum("segments_out"),
    "opt_outs": Sum("opt_outs"),
    "asa_sum": Sum("asa_seconds"),
    "asa_n": Count("asa_seconds"),
    "frt_sum": Sum("first_response_seconds"),
    "frt_n": Count("first_response_seconds"),
    "handle_sum": Sum("handle_seconds"),
    "handle_n": Count("handle_seconds"),
    "acc_handle_sum": Sum("handle_seconds", filter=Q(accepted=True)),
    "acc_handle_n": Count("handle_seconds", filter=Q(accepted=True)),
    "acc_frt_sum": Sum("first_response_seconds", filter=Q(accepted=True)),
    "acc_frt_n": Count("first_response_seconds", filter=Q(accepted=True)),
}
FIELDS = tuple(SUMS)
HISTS = tuple(f"{m}_hist" for m in METRICS)
P90S = tuple(f"{m}_p90" for m in METRICS)


def key_of(value):
    """RoomDay.key of a group value (an id, a channel, or None)."""
    return "" if value is None else str(value)


def value_of(dim, key):
    """The group value of a RoomDay.key: an id, a channel, or None."""
    if key == "":
        return None
    return key if dim == "channel" else int(key)


def p90(hist):
    """The nearest-rank 90th percentile of a {second: count} histogram (None when empty)."""
    n = sum(hist.values())
    if not n:
        return None
    rank = -(-n * 9 // 10)  # ceil(0.9 n) without float rounding
    seen = 0
    for second in sorted(hist, key=int):
        seen += hist[second]
        if seen >= rank:
            return float(second)
    return None  # not reached


def merge(hists):
    out = {}
    for hist in hists:
        for second, n in hist.items():
            out[second] = out.get(second, 0) + n
    return out


def day_figures(tenant_id, days, dim, key=None, *, percentiles=True, hists=tuple(METRICS)):
    """{(day, key): figures} of the tenant's rooms opened on these local days, per value of the
    grouping `dim` (only `key`'s when given) or, for HOUR, per hour (the key its epoch seconds): the
    sums of FIELDS and the day's `week`; the per-second histograms of the metrics in `hists` ("asa",
    "frt", "handle"); with `percentiles`, P90S (from the histogram when there is one, else in SQL by
    the same rule)."""
    hourly = dim == HOUR
    column = None if hourly else DIMS[dim]
    qs = RoomFact.objects.filter(tenant_id=tenant_id, day__in=list(days))
    if key is not None:
        qs = qs.filter(**{column: value_of(dim, key)})
    group = ["day", "hour"] if hourly else ["day", column] if column else ["day"]

    def key_for(found):
        return str(int(found["hour"].timestamp())) if hourly else key_of(found.get(column))

    sums = {f"s_{name}": agg for name, agg in SUMS.items()}
    if percentiles:
        sums.update({f"s_{metric}_p90": P90(source) for metric, source in METRICS.items() if metric not in hists})
    out = {}
    # Prefixed: an annotation may not shadow a column (offered, accepted, … are RoomFact's too).
    for found in qs.values("week", *group).order_by().annotate(**sums):
        row = {"day": found["day"], "week": found["week"], **{name: found[f"s_{name}"] or 0 for name in FIELDS}}
        if percentiles:
            row.update({f"{metric}_p90": found.get(f"s_{metric}_p90") for metric in METRICS})
        out[(row["day"], key_for(found))] = row
    for metric in hists:
        for row in out.values():
            row[f"{metric}_hist"] = {}
        source = METRICS[metric]
        seconds = (qs.filter(**{f"{source}__isnull": False}).annotate(second=Floor(F(source))).values(*group, "second").order_by()
                   .annotate(n=Count("pk")))
        for found in seconds:
            out[(found["day"], key_for(found))][f"{metric}_hist"][str(int(found["second"]))] = found["n"]
        if percentiles:
            for row in out.values():
                row[f"{metric}_p90"] = p90(row[f"{metric}_hist"])
    return out


def stored_days(tenant_id, start, end):
    return set(RoomDay.objects.filter(tenant_id=tenant_id, dim="", day__gte=start, day__lte=end).values_list("day", flat=True))


def rows(tenant_id, start, end, dim, key=None, *, fields=FIELDS, percentiles=True, hists=()):
    """The figures of every local day from `start` to `end` for `dim` (and `key`):
    the stored rows of the settled days, the others computed now by day_figures. A list of dicts with
    RoomDay's fields: `fields` of FIELDS, the percentiles when asked, the histograms of the metrics in
    `hists`. HOUR's rows have their "hour" (a UTC instant) and no group ("key" "")."""
    kept = stored_days(tenant_id, start, end)
    names = ("day", "week", "key", *fields, *(P90S if percentiles else ()), *(f"{metric}_hist" for metric in hists))
    stored = RoomDay.objects.filter(tenant_id=tenant_id, dim=dim, day__gte=start, day__lte=end)
    if key is not None:
        stored = stored.filter(key=key)
    out = [dict(zip(names, values)) for values in stored.values_list(*names)]
    missing = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    missing = [day for day in missing if day not in kept]
    if missing:
        for (day, k), row in day_figures(tenant_id, missing, dim, key, percentiles=percentiles, hists=hists).items():
            out.append({**row, "key": k})
    if dim == HOUR:
        for row in out:
            row["hour"], row["key"] = datetime.fromtimestamp(int(row["key"]), dt_timezone.utc), ""
    return out


def _lock(tenant_id):
    """The tenant's day rows to ourselves until commit (its row, FOR NO KEY UPDATE: texts, which only
    reference the tenant, go on). `forget` and `store` take it, so a day is never kept from room rows
    read before a late room of it was rolled up and forgotten."""
    list(Tenant.objects.select_for_update(no_key=True).filter(pk=tenant_id).values_list("pk"))


def forget(tenant_id, days):
    """The stored rows of these days, dropped: a room of theirs was rolled up again (in the caller's
    transaction, with the room's new row)."""
    if days:
        _lock(tenant_id)
        RoomDay.objects.filter(tenant_id=tenant_id, day__in=list(days)).delete()


def forget_all(tenant_id):
    RoomDay.objects.filter(tenant_id=tenant_id).delete()


def _settled(tenant_id, today):
    """Days before `today` with rolled-up rooms, none of them open, not stored yet."""
    first = RoomFact.objects.filter(tenant_id=tenant_id).aggregate(m=Min("day"))["m"]
    if first is None or first >= today:
        return []
    open_days = set(RoomFact.objects.filter(tenant_id=tenant_id, final=False).values_list("day", flat=True).distinct())
    kept = stored_days(tenant_id, first, today)
    return [first + timedelta(days=i) for i in range((today - first).days)
            if first + timedelta(days=i) not in kept and first + timedelta(days=i) not in open_days]


def store(tenant_id, days):
    """Compute and keep the rows of these (settled) days, every grouping. Returns the rows written."""
    with transaction.atomic():
        _lock(tenant_id)  # then read: a late room's row, committed with its `forget`, is seen
        made = []
        for dim in (*DIMS, HOUR):
            for (day, key), row in day_figures(tenant_id, days, dim).items():
                made.append(RoomDay(tenant_id=tenant_id, dim=dim, key=key, day=day, week=row["week"],
                                    **{name: row[name] for name in (*FIELDS, *P90S, *HISTS)}))
        with_rooms = {r.day for r in made if r.dim == ""}
        for day in days:  # a day without rooms is kept too: its "" row says so
            if day not in with_rooms:
                made.append(RoomDay(tenant_id=tenant_id, dim="", key="", day=day, week=day - timedelta(days=day.weekday())))
        RoomDay.objects.filter(tenant_id=tenant_id, day__in=list(days)).delete()
        # A report's catch-up and the job may keep the same day at once: the same rows, so either's stand.
        RoomDay.objects.bulk_create(made, batch_size=2000, ignore_conflicts=True)
    return len(made)


BATCH_DAYS = 7


def refresh(*, tenant_ids=None, rebuild=False):
    """Keep the rows of every settled day not kept yet (all tenants when None); `rebuild`: every day
    again. Run after the room rollup (rollup.room_facts_refresh). Returns the rows written."""
    tenants = Tenant.objects.all() if tenant_ids is None else Tenant.objects.filter(pk__in=tenant_ids)
    written = 0
    for tenant in tenants.only("id", "time_zone"):
        if rebuild:
            forget_all(tenant.pk)
        today = timezone.now().astimezone(periods.tz_of(tenant)).date()
        days = _settled(tenant.pk, today)
        for i in range(0, len(days), BATCH_DAYS):
            written += store(tenant.pk, days[i:i + BATCH_DAYS])
    return written
