"""The reports, as rows of figures (docs/reporting.md defines each one).

Interaction figures aggregate RoomFact rows (one per room, figures already computed by rollup.py)
grouped by the interval column and the group column, in SQL. Agent figures sum the agents' state
slots (AgentStateFact, AgentReasonFact: the state history cut by state_rollup.py) likewise, and
add their rooms' figures.
"""
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import connection
from django.core.cache import cache
from django.db.models import Avg, Count, Min, Q, Sum
from django.utils import timezone

from .. import selectors as routing_selectors
from ..choices import AgentState, Channel, Role, RoomState
from ..models import AgentReasonDay, AgentReasonFact, AgentStateDay, AgentStateFact, Disposition, Room, RoomFact
from .history import NO_REASON, state_timelines
from . import day_rollup, periods, rollup
from .aggregates import P90

GROUP_COLUMN = {"skill": "skill_id", "agent": "agent_id", "team": "team_id", "point_of_contact": "point_of_contact_id",
                "channel": "channel"}
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
COUNTS = ("offered", "accepted", "rejected", "lapsed", "abandoned", "transferred", "messages_in", "messages_out",
          "segments_out", "opt_outs")
# The counts are day_rollup.SUMS's, the one definition of each (the day rollup sums the same rows).
INTERACTION_AGGREGATES = {
    **{f"agg_{name}": day_rollup.SUMS[name] for name in (*COUNTS, "answered_in_target", "responded_in_target", "response_due")},
    "agg_asa_seconds": Avg("asa_seconds"),
    "agg_asa_p90_seconds": P90("asa_seconds"),
    "agg_first_response_seconds": Avg("first_response_seconds"),
    "agg_first_response_p90_seconds": P90("first_response_seconds"),
    "agg_handle_seconds": Avg("handle_seconds"),
    "agg_handle_p90_seconds": P90("handle_seconds"),
}
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


# --- the day rollup (day_rollup.py): what a day, week or month report reads when it can -------------

FILTERS = ("skill", "agent", "team", "point_of_contact")


def _filters(query):
    out = [(name, getattr(query, name).pk) for name in FILTERS if getattr(query, name) is not None]
    return out + [("channel", query.channel)] if query.channel else out


def _day_plan(query, *, by_interval=True):
    """(dim, key) of the RoomDay rows that answer the query, or None when only the room rows can: the
    rollup keeps one grouping at a time, so at most one filter, and the grouping is that filter's
    (or none); its intervals are days and weeks, and hours for the totals without a filter (the day
    page's chart and table: the "hour" grouping)."""
    filters = _filters(query)
    if by_interval and query.interval == "hour":
        return (day_rollup.HOUR, None) if not filters and not query.group_by else None
    if by_interval and query.interval not in ("day", "week"):
        return None
    if len(filters) > 1:
        return None
    if filters:
        dim, value = filters[0]
        return (dim, day_rollup.key_of(value)) if query.group_by in ("", dim) else None
    return query.group_by, None


def _day_sums(rows, *, percentiles=True):
    """The agg_ figures (as the room rows' INTERACTION_AGGREGATES give them) of some RoomDay rows: a
    single row's percentiles as kept, several rows' from their merged histograms."""
    total = {name: sum(r[name] for r in rows) for name in day_rollup.FIELDS}
    out = {f"agg_{name}": total[name] for name in (*COUNTS, "answered_in_target", "responded_in_target", "response_due")}
    for metric, name in (("asa", "asa"), ("frt", "first_response"), ("handle", "handle")):
        n = total[f"{metric}_n"]
        out[f"agg_{name}_seconds"] = total[f"{metric}_sum"] / n if n else None
        if percentiles:
            out[f"agg_{name}_p90_seconds"] = (rows[0][f"{metric}_p90"] if len(rows) == 1
                                              else day_rollup.p90(day_rollup.merge(r[f"{metric}_hist"] for r in rows)))
    return out


