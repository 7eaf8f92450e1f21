"""The ACD routing engine (R4, R13).

`decide()` is a pure function over a snapshot of candidate agents: unit tests call it without a
server. Applying a decision happens in one transaction that locks the room, then the chosen
agent's row (that row only, not its team), and recounts the agent's rooms under that lock, so two
processes routing at once never push an agent over the limit nor give a room to two agents.

Lock order is always room, then agent. An agent is locked only while their row is still routable
(see _try_offer): one who filled up meanwhile is refused without a lock, so a routing transaction
holds the lock of at most the agent it offers to, and two routers trying agents in a different
order cannot deadlock.

`User.held` is a cache of the rooms an agent holds (offered + active), refreshed under the agent's
lock at each change; it only preselects candidates, the recount decides. `User.routable` and its
copies on AgentSkill (with `idle_since`) let one index give the best candidates in rank order.

The statements of a decision are hand-written SQL (routing/sql.py): they run for every text, and
the ORM's per-query compilation cost more than PostgreSQL's work (docs/routing.md §6).

Declines: an agent who rejected a room, or let its offer lapse, is skipped for that room. When
nobody else can take it and the last decline is older than `CXSMS_REOFFER_AFTER` seconds
(default 120), the declines are forgotten and the room may be offered to them again, so a contact
is never stranded because the only agents of a skill once said no.
"""
import json
import logging
from dataclasses import dataclass
from typing import NamedTuple
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import events, sql
from .choices import CAPACITY_ROOM_STATES, AgentState, Role, RoomState, SkipReason
from .models import AgentSkill, Message, Room, RoutingDecision, Skill, Team, User
from .models.people import SESSION_LIMIT_MIN

log = logging.getLogger("cxsms.engine")
TOP_CANDIDATES = 8  # eligible agents fetched per decision, best first
RECORD_AGENTS = 100  # other agents whose skip reason is recorded with a decision
ORPHAN_AFTER = 5  # seconds a queued room may go without any routing decision before the sweep routes it
RELEASE_OUTCOMES = ("rejected", "lapsed")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
# The idle time of an agent read only for the decision record: an eligible one there is not among
# the top candidates, so ranks after every one of them at the same proficiency.
_UNRANKED = datetime.max.replace(tzinfo=dt_timezone.utc)


class Candidate(NamedTuple):
    """An agent as a decision sees them (a named tuple: a decision builds a hundred of these)."""
    id: int
    username: str
    state: str
    proficiency: int | None  # None: does not hold the room's skill
    held: int
    limit: int
    idle_since: object
    declined: bool = False


@dataclass(frozen=True)
class Decision:
    agent_id: int | None
    skipped: tuple  # ((agent id, username, SkipReason), ...)


def skip_reason(c):
    """Why this candidate may not get the room (None: eligible). Checked in this order."""
    if c.proficiency is None:
        return SkipReason.NO_SKILL
    if c.state == AgentState.LOGGED_OUT:
        return SkipReason.LOGGED_OUT
    if c.state != AgentState.AVAILABLE:
        return SkipReason.UNAVAILABLE
    if c.declined:
        return SkipReason.REJECTED
    if c.held >= c.limit:
        return SkipReason.AT_LIMIT
    return None


def rank(c):
    """Best proficiency (1 is best), then idle longest (no idle time known: longest), then lowest id."""
    return (c.proficiency, c.idle_since or _LONG_AGO, c.id)


def decide(candidates):
    """The best eligible agent and why every other candidate was skipped. Pure: no database."""
    eligible, skipped = [], []
    for c in candidates:
        reason = skip_reason(c)
        if reason:
            skipped.append((c.id, c.username, reason))
        else:
            eligible.append(c)
    if not eligible:
        return Decision(None, tuple(skipped))
    best = min(eligible, key=rank)
    skipped += [(c.id, c.username, SkipReason.LOWER_RANK) for c in sorted(eligible, key=rank) if c is not best]
    return Decision(best.id, tuple(skipped))


# --- snapshot -------------------------------------------------------------------------------

def _limit_expr(prefix=""):
    """The effective session limit in SQL (R3), as User.effective_session_limit computes it in Python.
    A subquery rather than a join, so UPDATE statements can use it too."""
    team_limit = Subquery(Team.objects.filter(pk=OuterRef(f"{prefix}team_id")).values("session_limit")[:1])
    return Coalesce(F(f"{prefix}session_limit"), team_limit, Value(SESSION_LIMIT_MIN))


