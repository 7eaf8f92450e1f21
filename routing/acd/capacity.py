"""An agent's capacity (R3, R4): the effective limit, the `routable` rule, and the cached routing
state, of which this module is the only writer (tests/routing/acd/test_capacity_writer.py checks):

- `User.held`: the rooms an agent holds (offered + active), recounted under the agent's row lock at
  each change. It only preselects candidates; the recount decides.
- `User.routable`: an active agent, available, below their effective limit (`agent_routable`),
  so the engine finds candidates through a small partial index.
- `AgentSkill.agent_routable` / `agent_idle_since`: copies of `User.routable` / `User.idle_since`,
  so one index walk gives a skill's best routable holders in rank order.

Each Python rule has its SQL twin beside it (tests/routing/acd/test_twins.py compares them).
"""
from dataclasses import dataclass

from .. import rules, sql
from ..choices import CAPACITY_ROOM_STATES, AgentState, Role
from ..models import User


def limit_sql(user="u", team=None):
    """The effective session limit of the user aliased `user`, as one SQL expression: over the team
    aliased `team` when the statement joins it, else through a subquery (an UPDATE can use it)."""
    team_limit = (f"{team}.session_limit" if team else
                  f"(SELECT tm.session_limit FROM {sql.tables()['team']} tm WHERE tm.id = {user}.team_id)")
    return rules.effective_session_limit_sql(f"{user}.session_limit", team_limit)


def agent_routable(agent, held):
    """Whether an agent may get an offer now (the `User.routable` flag), from a loaded row."""
    return (agent.role == Role.AGENT and agent.is_active and agent.state == AgentState.AVAILABLE
            and held < agent.effective_session_limit)


def routable_sql(user="u"):
    """agent_routable in SQL, over the stored `held`."""
    return (f"({user}.role = '{Role.AGENT}' AND {user}.is_active AND {user}.state = '{AgentState.AVAILABLE}' "
            f"AND {user}.held < {limit_sql(user)})")


def _agents_where(agent_ids, team_id, user="u"):
    if agent_ids is not None:
        if not agent_ids:
            return "1 = 0", []
        return f"{user}.id IN ({sql.placeholders(agent_ids)})", list(agent_ids)
    return f"{user}.team_id = %s", [team_id]


def refresh_routable(*, agent_ids=None, team_id=None):
    """Recompute `User.routable` for some agents, a team's members, or (neither) the agents whose
    flag is wrong; then the copies on their skills (sync_skill_copies). Returns how many changed."""
    t = sql.tables()
    if agent_ids is None and team_id is None:
        where, params = f"u.routable <> {routable_sql()}", []
    else:
        where, params = _agents_where(agent_ids, team_id)
    ids = [r[0] for r in sql.rows(f"SELECT u.id FROM {t['user']} u WHERE {where}", params)]
    changed = 0
    if ids:
        # SQLite's UPDATE takes no alias: the table's own name stands in for `u`.
        changed = sql.execute(f"UPDATE {t['user']} SET routable = {routable_sql(t['user'])} WHERE id IN ({sql.placeholders(ids)})", ids)
    sync_skill_copies(agent_ids=ids if agent_ids is None and team_id is None else agent_ids, team_id=team_id)
    return changed


def sync_skill_copies(*, agent_ids=None, team_id=None):
    """Copy User.routable and User.idle_since onto the agents' AgentSkill rows (the candidate
    index). Some agents, a team's members, or (neither) every row whose copy is wrong."""
    t = sql.tables()
    copy = (f"agent_routable = (SELECT u.routable FROM {t['user']} u WHERE u.id = {t['agentskill']}.agent_id), "
            f"agent_idle_since = (SELECT u.idle_since FROM {t['user']} u WHERE u.id = {t['agentskill']}.agent_id)")
    if agent_ids is None and team_id is None:
        return sql.execute(f"UPDATE {t['agentskill']} SET {copy} WHERE agent_id IN (SELECT u.id FROM {t['user']} u "
                           f"JOIN {t['agentskill']} s ON s.agent_id = u.id WHERE s.agent_routable <> u.routable "
                           f"OR s.agent_idle_since <> u.idle_since)")
    where, params = _agents_where(agent_ids, team_id)
    return sql.execute(f"UPDATE {t['agentskill']} SET {copy} WHERE agent_id IN (SELECT u.id FROM {t['user']} u WHERE {where})", params)