def _day_groups(query, plan, *, column, fields=day_rollup.FIELDS, percentiles=True, hists=None):
    """{(period key, group value): [RoomDay rows]}: `column` "day" or "week", or None for the whole
    range. The histograms are read when percentiles are merged (more days than one in a group), or
    those in `hists`."""
    dim, key = plan
    if hists is None:  # a day's or an hour's row has its percentiles
        hists = tuple(day_rollup.METRICS) if percentiles and column not in ("day", "hour") else ()
    rows = day_rollup.rows(query.tenant.pk, query.start, query.end, dim, key, fields=fields, percentiles=percentiles, hists=hists)
    groups = {}
    for r in rows:
        group = day_rollup.value_of(dim, r["key"]) if query.group_by else None
        groups.setdefault((r[column] if column else None, group), []).append(r)
    return groups


def _group_names(user, group_by, keys):
    if group_by == "channel":
        return dict(Channel.choices)
    # Agents by their names only: 500 full users with their tenant and team took a tenth of a second.
    agents = lambda user: routing_selectors.users_for(user).select_related(None).only("id", "username", "tenant_id")  # noqa: E731
    model_selector = {"skill": routing_selectors.skills_for, "agent": agents, "team": routing_selectors.teams_for,
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
    fields = (*keys, *INTERACTION_AGGREGATES)
    tz = query.tz
    plan = _day_plan(query)
    if plan is not None:
        found = []
        for (period, value), rows in _day_groups(query, plan, column=column).items():
            sums = _day_sums(rows)
            found.append((period, value, *(sums[name] for name in INTERACTION_AGGREGATES)) if group
                         else (period, *(sums[name] for name in INTERACTION_AGGREGATES)))
    else:
        found = facts_for(query).values(*keys).order_by(*keys).annotate(**INTERACTION_AGGREGATES)
        if group:
            found = _rows(found, *fields)
    if group:  # by interval, then group, "No …" last, on either database
        found.sort(key=lambda r: (r[0], r[1] is None, r[1] or 0))
    if not group:
        by_key = {r[column]: r for r in found} if plan is None else {r[0]: dict(zip(fields, r)) for r in found}
        return [{"period": p.label, **_finish(by_key.get(p.key, {}))} for p in periods.periods(query.start, query.end, query.interval, tz)]
    names = _group_names(user, query.group_by, {r[1] for r in found})
    labels = {}
    by, no_group = query.group_by, NO_GROUP[query.group_by]

    def row(values):
        r = dict(zip(fields, values))
        key = r[column]
        label = labels.get(key)
        if label is None:
            label = labels[key] = periods.label(key, query.interval, tz)
        return {"period": label, by: r[group], f"{by}_name": names.get(r[group], no_group) if r[group] is not None else no_group,
                **_finish(r)}
    return LazyRows(found, row)


class LazyRows(Sequence):
    """Report rows made when read: a day by hour and agent is 12,000 rows, of which the API returns
    one page and the report page 500."""

    def __init__(self, items, build):
        self.items, self.build = items, build

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.build(item) for item in self.items[index]]
        return self.build(self.items[index])


def interaction_totals(user, query, *, fresh=True):
    """The figures over the whole range (one row)."""
    if fresh:
        refresh(query)
    plan = _day_plan(query, by_interval=False)
    if plan is not None:
        return _finish(_day_sums([r for rows in _day_groups(query, plan, column=None).values() for r in rows]))
    return _finish(facts_for(query).aggregate(**INTERACTION_AGGREGATES))


HANDLE_BUCKETS = [(0, 60, "< 1 min"), (60, 120, "1–2 min"), (120, 300, "2–5 min"), (300, 600, "5–10 min"), (600, 1200, "10–20 min"),
                  (1200, 1800, "20–30 min"), (1800, 3600, "30–60 min"), (3600, None, "1 h or more")]
# Each bucket's count; a NULL handle time (a room not handled) falls in none.
BUCKET_AGGREGATES = {f"b{i}": Count("pk", filter=Q(handle_seconds__gte=lo) & (Q(handle_seconds__lt=hi) if hi else Q()))
                     for i, (lo, hi, _) in enumerate(HANDLE_BUCKETS)}