def agent_routable(agent, held):
    """Whether an agent may get an offer now (the `User.routable` flag), from a loaded row."""
    return (agent.role == Role.AGENT and agent.is_active and agent.state == AgentState.AVAILABLE
            and held < agent.effective_session_limit)


def _routable_expr():
    return Case(When(Q(role=Role.AGENT, is_active=True, state=AgentState.AVAILABLE, held__lt=_limit_expr()), then=Value(True)),
                default=Value(False), output_field=BooleanField())


def _narrow(qs, agent_ids, team_id, via=""):
    """Some agents, or a team's members (`via`: the path to the user from qs's model)."""
    if agent_ids is not None:
        return qs.filter(**{f"{via}_id__in" if via else "pk__in": agent_ids})
    return qs.filter(**{f"{via}__team_id" if via else "team_id": team_id})


def refresh_routable(*, agent_ids=None, team_id=None):
    """Recompute `User.routable` in SQL for some agents, a team's members, or (neither) the agents
    whose flag is wrong; then the copies on their skills (sync_skill_copies)."""
    if agent_ids is None and team_id is None:
        ids = list(User.objects.annotate(should=_routable_expr()).exclude(routable=F("should")).values_list("pk", flat=True))
        changed = User.objects.filter(pk__in=ids).update(routable=_routable_expr()) if ids else 0
        sync_skill_copies()
        return changed
    changed = _narrow(User.objects.all(), agent_ids, team_id).update(routable=_routable_expr())
    sync_skill_copies(agent_ids=agent_ids, team_id=team_id)
    return changed


def sync_skill_copies(*, agent_ids=None, team_id=None):
    """Copy User.routable and User.idle_since onto the agents' AgentSkill rows (the candidate
    index). Some agents, a team's members, or (neither) every row whose copy is wrong."""
    if agent_ids is None and team_id is None:
        qs = AgentSkill.objects.exclude(agent_routable=F("agent__routable"), agent_idle_since=F("agent__idle_since"))
    else:
        qs = _narrow(AgentSkill.objects.all(), agent_ids, team_id, via="agent")
    agent = User.objects.filter(pk=OuterRef("agent_id"))
    return qs.update(agent_routable=Subquery(agent.values("routable")[:1]), agent_idle_since=Subquery(agent.values("idle_since")[:1]))


def _candidate_sql(skill_id, declined):
    """One statement, two parts: the best TOP_CANDIDATES routable holders of the skill, in rank
    order straight off agentskill_routable_idx (the copies on AgentSkill), then the first
    RECORD_AGENTS agents of the tenant for the decision record (with the skill or not)."""
    t = sql.tables()
    limit = f"COALESCE(u.session_limit, tm.session_limit, {SESSION_LIMIT_MIN})"
    columns = f"u.id, u.username, u.state, u.is_active, s.proficiency, u.held, {limit} AS lim"
    # The record's rows leave out idle_since: reading a hundred timestamps cost more than the rest
    # of a decision, and only the top candidates' ranks are compared (see _UNRANKED).
    no_time = f"CAST(NULL AS {connection.data_types['DateTimeField']})"
    record = (f"SELECT 0 AS top_, {columns}, {no_time} AS idle_since FROM {t['user']} u LEFT JOIN {t['agentskill']} s ON s.agent_id = u.id AND s.skill_id = %s "
              f"LEFT JOIN {t['team']} tm ON tm.id = u.team_id WHERE u.tenant_id = %s AND u.role = %s ORDER BY u.id LIMIT {RECORD_AGENTS}")
    if not skill_id:
        return f"SELECT * FROM ({record}) record_"
    not_declined = f" AND s.agent_id NOT IN ({sql.placeholders(declined)})" if declined else ""
    top = (f"SELECT 1 AS top_, {columns}, u.idle_since FROM {t['agentskill']} s JOIN {t['user']} u ON u.id = s.agent_id "
           f"LEFT JOIN {t['team']} tm ON tm.id = u.team_id "
           f"WHERE s.skill_id = %s AND s.agent_routable AND u.routable AND u.tenant_id = %s{not_declined} "
           f"ORDER BY s.proficiency, s.agent_idle_since, s.agent_id LIMIT {TOP_CANDIDATES}")
    return f"SELECT * FROM ({top}) top_candidates_ UNION ALL SELECT * FROM ({record}) record_"


