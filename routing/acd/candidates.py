"""The snapshot a decision is taken on: the best few eligible agents of the room's skill, found
through an index in rank order (so the cost does not grow with the number of agents), plus, for
the decision record, up to RECORD_AGENTS agents of the tenant. One statement whatever the size of
the tenant; hand-written because it runs for every text (docs/routing.md §6)."""
from django.db import connection

from .. import sql
from ..choices import AgentState, Role
from .capacity import limit_sql
from .decision import UNRANKED, Candidate

TOP_CANDIDATES = 8  # eligible agents fetched per decision, best first
RECORD_AGENTS = 100  # other agents whose skip reason is recorded with a decision


def _candidate_sql(skill_id, declined):
    """One statement, two parts: the best TOP_CANDIDATES routable holders of the skill, in rank
    order straight off agentskill_routable_idx (the copies on AgentSkill), then the first
    RECORD_AGENTS agents of the tenant for the decision record (with the skill or not)."""
    t = sql.tables()
    columns = f"u.id, u.username, u.state, u.is_active, s.proficiency, u.held, {limit_sql(team='tm')} AS lim"
    # The record's rows leave out idle_since: reading a hundred timestamps cost more than the rest
    # of a decision, and only the top candidates' ranks are compared (see decision.UNRANKED).
    no_time = f"CAST(NULL AS {connection.data_types['DateTimeField']})"
    record = (f"SELECT 0 AS top_, {columns}, {no_time} AS idle_since FROM {t['user']} u "
              f"LEFT JOIN {t['agentskill']} s ON s.agent_id = u.id AND s.skill_id = %s LEFT JOIN {t['team']} tm ON tm.id = u.team_id "
              f"WHERE u.tenant_id = %s AND u.role = %s ORDER BY u.id LIMIT {RECORD_AGENTS}")
    if not skill_id:
        return f"SELECT * FROM ({record}) record_"
    not_declined = f" AND s.agent_id NOT IN ({sql.placeholders(declined)})" if declined else ""
    top = (f"SELECT 1 AS top_, {columns}, u.idle_since FROM {t['agentskill']} s JOIN {t['user']} u ON u.id = s.agent_id "
           f"LEFT JOIN {t['team']} tm ON tm.id = u.team_id "
           f"WHERE s.skill_id = %s AND s.agent_routable AND u.routable AND u.tenant_id = %s{not_declined} "
           f"ORDER BY s.proficiency, s.agent_idle_since, s.agent_id LIMIT {TOP_CANDIDATES}")
    return f"SELECT * FROM ({top}) top_candidates_ UNION ALL SELECT * FROM ({record}) record_"


def snapshot(room):
    """Candidates for a room (see the module's docstring)."""
    declined = [int(a) for a in (room.declined_by or [])]
    params = [room.skill_id, room.tenant_id, *declined] if room.skill_id else []
    params += [room.skill_id, room.tenant_id, Role.AGENT]
    out = {}
    for top, agent_id, username, state, is_active, proficiency, held, limit, idle_since in sql.rows(
            _candidate_sql(room.skill_id, declined), params):
        if agent_id in out:
            continue  # a top candidate is also among the first agents of the tenant
        out[agent_id] = Candidate(id=agent_id, username=username, state=state if is_active else AgentState.LOGGED_OUT,
                                  proficiency=proficiency, held=held, limit=limit,
                                  idle_since=sql.aware(idle_since) if top else UNRANKED, declined=not top and agent_id in declined)
    return list(out.values())