def handle_time_distribution(user, query, *, counts=None):
    """How many handled rooms took how long, in HANDLE_BUCKETS."""
    counts = counts or facts_for(query).aggregate(**BUCKET_AGGREGATES)
    return [{"bucket": label, "rooms": counts[f"b{i}"]} for i, (_, _, label) in enumerate(HANDLE_BUCKETS)]


def totals_and_distribution(user, query):
    """The report page's tiles and its handle-time chart in one pass over the rows: a month is a
    million of them. The tiles show no percentile, so none is computed (they sort every value)."""
    plan = _day_plan(query, by_interval=False)
    if plan is not None:
        rows = [r for group in _day_groups(query, plan, column=None, percentiles=False, hists=("handle",)).values() for r in group]
        row = _day_sums(rows, percentiles=False)
        # A whole second s falls in a bucket exactly when the time does: the bounds are whole seconds.
        counts = {f"b{i}": 0 for i in range(len(HANDLE_BUCKETS))}
        for second, n in day_rollup.merge(r["handle_hist"] for r in rows).items():
            for i, (lo, hi, _) in enumerate(HANDLE_BUCKETS):
                if int(second) >= lo and (hi is None or int(second) < hi):
                    counts[f"b{i}"] += n
                    break
        return _finish(row), handle_time_distribution(user, query, counts=counts)
    sums = {name: agg for name, agg in INTERACTION_AGGREGATES.items() if not isinstance(agg, P90)}
    row = facts_for(query).aggregate(**sums, **BUCKET_AGGREGATES)
    return _finish(row), handle_time_distribution(user, query, counts=row)