def snapshot(room):
    """Candidates for a room: the best few eligible agents (found through an index in rank order,
    so the cost does not grow with the number of agents) plus, for the decision record, up to
    RECORD_AGENTS agents of the tenant. One statement whatever the size of the tenant."""
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
                                  idle_since=sql.aware(idle_since) if top else _UNRANKED, declined=not top and agent_id in declined)
    return list(out.values())


# --- applying decisions ---------------------------------------------------------------------

def locked(qs):
    """Row locks on the queryset's own table only (FOR UPDATE OF self): a select_related join would
    otherwise also lock the tenant, team or skill rows and serialize unrelated work (and PostgreSQL
    refuses FOR UPDATE on the nullable side of an outer join). SQLite serializes writers anyway."""
    features = connection.features
    if not features.has_select_for_update:
        return qs
    return qs.select_for_update(of=("self",)) if features.has_select_for_update_of else qs.select_for_update()


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

    def as_user(self):
        """A User instance carrying these fields (for payloads), without another query."""
        user = User(id=self.id, username=self.username, role=self.role, is_active=self.is_active, state=self.state,
                    tenant_id=self.tenant_id, held=self.held, routable=self.routable)
        user._state.adding = False
        return user


def _agent_row(agent_id, *, lock=True, routable_only=False):
    """The agent's routing row (locked unless lock=False), then the count of the rooms holding a
    slot. Two statements on purpose: under READ COMMITTED, a statement that waited for a row lock
    sees the new version of that row but still reads other tables as of its start, so a count
    inside the locking statement could miss the room a concurrent offer just committed to this
    agent. routable_only: None, and no lock taken, if the row (as of the lock) is not routable."""
    t = sql.tables()
    found = sql.row(
        f"SELECT u.id, u.username, u.role, u.is_active, u.state, u.routable, u.held, "
        f"COALESCE(u.session_limit, (SELECT tm.session_limit FROM {t['team']} tm WHERE tm.id = u.team_id), {SESSION_LIMIT_MIN}), "
        f"u.tenant_id FROM {t['user']} u WHERE u.id = %s{' AND u.routable' if routable_only else ''}"
        f"{sql.for_update('u') if lock else ''}", [agent_id])
    if found is None:
        if routable_only:
            return None
        raise User.DoesNotExist(f"no user {agent_id}")
    (count,) = sql.row(f"SELECT COUNT(*) FROM {t['room']} WHERE agent_id = %s AND state IN (%s, %s)", [agent_id, *CAPACITY_ROOM_STATES])
    return AgentRow(*found), count


def _store_count(agent, held):
    """Write a locked agent's recounted `held` and the `routable` flag that follows (and its copies)."""
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
    agent, held = _agent_row(agent_id)
    _store_count(agent, held)
    return agent, held


def _try_offer(room, agent_id, now, record=None):
    """Offer the locked queued room to an agent if, under the agent's lock, they may still take it.
    Returns (agent, event_seq, None) on success, (None, None, (agent, held)) as found on refusal.
    The agent's update also takes the sequence number of the `room.offered` event (events.to_agent).

    The lock is taken only on a row that is still routable: an agent who filled up or left since
    the snapshot is refused without a lock, so a routing transaction holds at most the lock of the
    agent it offers to, and two routers trying agents in different orders cannot deadlock. Only
    when the cached count was wrong (never expected) is a refused agent's lock kept, to store the
    correction; PostgreSQL would then break a deadlock by failing one routing, which the queue
    sweep redoes."""
    t = sql.tables()
    found = _agent_row(agent_id, routable_only=True)
    if found is None:
        agent, held = _agent_row(agent_id, lock=False)
        if not agent_routable(agent, held):
            return None, None, (agent, held)  # raced: as it is now, for the record
        found = _agent_row(agent_id)  # the flag was wrong (never expected): lock, correct it below
    agent, held = found
    if held != agent.held or agent.routable != agent_routable(agent, held) or not agent.routable or agent.pk in (room.declined_by or []):
        _store_count(agent, held)
        return None, None, (agent, held)
    expires = now + timedelta(seconds=settings.CXSMS_OFFER_TIMEOUT)
    routable = agent_routable(agent, held + 1)
    with connection.cursor() as writes, connection.cursor() as agent_row:
        with sql.pipeline():  # the writes of an offer (and its decision record), one round trip
            writes.execute(f"UPDATE {t['room']} SET state = %s, agent_id = %s, offered_at = %s, offer_expires_at = %s WHERE id = %s",
                           [RoomState.OFFERED, agent_id, sql.dt(now), sql.dt(expires), room.pk])
            writes.execute(f"UPDATE {t['agentskill']} SET agent_routable = %s, agent_idle_since = %s WHERE agent_id = %s",
                           [routable, sql.dt(now), agent_id])
            if record is not None:
                writes.execute(*_record_statement(room, "offered", agent_id, record[0], record[1], now))
            agent_row.execute(f"UPDATE {t['user']} SET held = %s, idle_since = %s, routable = %s, event_seq = event_seq + 1 "
                              f"WHERE id = %s RETURNING event_seq", [held + 1, sql.dt(now), routable, agent_id])
        (seq,) = agent_row.fetchone()
    agent.held, agent.routable = held + 1, routable
    room.state, room.agent, room.offered_at, room.offer_expires_at = RoomState.OFFERED, agent.as_user(), now, expires
    return agent, seq, None


