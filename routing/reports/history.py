"""The agents' state history the agent reports read (AgentStateChange): the state, the reason and the
session limit in force, from each row's start until the agent's next row.

Written outside the per-text path: a state change is an agent's click, a logout or a lapsed offer
(routing.acd.agents calls `state_change_record`), and a limit changes when an administrator edits
an agent or a team (routing.services calls `limits_record`).
"""
from django.db.models import FloatField, Func, Max, OuterRef, Subquery

from ..choices import AgentState, Role
from ..models import AgentStateChange, User


NO_REASON = "No reason"


def state_change_record(*, agent, state, reason, at):
    """The agent (locked by the caller) entered `state` for `reason` at `at`, with their limit then."""
    AgentStateChange.objects.create(tenant_id=agent.tenant_id, agent=agent, state=state, reason=reason,
                                    session_limit=agent.effective_session_limit, started_at=at)


def limits_record(*, agent_ids, at=None):
    """After a change that may move agents' effective session limit (their override, their team, the
    team's limit): a history row for each agent whose limit now differs from the one their last row
    holds, in the same state and for the same reason. An agent logged out with no history gets no
    row: their limit counts only from when they log in (which writes one)."""
    from django.utils import timezone

    at = at or timezone.now()
    agents = list(User.objects.filter(pk__in=agent_ids, role=Role.AGENT).select_related("team"))
    if not agents:
        return 0
    latest = (AgentStateChange.objects.filter(agent_id__in=[a.pk for a in agents]).values("agent_id").order_by()
              .annotate(m=Max("started_at")))
    last_at = {r["agent_id"]: r["m"] for r in latest}
    last_limit = {}
    for agent_id, started_at, limit in (AgentStateChange.objects.filter(agent_id__in=list(last_at), started_at__in=set(last_at.values()))
                                        .order_by("started_at", "id").values_list("agent_id", "started_at", "session_limit")):
        if started_at == last_at[agent_id]:
            last_limit[agent_id] = limit
    rows = []
    for agent in agents:
        limit = agent.effective_session_limit
        if agent.pk not in last_at:
            if agent.state == AgentState.LOGGED_OUT:
                continue
        elif last_limit.get(agent.pk) == limit:
            continue
        rows.append(AgentStateChange(tenant_id=agent.tenant_id, agent=agent, state=agent.state, reason=agent.state_reason,
                                     session_limit=limit, started_at=max(at, last_at.get(agent.pk) or at)))
    AgentStateChange.objects.bulk_create(rows)
    return len(rows)


class Epoch(Func):
    """Seconds since 1970 as a float: reading a timestamp as a number skips building tens of
    thousands of datetime objects (most of an agent report's time at a month of 500 agents)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra)


def state_timelines(agents, begin, finish):
    """{agent id: [(start, state, reason, limit), ...]} with start in epoch seconds: what each agent
    was in at `begin` (their last row before it; an agent without any history before it counts as
    logged out), then every row until `finish`. `limit` is the session limit then in force (rows
    written before limits were recorded hold none: the agent's limit today stands in)."""
    ids = [a.pk for a in agents]
    b = begin.timestamp()
    today = {a.pk: a.effective_session_limit for a in agents}
    timelines = {a.pk: [(b, AgentState.LOGGED_OUT, "", today[a.pk])] for a in agents}
    # Each agent's last row before `begin`: one index probe per agent (agent, started_at), not a scan of all history.
    last_ids = (User.objects.filter(pk__in=ids).annotate(last=Subquery(
        AgentStateChange.objects.filter(agent_id=OuterRef("pk"), started_at__lt=begin).order_by("-started_at", "-id").values("id")[:1]))
        .exclude(last=None).values_list("last", flat=True))
    for agent_id, state, reason, limit in (AgentStateChange.objects.filter(pk__in=list(last_ids))
                                           .values_list("agent_id", "state", "reason", "session_limit")):
        timelines[agent_id] = [(b, state, reason, limit or today[agent_id])]
    for agent_id, at, state, reason, limit in (
            AgentStateChange.objects.filter(agent_id__in=ids, started_at__gte=begin, started_at__lt=finish)
            .order_by("agent_id", "started_at", "id").annotate(t=Epoch("started_at"))
            .values_list("agent_id", "t", "state", "reason", "session_limit")):
        timelines[agent_id].append((at, state, reason, limit or today[agent_id]))
    return timelines