def dispositions(user, query):
    """Ended rooms of the query by the disposition their agent chose at wrap-up (issue 17's codes), with
    each one's share of the ended rooms; "No disposition" for the rest. Ended: closed after an agent
    accepted it, which is a final row with a handle time; its disposition is on the row (rollup.py)."""
    if _day_plan(replace(query, group_by=""), by_interval=False) == ("", None):
        # No filter: the rollup's "disposition" rows. A handle time means the room ended (rollup.compute_facts).
        per_id = [(day_rollup.value_of("disposition", r["key"]), r["handle_n"])
                  for r in day_rollup.rows(query.tenant.pk, query.start, query.end, "disposition", fields=("handle_n",),
                                                percentiles=False)]
    else:
        ended = facts_for(query).filter(final=True, handle_seconds__isnull=False)
        per_id = ended.values_list("disposition_id").annotate(rooms=Count("pk")).order_by()
    names = dict(Disposition.objects.filter(tenant_id=query.tenant.pk, pk__in=[k for k, _ in per_id if k is not None])
                 .values_list("pk", "name"))
    counts = {}
    for key, rooms in per_id:
        name = names.get(key) or "No disposition"  # also a disposition deleted since (its rooms lost it too)
        counts[name] = counts.get(name, 0) + rooms
    total = sum(counts.values())
    return [{"disposition": name, "rooms": rooms, "share": _ratio(rooms, total)}
            for name, rooms in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


# --- agents ----------------------------------------------------------------------------------

STATES = (AgentState.AVAILABLE, AgentState.UNAVAILABLE, AgentState.LOGGED_OUT)


def _agents(user, query):
    """The query's agents by name, as a queryset of the few columns a report reads (500 full users and
    their tenant cost a tenth of a second per use)."""
    qs = (routing_selectors.users_for(user).filter(role=Role.AGENT).select_related(None).select_related("team")
          .only("id", "username", "tenant_id", "team_id", "session_limit", "team__name", "team__session_limit"))
    if query.agent is not None:
        qs = qs.filter(pk=query.agent.pk)
    if query.team is not None:
        qs = qs.filter(team_id=query.team.pk)
    return qs.order_by("username", "id")


Person = namedtuple("Person", "pk username team_id team_name")


def _people(user, query):
    """The query's agents as the agents report reads them: plain rows, not model instances (a fifth of
    the day page's time went to making 500 users and their teams twice)."""
    return [Person(*row) for row in _agents(user, query).values_list("id", "username", "team_id", "team__name")]


def _rows(qs, *names):
    """A values() queryset's rows as tuples of `names`. On PostgreSQL straight from the cursor: Django's
    converters (a float() of each sum) cost more than the query over a month's 15,000 agent rows, and
    the 15-minute and hour keys come as epoch seconds, made instants once per distinct value (parsing
    a day's 16,000 of them cost a fifth of a second). SQLite needs the converters (its dates are text)."""
    if connection.vendor != "postgresql":
        return list(qs.values_list(*names))
    sql, params = qs.query.sql_with_params()
    instants = [n for n in names if n in ("slot", "hour")]
    columns = ", ".join(f'extract(epoch FROM q."{n}")::bigint AS "{n}"' if n in instants else f'q."{n}"' for n in names)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM ({sql}) q", params)
        found = cur.fetchall()
    if instants:
        made = {}
        at = [names.index(n) for n in instants]
        for i, row in enumerate(found):
            row = list(row)
            for j in at:
                e = row[j]
                if e not in made:
                    made[e] = _instant(e) if e is not None else None
                row[j] = made[e]
            found[i] = tuple(row)
    return found


def _state_rows(query, people, column):
    """The agents' logged-in seconds per (agent id, period key), summed from the slot rollup
    (state_rollup.py): {key: {"av", "un", "cap"}} and {key: {reason: seconds}}."""
    base = {"tenant_id": query.tenant.pk, "day__gte": query.start, "day__lte": query.end}
    if query.agent is not None or query.team is not None:
        base["agent_id__in"] = [a.pk for a in people]
    by_day = column in ("day", "week")  # the day rows: a thirtieth of the slots' rows for a month
    state_model, reason_model = (AgentStateDay, AgentReasonDay) if by_day else (AgentStateFact, AgentReasonFact)
    states = {(a, k): {"av": av, "un": un, "cap": cap} for a, k, av, un, cap in _rows(
        state_model.objects.filter(**base).values("agent_id", column).order_by()
        .annotate(av=Sum("available"), un=Sum("unavailable"), cap=Sum("capacity")), "agent_id", column, "av", "un", "cap")}
    reasons = {}
    for agent_id, key, reason, seconds in _rows(reason_model.objects.filter(**base).values("agent_id", column, "reason").order_by()
                                                .annotate(s=Sum("seconds")), "agent_id", column, "reason", "s"):
        reasons.setdefault((agent_id, key), {})[reason or NO_REASON] = seconds
    return states, reasons


AGENT_FIGURES = ("available_seconds", "unavailable_seconds", "logged_out_seconds", "occupancy", "handled", "handle_seconds",
                 "first_response_seconds")


class AgentRows(Sequence):
    """The agent rows, each built when read: a page shows 500 of a month's 15,000 and the API one
    page of them, so only those are made (len() and the reasons found need none built)."""

    def __init__(self, cells):
        self.cells = cells
        self.reason_names = {name for cell in cells for name in cell[6]}

    def __len__(self):
        return len(self.cells)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(c) for c in self.cells[index]]
        return self._row(self.cells[index])

    @staticmethod
    def _row(cell):
        agent, team_name, label, length, st, r, reasons = cell
        handled, handle_sum, handle_n = r.get("handled", 0), r.get("handle_sum") or 0, r.get("handle_n", 0)
        return {"period": label, "agent": agent.pk, "agent_username": agent.username, "team": agent.team_id,
                "team_name": team_name, "available_seconds": round(st["av"]), "unavailable_seconds": round(st["un"]),
                "logged_out_seconds": round(max(length - st["av"] - st["un"], 0.0)),
                "unavailable_reasons": {name: round(v) for name, v in sorted(reasons.items())},
                "occupancy": _ratio(handle_sum, st["cap"]), "handled": handled,
                "handle_seconds": _round(handle_sum / handle_n) if handle_n else None,
                "first_response_seconds": _round(r.get("frt"))}