def _as_found(candidate, agent, held, room):
    """The candidate as the locked recount found it, so the decision record says the true reason."""
    return candidate._replace(state=agent.state if agent.is_active else AgentState.LOGGED_OUT, held=held,
                   limit=agent.effective_session_limit, declined=agent.pk in (room.declined_by or []))


def _offer_best(room, now, trigger):
    """Decide and apply: try the best candidate; one who filled up meanwhile is replaced by what the
    lock found and the decision is taken again. If every candidate of the snapshot raced, look once
    more. Returns (agent or None, the offer event's agent_seq, the last Decision)."""
    found = {}  # agent id -> Candidate as the locked recount found it
    decision = None
    for _look in range(2):
        candidates = [found.get(c.id, c) for c in snapshot(room)]
        while True:
            decision = decide(candidates)
            if decision.agent_id is None:
                break
            agent, seq, refused = _try_offer(room, decision.agent_id, now, record=(decision.skipped, trigger))
            if agent is not None:
                return agent, seq, decision
            chosen = next(c for c in candidates if c.id == decision.agent_id)
            found[chosen.id] = _as_found(chosen, *refused, room)
            candidates = [found.get(c.id, c) for c in candidates]
        if not found:
            break  # nothing raced: the snapshot was right, nobody is free
    return None, None, decision


def _record_statement(room, outcome, agent_id, skipped, trigger, now):
    return sql.insert_statement(RoutingDecision(
        room_id=room.pk, created_at=now, outcome=outcome, agent_id=agent_id, skill_id=room.skill_id, rule=room.routed_by,
        skipped=[{"agent": a, "username": u, "reason": str(r)} for a, u, r in skipped], trigger=trigger[:40]))


def _record(room, outcome, agent_id, skipped, trigger, now=None):
    sql.execute(*_record_statement(room, outcome, agent_id, skipped, trigger, now or timezone.now()))


def reoffer_after():
    return timedelta(seconds=settings.CXSMS_REOFFER_AFTER)


def _declines_expired(room, now):
    last = (RoutingDecision.objects.filter(room=room, outcome__in=RELEASE_OUTCOMES).order_by("-id")
            .values_list("created_at", flat=True).first())
    return last is None or now - last >= reoffer_after()


def _attach_names(room, skill_name, agent_username):
    """Partial Skill and User on a raw-read room, enough for its payload (selectors.room_payload)."""
    if room.skill_id:
        room.skill = Skill(id=room.skill_id, tenant_id=room.tenant_id, name=skill_name)
        room.skill._state.adding = False
    if room.agent_id and agent_username is not None:
        room.agent = User(id=room.agent_id, tenant_id=room.tenant_id, username=agent_username)
        room.agent._state.adding = False