@dataclass
class AgentRow:
    """An agent's routing fields as read under their row lock (with the team's limit resolved)."""
    id: int
    username: str
    role: str
    is_active: bool
    state: str
    routable: bool
    held: int  # the cached count (User.held)
    effective_session_limit: int
    tenant_id: int | None

    @property
    def pk(self):
        return self.id


def agent_row(agent_id, *, lock=True, routable_only=False):
    """The agent's routing row (locked unless lock=False), then the count of the rooms holding a
    slot. Two statements on purpose: under READ COMMITTED, a statement that waited for a row lock
    sees the new version of that row but still reads other tables as of its start, so a count
    inside the locking statement could miss the room a concurrent offer just committed to this
    agent. routable_only: None, and no lock taken, if the row (as of the lock) is not routable."""
    t = sql.tables()
    found = sql.row(
        f"SELECT u.id, u.username, u.role, u.is_active, u.state, u.routable, u.held, {limit_sql()}, u.tenant_id "
        f"FROM {t['user']} u WHERE u.id = %s{' AND u.routable' if routable_only else ''}"
        f"{sql.for_update('u') if lock else ''}", [agent_id])
    if found is None:
        if routable_only:
            return None
        raise User.DoesNotExist(f"no user {agent_id}")
    (count,) = sql.row(f"SELECT COUNT(*) FROM {t['room']} WHERE agent_id = %s AND state IN (%s, %s)", [agent_id, *CAPACITY_ROOM_STATES])
    return AgentRow(*found), count


def store_count(agent, held):
    """Write a locked agent's recounted `held` and the `routable` flag that follows (and its copies).
    Returns whether the stored count was wrong."""
    routable = agent_routable(agent, held)
    stale = held != agent.held
    if stale or routable != agent.routable:
        t = sql.tables()
        sql.execute(f"UPDATE {t['user']} SET held = %s, routable = %s WHERE id = %s", [held, routable, agent.id])
        if routable != agent.routable:
            sql.execute(f"UPDATE {t['agentskill']} SET agent_routable = %s WHERE agent_id = %s", [routable, agent.id])
        agent.held, agent.routable = held, routable
    return stale


def recount(agent_id):
    """Lock the agent's row, count the rooms holding a slot, store it. Returns (AgentRow, held)."""
    agent, held = agent_row(agent_id)
    store_count(agent, held)
    return agent, held


def take_slot(cursors, agent, held, now):
    """An offer or an agent's own text took one of a locked agent's slots: the writes, sent on
    `cursors` (writes, agent_row) inside the caller's pipeline; the agent's update returns the bumped
    event sequence (routing.events.to_agent) on `agent_row`. Updates `agent` to match."""
    t = sql.tables()
    writes, agent_cursor = cursors
    routable = agent_routable(agent, held + 1)
    writes.execute(f"UPDATE {t['agentskill']} SET agent_routable = %s, agent_idle_since = %s WHERE agent_id = %s",
                   [routable, sql.dt(now), agent.id])
    agent_cursor.execute(f"UPDATE {t['user']} SET held = %s, idle_since = %s, routable = %s, event_seq = event_seq + 1 "
                         f"WHERE id = %s RETURNING event_seq", [held + 1, sql.dt(now), routable, agent.id])
    agent.held, agent.routable = held + 1, routable


def store_state(agent, state, now, reason=""):
    """A locked User's availability changed (routing.acd.agents): the state and its reason, its time,
    idle-since when they become available, and the routable flag that follows, with its copies."""
    agent.state, agent.state_changed_at, agent.state_reason = state, now, reason
    fields = ["state", "state_changed_at", "state_reason", "routable"]
    if state == AgentState.AVAILABLE:
        agent.idle_since = now
        fields.append("idle_since")
    agent.routable = agent_routable(agent, agent.held)
    agent.save(update_fields=fields)
    sync_skill_copies(agent_ids=[agent.pk])