def _handled(query, column):
    """{(agent id, period key): handled, handle_sum, handle_n, frt} of the rooms the agents accepted."""
    by_agent = replace(query, group_by="agent")
    plan = _day_plan(by_agent)  # no filter, or the agent's
    if plan is not None:
        out = {}
        handled_fields = ("accepted", "acc_handle_sum", "acc_handle_n", "acc_frt_sum", "acc_frt_n")
        for (period, agent_id), rows in _day_groups(by_agent, plan, column=column, fields=handled_fields, percentiles=False).items():
            handled = sum(r["accepted"] for r in rows)
            if handled and agent_id is not None:
                frt_n = sum(r["acc_frt_n"] for r in rows)
                out[(agent_id, period)] = {"handled": handled, "handle_sum": sum(r["acc_handle_sum"] for r in rows),
                                           "handle_n": sum(r["acc_handle_n"] for r in rows),
                                           "frt": sum(r["acc_frt_sum"] for r in rows) / frt_n if frt_n else None}
        return out
    handled_rooms = facts_for(query).filter(accepted=True)  # the query's agent or team filter is facts_for's
    room_rows = (handled_rooms.values("agent_id", column).order_by()
                 .annotate(handled=Count("pk"), handle_sum=Sum("handle_seconds"), handle_n=Count("handle_seconds"),
                           frt=Avg("first_response_seconds")))
    return {(a, k): {"handled": n, "handle_sum": hs, "handle_n": hn, "frt": frt}
            for a, k, n, hs, hn, frt in _rows(room_rows, "agent_id", column, "handled", "handle_sum", "handle_n", "frt")}


def agents(user, query, *, fresh=True):
    """Rows per agent (or team, with group_by=team) and interval: seconds in each state, occupancy
    (time in handled rooms ÷ Σ(session limit in force × time logged in)), rooms handled, average handle and
    first response time. An interval where the agent was logged out and handled nothing has no row."""
    if fresh:
        refresh(query)
    tz, now = query.tz, timezone.now().timestamp()
    period_list = periods.periods(query.start, query.end, query.interval, tz)
    if not period_list:
        return []
    lengths = [max(min(p.end.timestamp(), now) - p.start.timestamp(), 0.0) for p in period_list]
    people = _people(user, query)
    column = periods.FACT_COLUMN[query.interval]
    states, reason_rows = _state_rows(query, people, column)
    rooms = _handled(query, column)
    by_team = query.group_by == "team"
    out, teams = [], {}
    empty, no_rooms = {"av": 0.0, "un": 0.0, "cap": 0.0}, {}
    present = {}  # agent id -> the period keys with a state slot or a room: most agents are out most hours
    for agent_id, key in (*states, *rooms):
        present.setdefault(agent_id, set()).add(key)
    for agent in people:
        team_name = agent.team_name if agent.team_id else "No team"
        keys = present.get(agent.pk)
        if not keys:
            continue
        for p, length in zip(period_list, lengths):
            if p.key not in keys:
                continue
            key = (agent.pk, p.key)
            st = states.get(key, empty)
            r = rooms.get(key, no_rooms)
            logged_in = st["av"] + st["un"]
            if not logged_in and not r:
                continue
            reasons = reason_rows.get(key, no_rooms)
            if by_team:
                handled, handle_sum, handle_n, frt = r.get("handled", 0), r.get("handle_sum") or 0, r.get("handle_n", 0), r.get("frt")
                t = teams.get((agent.team_id, p.label))
                if t is None:
                    t = teams[(agent.team_id, p.label)] = {
                        "period": p.label, "team": agent.team_id, "team_name": team_name, "agents": 0, "unavailable_reasons": {},
                        "available": 0.0, "unavailable": 0.0, "logged_out": 0.0, "handled": 0, "handle_sum": 0.0, "handle_n": 0,
                        "capacity": 0.0, "frt_sum": 0.0, "frt_n": 0}
                t["agents"] += 1
                t["available"] += st["av"]
                t["unavailable"] += st["un"]
                t["logged_out"] += max(length - logged_in, 0.0)
                t["handled"] += handled
                t["handle_sum"] += handle_sum
                t["handle_n"] += handle_n
                t["capacity"] += st["cap"]
                if frt is not None:
                    t["frt_sum"] += frt * handled
                    t["frt_n"] += handled
                for name, v in reasons.items():
                    t["unavailable_reasons"][name] = t["unavailable_reasons"].get(name, 0.0) + v
                continue
            out.append((agent, team_name, p.label, length, st, r, reasons))
    if not by_team:
        return AgentRows(out)
    out = []
    for t in sorted(teams.values(), key=lambda t: (t["team_name"], t["period"])):
        out.append({"period": t["period"], "team": t["team"], "team_name": t["team_name"], "agents": t["agents"],
                    "available_seconds": round(t["available"]), "unavailable_seconds": round(t["unavailable"]),
                    "logged_out_seconds": round(t["logged_out"]),
                    "unavailable_reasons": {name: round(v) for name, v in sorted(t["unavailable_reasons"].items())},
                    "occupancy": _ratio(t["handle_sum"], t["capacity"]), "handled": t["handled"],
                    "handle_seconds": _round(t["handle_sum"] / t["handle_n"]) if t["handle_n"] else None,
                    "first_response_seconds": _round(t["frt_sum"] / t["frt_n"]) if t["frt_n"] else None})
    return out