def _locked_room(room_id, extra=(), joins=""):
    """The room, locked, with its skill's name and the `extra` (attribute, SQL expression) pairs
    asked for, set on it as attributes, in one statement; or None."""
    t = sql.tables()
    expressions = "".join(f", {expression}" for _name, expression in extra)
    found = sql.row(f"SELECT {sql.columns(Room, 'r')}, s.name{expressions} FROM {t['room']} r LEFT JOIN {t['skill']} s ON s.id = r.skill_id"
                    f"{joins} WHERE r.id = %s{sql.for_update('r')}", [room_id])
    if found is None:
        return None
    n = len(Room._meta.concrete_fields)
    room = sql.build(Room, found[:n])
    for (name, _expression), value in zip(extra, found[n + 1:]):
        setattr(room, name, value)
    _attach_names(room, found[n], getattr(room, "agent_username_", None))
    return room


def lock_room(room_id):
    """The room, locked, with its skill's and agent's names for its payload, in one statement (the
    ORM's select_related compiled three joins on every accept, send and end). Raises Room.DoesNotExist."""
    room = _locked_room(room_id, [("agent_username_", "u.username")], f" LEFT JOIN {sql.tables()['user']} u ON u.id = r.agent_id")
    if room is None:
        raise Room.DoesNotExist(f"no room {room_id}")
    return room


def _lock_room_to_route(room_id):
    """The room, locked, with its skill's name, its first message (for the offer's payload) and the
    outcome of its last decision (room.last_outcome_), in one statement. Returns (room, first
    message or None), or (None, None)."""
    t = sql.tables()
    fields = Message._meta.concrete_fields
    extra = [("last_outcome_", f"(SELECT d.outcome FROM {t['decision']} d WHERE d.room_id = r.id ORDER BY d.id DESC LIMIT 1)")]
    extra += [(f"fm_{f.attname}", f"m.{connection.ops.quote_name(f.column)}") for f in fields]
    room = _locked_room(room_id, extra, f" LEFT JOIN {t['message']} m ON m.id = (SELECT m1.id FROM {t['message']} m1 "
                                        f"WHERE m1.room_id = r.id ORDER BY m1.created_at, m1.id LIMIT 1)")
    if room is None:
        return None, None
    return room, sql.build(Message, [getattr(room, f"fm_{f.attname}") for f in fields])


def route_room(room_id, trigger="new", *, room=None, first_message=None):
    """Offer a queued room to the best eligible agent, or leave it queued. Returns the agent id or None.

    `room`: the caller created it in the current transaction (so holds it), with `first_message`;
    it has no decision yet. Otherwise the room is locked and read here."""
    with transaction.atomic():
        fresh = room is not None
        if room is None:
            room, first_message = _lock_room_to_route(room_id)
            if room is None or room.state != RoomState.QUEUED:
                return None
        now = timezone.now()
        agent, seq, decision = _offer_best(room, now, trigger)
        if agent is None and room.declined_by and _declines_expired(room, now):
            # Nobody else can take it and the declines are old: start a new round (module docstring).
            room.declined_by = []
            Room.objects.filter(pk=room.pk).update(declined_by=[])
            trigger = f"{trigger}; declines forgotten"
            agent, seq, decision = _offer_best(room, now, trigger)
        if agent is not None:  # its decision was recorded with the offer
            events.room_offered(room, first_message, agent_seq=seq)
            return agent.pk
        if fresh or room.last_outcome_ != "queued":
            _record(room, "queued", None, decision.skipped, trigger, now)
            events.room_queued(room)
        return None


def route_on_commit(room_id, trigger="new"):
    # robust: a failure here is logged and the queue sweep routes the room; the text is already stored.
    transaction.on_commit(lambda: route_room(room_id, trigger), robust=True)


QUEUE_PAGE = 50
MAX_DISPATCH_ROUNDS = 100


def queue_order(qs):
    """R13: a skill's queue is served highest priority first, then oldest."""
    return qs.order_by("-priority", "queued_at", "id")


def _queue_head_for(agent_id, tried):
    """The first queued room, in queue order, of the agent's skills that the agent has not declined."""
    t = sql.tables()
    for _page in range(20):
        skip = f" AND r.id NOT IN ({sql.placeholders(tried)})" if tried else ""
        rows = sql.rows(f"SELECT r.id, r.declined_by FROM {t['room']} r WHERE r.state = %s AND r.skill_id IN "
                        f"(SELECT a.skill_id FROM {t['agentskill']} a WHERE a.agent_id = %s){skip} "
                        f"ORDER BY r.priority DESC, r.queued_at, r.id LIMIT {QUEUE_PAGE}",  # queue_order's order (R13)
                        [RoomState.QUEUED, agent_id, *tried])
        for room_id, declined in rows:
            if agent_id not in (json.loads(declined) if isinstance(declined, str) else declined or []):
                return room_id
            tried.add(room_id)
        if len(rows) < QUEUE_PAGE:
            return None
    return None  # a thousand declined rooms ahead: the queue sweep gets to the rest


