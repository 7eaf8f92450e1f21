"""The reports, as rows of figures (docs/reporting.md defines each one).

Interaction figures aggregate RoomFact rows (one per room, figures already computed by rollup.py)
grouped by the interval column and the group column, in SQL. Agent figures clip the agents'
state history (AgentStateChange) to the intervals, and add their rooms' figures.
"""
import bisect
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Aggregate, Avg, Count, FloatField, Func, Max, Q, Sum
from django.utils import timezone

from .. import selectors as routing_selectors
from ..choices import AgentState, Channel, Role, RoomState
from ..models import AgentStateChange, Room, RoomFact
from . import periods, rollup

GROUP_COLUMN = {"skill": "skill_id", "agent": "agent_id", "team": "team_id", "point_of_contact": "point_of_contact_id",
                "channel": "channel"}
PERCENTILE = 0.9


class _NearestRank:
    """SQLite's twin of PostgreSQL's percentile_disc: the smallest value with at least PERCENTILE of the values at or below it."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        self.values.sort()
        rank = -(-len(self.values) * 9 // 10)  # ceil(0.9 n) without float rounding
        return self.values[rank - 1]


class Epoch(Func):
    """Seconds since 1970 as a float: reading a timestamp as a number skips building tens of
    thousands of datetime objects (most of an agent report's time at a month of 500 agents)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra)


class P90(Aggregate):
    """The 90th percentile (nearest rank) of a column; NULLs are left out."""

    function = "percentile_disc"
    template = f"%(function)s({PERCENTILE}) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_aggregate("cx_p90", 1, _NearestRank)
        return super().as_sql(compiler, connection, function="cx_p90", template="%(function)s(%(expressions)s)", **extra)


def _ratio(part, whole):
    return round(part / whole, 4) if whole else None


def _round(value):
    return round(value, 1) if value is not None else None


def facts_for(query):
    """The RoomFact rows of the query's tenant, dates and filters."""
    qs = RoomFact.objects.filter(tenant_id=query.tenant.pk, day__gte=query.start, day__lte=query.end)
    for name in ("skill", "agent", "team", "point_of_contact"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{f"{name}_id": value.pk})
    if query.channel:
        qs = qs.filter(channel=query.channel)
    return qs


# The interaction figures of a set of RoomFact rows, as SQL aggregates (prefixed: an annotation may not shadow a column).
INTERACTION_AGGREGATES = {
    "agg_offered": Count("pk", filter=Q(offered=True)),
    "agg_accepted": Count("pk", filter=Q(accepted=True)),
    "agg_rejected": Sum("rejected"),
    "agg_lapsed": Sum("lapsed"),
    "agg_abandoned": Count("pk", filter=Q(abandoned=True)),
    "agg_transferred": Sum("transferred"),
    "agg_asa_seconds": Avg("asa_seconds"),
    "agg_asa_p90_seconds": P90("asa_seconds"),
    "agg_first_response_seconds": Avg("first_response_seconds"),
    "agg_first_response_p90_seconds": P90("first_response_seconds"),
    "agg_handle_seconds": Avg("handle_seconds"),
    "agg_handle_p90_seconds": P90("handle_seconds"),
    "agg_messages_in": Sum("messages_in"),
    "agg_messages_out": Sum("messages_out"),
    "agg_segments_out": Sum("segments_out"),
    "agg_opt_outs": Sum("opt_outs"),
    "agg_answered_in_target": Count("pk", filter=Q(answered_in_target=True)),
    "agg_responded_in_target": Count("pk", filter=Q(responded_in_target=True)),
    # First-response level's base: rooms that got a reply, and answered rooms that closed without one.
    "agg_response_due": Count("pk", filter=Q(first_response_seconds__isnull=False) | Q(accepted=True, final=True, messages_in__gt=0)),
}
COUNTS = ("offered", "accepted", "rejected", "lapsed", "abandoned", "transferred", "messages_in", "messages_out",
          "segments_out", "opt_outs")
FIGURES = (*COUNTS[:6], "asa_seconds", "asa_p90_seconds", "first_response_seconds", "first_response_p90_seconds", "handle_seconds",
           "handle_p90_seconds", *COUNTS[6:], "service_level", "first_response_level")


def _finish(row):
    """Counts as integers, times rounded, and the two levels: service level is the share of the
    rooms that were answered or abandoned that an agent accepted within the skill's target."""
    out = {name: int(row.get(f"agg_{name}") or 0) for name in COUNTS}
    for name in ("asa_seconds", "asa_p90_seconds", "first_response_seconds", "first_response_p90_seconds", "handle_seconds",
                 "handle_p90_seconds"):
        out[name] = _round(row.get(f"agg_{name}"))
    out["service_level"] = _ratio(row.get("agg_answered_in_target") or 0, out["accepted"] + out["abandoned"])
    out["first_response_level"] = _ratio(row.get("agg_responded_in_target") or 0, row.get("agg_response_due") or 0)
    return out


def _group_names(user, group_by, keys):
    if group_by == "channel":
        return dict(Channel.choices)
    model_selector = {"skill": routing_selectors.skills_for, "agent": routing_selectors.users_for, "team": routing_selectors.teams_for,
                      "point_of_contact": routing_selectors.points_of_contact_for}[group_by]
    name = {"agent": lambda o: o.username, "point_of_contact": str}.get(group_by, lambda o: o.name)
    return {obj.pk: name(obj) for obj in model_selector(user).filter(pk__in=[k for k in keys if k])}


NO_GROUP = {"skill": "No skill", "agent": "No agent", "team": "No team", "point_of_contact": "No point of contact", "channel": "—"}


def refresh(query):
    rollup.refresh_for_report(query.tenant.pk)


def interactions(user, query, *, fresh=True):
    """Rows of interaction figures per interval (and group). Without a group, every interval of the
    range has a row (zeros where nothing happened); with one, only the combinations that occurred."""
    if fresh:
        refresh(query)
    column = periods.FACT_COLUMN[query.interval]
    group = GROUP_COLUMN.get(query.group_by)
    keys = [column, group] if group else [column]
    found = facts_for(query).values(*keys).order_by(*keys).annotate(**INTERACTION_AGGREGATES)
    tz = query.tz
    if not group:
        by_key = {r[column]: r for r in found}
        return [{"period": p.label, **_finish(by_key.get(p.key, {}))} for p in periods.periods(query.start, query.end, query.interval, tz)]
    found = list(found)
    names = _group_names(user, query.group_by, {r[group] for r in found})
    return [{"period": periods.label(r[column], query.interval, tz), query.group_by: r[group],
             f"{query.group_by}_name": names.get(r[group], NO_GROUP[query.group_by]) if r[group] is not None else NO_GROUP[query.group_by],
             **_finish(r)} for r in found]


def interaction_totals(user, query, *, fresh=True):
    """The figures over the whole range (one row)."""
    if fresh:
        refresh(query)
    return _finish(facts_for(query).aggregate(**INTERACTION_AGGREGATES))


HANDLE_BUCKETS = [(0, 60, "< 1 min"), (60, 120, "1–2 min"), (120, 300, "2–5 min"), (300, 600, "5–10 min"), (600, 1200, "10–20 min"),
                  (1200, 1800, "20–30 min"), (1800, 3600, "30–60 min"), (3600, None, "1 h or more")]


def handle_time_distribution(user, query):
    """How many handled rooms took how long, in HANDLE_BUCKETS."""
    aggregates = {f"b{i}": Count("pk", filter=Q(handle_seconds__gte=lo) & (Q(handle_seconds__lt=hi) if hi else Q()))
                  for i, (lo, hi, _) in enumerate(HANDLE_BUCKETS)}
    counts = facts_for(query).filter(handle_seconds__isnull=False).aggregate(**aggregates)
    return [{"bucket": label, "rooms": counts[f"b{i}"]} for i, (_, _, label) in enumerate(HANDLE_BUCKETS)]


# --- agents ----------------------------------------------------------------------------------

STATES = (AgentState.AVAILABLE, AgentState.UNAVAILABLE, AgentState.LOGGED_OUT)


def _agents(user, query):
    qs = routing_selectors.users_for(user).filter(role=Role.AGENT)
    if query.agent is not None:
        qs = qs.filter(pk=query.agent.pk)
    if query.team is not None:
        qs = qs.filter(team_id=query.team.pk)
    return list(qs.order_by("username", "id"))


def state_timelines(agents, begin, finish):
    """{agent id: [(start, state), ...]} with start in epoch seconds: the state each agent was in at
    `begin` (the last change before it; an agent without any history before it counts as logged
    out), then every change until `finish`."""
    ids = [a.pk for a in agents]
    b = begin.timestamp()
    timelines = {a.pk: [(b, AgentState.LOGGED_OUT)] for a in agents}
    before = (AgentStateChange.objects.filter(agent_id__in=ids, started_at__lt=begin).values("agent_id").order_by()
              .annotate(m=Max("started_at")).values("m"))
    last = (AgentStateChange.objects.filter(agent_id__in=ids, started_at__in=before, started_at__lt=begin)
            .order_by("agent_id", "started_at", "id").values_list("agent_id", "started_at", "state"))
    latest = {}
    for agent_id, at, state in last:
        if latest.get(agent_id, (at,))[0] <= at:
            latest[agent_id] = (at, state)
    for agent_id, (_at, state) in latest.items():
        timelines[agent_id] = [(b, state)]
    for agent_id, at, state in (AgentStateChange.objects.filter(agent_id__in=ids, started_at__gte=begin, started_at__lt=finish)
                                .order_by("agent_id", "started_at", "id").annotate(t=Epoch("started_at"))
                                .values_list("agent_id", "t", "state")):
        timelines[agent_id].append((at, state))
    return timelines


def _state_seconds(timeline, bounds, now):
    """[{state: seconds}] per period (bounds: (start, end) in epoch seconds): the timeline clipped
    to each period, never past now."""
    starts = [t for t, _ in timeline]
    out = []
    for p_start, p_end in bounds:
        seconds = dict.fromkeys(STATES, 0.0)
        end = min(p_end, now)
        if end > p_start:
            i = max(bisect.bisect_right(starts, p_start) - 1, 0)
            while i < len(timeline) and timeline[i][0] < end:
                seg_start = max(timeline[i][0], p_start)
                seg_end = min(timeline[i + 1][0] if i + 1 < len(timeline) else end, end)
                if seg_end > seg_start:
                    seconds[timeline[i][1]] = seconds.get(timeline[i][1], 0.0) + seg_end - seg_start
                i += 1
        out.append(seconds)
    return out


AGENT_FIGURES = ("available_seconds", "unavailable_seconds", "logged_out_seconds", "occupancy", "handled", "handle_seconds",
                 "first_response_seconds")


def agents(user, query, *, fresh=True):
    """Rows per agent (or team, with group_by=team) and interval: seconds in each state, occupancy
    (time in handled rooms ÷ (session limit × time logged in)), rooms handled, average handle and
    first response time. An interval where the agent was logged out and handled nothing has no row."""
    if fresh:
        refresh(query)
    tz, now = query.tz, timezone.now().timestamp()
    period_list = periods.periods(query.start, query.end, query.interval, tz)
    bounds = [(p.start.timestamp(), p.end.timestamp()) for p in period_list]
    if not period_list:
        return []
    people = _agents(user, query)
    timelines = state_timelines(people, period_list[0].start, period_list[-1].end)
    column = periods.FACT_COLUMN[query.interval]
    room_rows = (facts_for(query).filter(accepted=True, agent_id__in=[a.pk for a in people]).values("agent_id", column).order_by()
                 .annotate(handled=Count("pk"), handle_sum=Sum("handle_seconds"), handle_n=Count("handle_seconds"),
                           frt=Avg("first_response_seconds")))
    rooms = {(r["agent_id"], r[column]): r for r in room_rows}
    by_team = query.group_by == "team"
    out, teams = [], {}
    for agent in people:
        limit = agent.effective_session_limit
        for p, seconds in zip(period_list, _state_seconds(timelines[agent.pk], bounds, now)):
            r = rooms.get((agent.pk, p.key), {})
            logged_in = seconds[AgentState.AVAILABLE] + seconds[AgentState.UNAVAILABLE]
            if not logged_in and not r:
                continue
            row = {"period": p.label, "agent": agent.pk, "agent_username": agent.username, "team": agent.team_id,
                   "team_name": agent.team.name if agent.team_id else "No team",
                   "available_seconds": round(seconds[AgentState.AVAILABLE]), "unavailable_seconds": round(seconds[AgentState.UNAVAILABLE]),
                   "logged_out_seconds": round(seconds[AgentState.LOGGED_OUT]),
                   "occupancy": _ratio(r.get("handle_sum") or 0, limit * logged_in),
                   "handled": r.get("handled", 0),
                   "handle_seconds": _round((r["handle_sum"] / r["handle_n"]) if r.get("handle_n") else None),
                   "first_response_seconds": _round(r.get("frt")),
                   "handle_sum_": r.get("handle_sum") or 0, "handle_n_": r.get("handle_n", 0), "capacity_": limit * logged_in,
                   "frt_sum_": (r.get("frt") or 0) * r.get("handled", 0), "frt_n_": r.get("handled", 0) if r.get("frt") is not None else 0}
            if by_team:
                t = teams.setdefault((agent.team_id, p.label), {"period": p.label, "team": agent.team_id, "team_name": row["team_name"],
                                                                "agents": 0, **{k: 0 for k in ("available_seconds",
                                                                                              "unavailable_seconds", "logged_out_seconds",
                                                                                              "handled", "handle_sum_", "handle_n_",
                                                                                              "capacity_", "frt_sum_", "frt_n_")}})
                t["agents"] += 1
                for k in ("available_seconds", "unavailable_seconds", "logged_out_seconds", "handled", "handle_sum_", "handle_n_",
                          "capacity_", "frt_sum_", "frt_n_"):
                    t[k] += row[k]
            else:
                out.append(row)
    if by_team:
        for t in sorted(teams.values(), key=lambda t: (t["team_name"], t["period"])):
            t["occupancy"] = _ratio(t["handle_sum_"], t["capacity_"])
            t["handle_seconds"] = _round(t["handle_sum_"] / t["handle_n_"]) if t["handle_n_"] else None
            t["first_response_seconds"] = _round(t["frt_sum_"] / t["frt_n_"]) if t["frt_n_"] else None
            out.append(t)
    for row in out:
        for k in [k for k in row if k.endswith("_")]:
            del row[k]
    return out


def _instant(epoch):
    return datetime.fromtimestamp(epoch, dt_timezone.utc)


def agent_timeline(user, query, day):
    """For the timeline chart: each agent's state segments on one local day, as (start, end, state)."""
    tz, now = query.tz, timezone.now()
    begin, finish = periods.local_midnight(day, tz), periods.local_midnight(day + timedelta(days=1), tz)
    finish_shown = min(finish, now).timestamp()
    people = _agents(user, query)
    timelines = state_timelines(people, begin, finish)
    out = []
    for agent in people:
        segments = []
        t = timelines[agent.pk]
        for i, (start, state) in enumerate(t):
            end = min(t[i + 1][0] if i + 1 < len(t) else finish_shown, finish_shown)
            if end > start:
                segments.append((_instant(start), _instant(end), state))
        out.append({"agent": agent, "segments": segments})
    return {"begin": begin, "end": finish, "agents": out}


# --- live, for the supervisor page --------------------------------------------------------------

def today_live(user):
    """Today so far in the tenant's time zone: offered, answered, service level, and the longest wait now."""
    from .query import ReportQuery, tenant_today

    tenant = user.tenant
    today = tenant_today(tenant)
    query = ReportQuery(tenant=tenant, start=today, end=today, interval="day")
    totals = interaction_totals(user, query)
    now = timezone.now()
    oldest = (Room.objects.filter(tenant_id=tenant.pk, state=RoomState.QUEUED).order_by("queued_at")
              .values_list("queued_at", flat=True).first())
    waiting = Room.objects.filter(tenant_id=tenant.pk, state=RoomState.QUEUED).count()
    return {"date": today.isoformat(), "offered": totals["offered"], "answered": totals["accepted"], "abandoned": totals["abandoned"],
            "service_level": totals["service_level"], "asa_seconds": totals["asa_seconds"], "waiting": waiting,
            "longest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0}