def _instant(epoch):
    return datetime.fromtimestamp(epoch, dt_timezone.utc)


def agent_timeline(user, query, day, *, limit=None):
    """For the timeline chart: each agent's state segments on one local day, as (start, end, state,
    reason); a limit change within a state does not cut a segment. With `limit`, the first agents
    by name only, and how many were left out ("hidden")."""
    tz, now = query.tz, timezone.now()
    begin, finish = periods.local_midnight(day, tz), periods.local_midnight(day + timedelta(days=1), tz)
    finish_shown = min(finish, now).timestamp()
    found = _agents(user, query)
    people = list(found[:limit] if limit is not None else found)
    hidden = max(found.count() - limit, 0) if limit is not None and len(people) == limit else 0
    timelines = state_timelines(people, begin, finish)
    out = []
    for agent in people:
        segments = []
        t = timelines[agent.pk]
        for i, (start, state, reason, _limit) in enumerate(t):
            end = min(t[i + 1][0] if i + 1 < len(t) else finish_shown, finish_shown)
            if end <= start:
                continue
            if segments and segments[-1][2:] == (state, reason) and segments[-1][1] == _instant(start):
                segments[-1] = (segments[-1][0], _instant(end), state, reason)
            else:
                segments.append((_instant(start), _instant(end), state, reason))
        out.append({"agent": agent, "segments": segments})
    return {"begin": begin, "end": finish, "agents": out, "hidden": hidden}


# --- live, for the supervisor page --------------------------------------------------------------

def today_live(user):
    """Today so far in the tenant's time zone: offered, answered, service level, and the longest wait now.
    The same for every supervisor of the tenant, so read once per CXSMS_REPORTS_LIVE_SECONDS and shared:
    each page re-reads it after every room event."""
    window = settings.CXSMS_REPORTS_LIVE_SECONDS
    if window <= 0:
        return _today_live(user.tenant)
    return cache.get_or_set(f"cxsms:reports:today:{user.tenant_id}", lambda: _today_live(user.tenant), timeout=window)


def _today_live(tenant):
    from .query import ReportQuery, tenant_today

    today = tenant_today(tenant)
    query = ReportQuery(tenant=tenant, start=today, end=today, interval="day")
    # Its own catch-up window, shorter than the reports': the strip is re-read when a room changes.
    rollup.refresh_for_report(tenant.pk, window=settings.CXSMS_REPORTS_LIVE_SECONDS, mark="live")
    totals = interaction_totals(None, query, fresh=False)
    queued = Room.objects.filter(tenant_id=tenant.pk, state=RoomState.QUEUED).aggregate(n=Count("pk"), oldest=Min("queued_at"))
    oldest = queued["oldest"]
    return {"date": today.isoformat(), "offered": totals["offered"], "answered": totals["accepted"], "abandoned": totals["abandoned"],
            "service_level": totals["service_level"], "asa_seconds": totals["asa_seconds"], "waiting": queued["n"],
            "longest_wait_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0}