def dispatch_for_agents(*, agent_ids, trigger="capacity freed"):
    """Capacity freed for these agents (end, expiry, limit raised, became available, rejected):
    route the queued rooms of their skills, highest priority then oldest first (R13). Each room goes
    to the best eligible agent, which is usually, not necessarily, the one who freed up."""
    for agent_id in dict.fromkeys(agent_ids):
        tried = set()
        for _round in range(MAX_DISPATCH_ROUNDS):
            # The `routable` flag: an active, available agent below their session limit (agent_routable).
            found = sql.row(f"SELECT routable FROM {sql.tables()['user']} WHERE id = %s", [agent_id])
            if found is None or not found[0]:
                break
            room_id = _queue_head_for(agent_id, tried)
            if room_id is None:
                break
            tried.add(room_id)
            route_room(room_id, trigger)


def _skill_has_free_agent(skill_id):
    return User.objects.filter(routable=True, agent_skills__skill_id=skill_id).exists()


def dispatch_queued(max_rooms=50):
    """Safety net of the timer loop: route the queue heads of every skill that has an agent with room.
    A room nobody can take (say, declined by the only free agent) does not block the rooms behind it."""
    routed = 0
    refresh_routable()  # repair any drift of the flag before relying on it
    # A room stored by a process that died before its routing ran (the text is committed first):
    # route it now, so it gets its decision record and its place is known, whatever the capacity.
    stale = timezone.now() - timedelta(seconds=ORPHAN_AFTER)
    for room_id in (Room.objects.filter(state=RoomState.QUEUED, queued_at__lte=stale, decisions__isnull=True)
                    .values_list("id", flat=True)[:max_rooms]):
        if route_room(room_id, "recovered") is not None:
            routed += 1
    skill_ids = list(Room.objects.filter(state=RoomState.QUEUED, skill__isnull=False).values_list("skill_id", flat=True)
                     .order_by().distinct()[:200])
    for skill_id in skill_ids:
        for room_id in queue_order(Room.objects.filter(skill_id=skill_id, state=RoomState.QUEUED)).values_list("id", flat=True)[:max_rooms]:
            if not _skill_has_free_agent(skill_id):
                break
            if route_room(room_id, "queue sweep") is not None:
                routed += 1
    return routed


def offer_release(room, agent_id, reason):
    """Take an offer back from the agent (rejected or lapsed) and queue the room again, keeping its
    place in the queue. Room locked by the caller."""
    declined = list(room.declined_by or [])
    if agent_id not in declined:
        declined.append(agent_id)
    room.state, room.agent_id, room.offered_at, room.offer_expires_at, room.declined_by = RoomState.QUEUED, None, None, None, declined
    room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at", "declined_by"])
    recount(agent_id)
    _record(room, reason, agent_id, (), f"offer {reason}")
    events.room_offer_revoked(room, agent_id, reason)
    route_on_commit(room.pk, f"offer {reason}")
    if reason == "rejected":
        # The rejecting agent's slot is free again: other queued rooms may go to them (not this one).
        transaction.on_commit(lambda: dispatch_for_agents(agent_ids=[agent_id], trigger="offer rejected"), robust=True)


def lapse_offers(now=None):
    """Offers not accepted in time go to the next agent; the agent who let it lapse is set unavailable."""
    from . import services

    now = now or timezone.now()
    lapsed = 0
    for room_id in Room.objects.filter(state=RoomState.OFFERED, offer_expires_at__lte=now).values_list("id", flat=True)[:200]:
        with transaction.atomic():
            room = locked(Room.objects).filter(pk=room_id, state=RoomState.OFFERED, offer_expires_at__lte=now).first()
            if room is None:
                continue  # accepted meanwhile, or another process took it
            agent_id = room.agent_id
            offer_release(room, agent_id, "lapsed")
            services.agent_set_state(agent=User.objects.get(pk=agent_id), state=AgentState.UNAVAILABLE)
            lapsed += 1
    return lapsed
