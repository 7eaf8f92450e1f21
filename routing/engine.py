"""The ACD routing engine (R4, R13).

`decide()` is a pure function over a snapshot of candidate agents: unit tests call it without a
server. Applying a decision happens in one transaction that locks the room, then the chosen
agent's row (that row only, not its team), and recounts the agent's rooms under that lock, so two
processes routing at once never push an agent over the limit nor give a room to two agents.

Lock order is always room, then agent. An attempt on an agent who turns out to be full is made in
a savepoint that is rolled back, which releases that agent's row lock at once: a routing
transaction never holds the locks of two agents, so two routers trying agents in a different
order cannot deadlock.

`User.held` is a cache of the rooms an agent holds (offered + active), refreshed under the agent's
lock at each change; it only preselects candidates, the recount decides.

Declines: an agent who rejected a room, or let its offer lapse, is skipped for that room. When
nobody else can take it and the last decline is older than `CXSMS_REOFFER_AFTER` seconds
(default 120), the declines are forgotten and the room may be offered to them again, so a contact
is never stranded because the only agents of a skill once said no.
"""
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import events
from .choices import CAPACITY_ROOM_STATES, AgentState, Role, RoomState, SkipReason
from .models import AgentSkill, Room, RoutingDecision, Team, User
from .models.people import SESSION_LIMIT_MIN

log = logging.getLogger("cxsms.engine")
TOP_CANDIDATES = 8  # eligible agents fetched per decision, best first
RECORD_AGENTS = 100  # other agents whose skip reason is recorded with a decision
ORPHAN_AFTER = 5  # seconds a queued room may go without any routing decision before the sweep routes it
RELEASE_OUTCOMES = ("rejected", "lapsed")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


@dataclass(frozen=True)
class Candidate:
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


def refresh_routable(*, agent_ids=None, team_id=None):
    """Recompute `User.routable` in SQL for some agents, a team's members, or (neither) the agents whose flag is wrong."""
    qs = User.objects.all()
    if agent_ids is not None:
        qs = qs.filter(pk__in=agent_ids)
    elif team_id is not None:
        qs = qs.filter(team_id=team_id)
    else:
        qs = qs.annotate(should=_routable_expr()).exclude(routable=F("should"))
        ids = list(qs.values_list("pk", flat=True))
        if not ids:
            return 0
        qs = User.objects.filter(pk__in=ids)
    return qs.update(routable=_routable_expr())


def snapshot(room, record=True):
    """Candidates for a room: the best few eligible agents (found in SQL, so the cost does not grow
    with the number of agents) plus, for the decision record, up to RECORD_AGENTS other agents of
    the tenant. Two queries whatever the size of the tenant."""
    declined = set(room.declined_by or [])
    out = {}
    if room.skill_id:
        top = (AgentSkill.objects.filter(skill_id=room.skill_id, agent__tenant_id=room.tenant_id, agent__routable=True)
               .exclude(agent_id__in=declined)
               .annotate(limit=_limit_expr("agent__"))
               .order_by("proficiency", "agent__idle_since", "agent_id")
               .values("proficiency", "limit", "agent_id", "agent__username", "agent__state", "agent__held", "agent__idle_since")
               [:TOP_CANDIDATES])
        for row in top:
            out[row["agent_id"]] = Candidate(id=row["agent_id"], username=row["agent__username"], state=row["agent__state"],
                                             proficiency=row["proficiency"], held=row["agent__held"], limit=row["limit"],
                                             idle_since=row["agent__idle_since"])
    if record:
        prof = AgentSkill.objects.filter(agent=OuterRef("pk"), skill_id=room.skill_id).values("proficiency")[:1]
        others = (User.objects.filter(tenant_id=room.tenant_id, role=Role.AGENT).exclude(pk__in=list(out))
                  .annotate(limit=_limit_expr(), proficiency=Subquery(prof))
                  .order_by("id")
                  .values("id", "username", "state", "is_active", "proficiency", "held", "limit", "idle_since")[:RECORD_AGENTS])
        for row in others:
            active = row.pop("is_active")
            if not active:
                row["state"] = AgentState.LOGGED_OUT  # a deactivated user cannot log in
            out[row["id"]] = Candidate(**row, declined=row["id"] in declined)
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


def _recount(agent_id):
    agent = locked(User.objects.select_related("team")).get(pk=agent_id)
    held = Room.objects.filter(agent_id=agent_id, state__in=CAPACITY_ROOM_STATES).count()
    stale = held != agent.held
    routable = agent_routable(agent, held)
    if stale or routable != agent.routable:
        User.objects.filter(pk=agent_id).update(held=held, routable=routable)
        agent.held, agent.routable = held, routable
    return agent, held, stale


def recount(agent_id):
    """Lock the agent's row, count the rooms holding a slot, store it. Returns (agent, held)."""
    agent, held, _stale = _recount(agent_id)
    return agent, held


class _Refused(Exception):
    def __init__(self, agent, held):
        super().__init__(agent.pk)
        self.agent, self.held = agent, held


def _refusal(room, agent, held):
    return not agent_routable(agent, held) or agent.pk in (room.declined_by or [])


def _try_offer(room, agent_id, now):
    """Offer the locked queued room to an agent if, under the agent's lock, they may still take it.
    Returns (agent, None) on success, (None, (agent, held)) as the lock found them on refusal."""
    try:
        with transaction.atomic():
            agent, held, stale = _recount(agent_id)
            if _refusal(room, agent, held):
                if not stale:
                    raise _Refused(agent, held)  # roll the savepoint back: releases the agent's row lock
                return None, (agent, held)  # keep the corrected cache (rare: the cache was wrong)
            room.state, room.agent = RoomState.OFFERED, agent
            room.offered_at, room.offer_expires_at = now, now + timedelta(seconds=settings.CXSMS_OFFER_TIMEOUT)
            room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at"])
            routable = agent_routable(agent, held + 1)
            User.objects.filter(pk=agent_id).update(held=held + 1, idle_since=now, routable=routable)
            agent.held, agent.idle_since, agent.routable = held + 1, now, routable
            return agent, None
    except _Refused as refused:
        return None, (refused.agent, refused.held)


def _as_found(candidate, agent, held, room):
    """The candidate as the locked recount found it, so the decision record says the true reason."""
    return replace(candidate, state=agent.state if agent.is_active else AgentState.LOGGED_OUT, held=held,
                   limit=agent.effective_session_limit, declined=agent.pk in (room.declined_by or []))


def _offer_best(room, now):
    """Decide and apply: try the best candidate; one who filled up meanwhile is replaced by what the
    lock found and the decision is taken again. If every candidate of the snapshot raced, look once
    more. Returns (agent or None, the last Decision)."""
    found = {}  # agent id -> Candidate as the locked recount found it
    decision = None
    for _look in range(2):
        candidates = [found.get(c.id, c) for c in snapshot(room)]
        while True:
            decision = decide(candidates)
            if decision.agent_id is None:
                break
            agent, refused = _try_offer(room, decision.agent_id, now)
            if agent is not None:
                return agent, decision
            chosen = next(c for c in candidates if c.id == decision.agent_id)
            found[chosen.id] = _as_found(chosen, *refused, room)
            candidates = [found.get(c.id, c) for c in candidates]
        if not found:
            break  # nothing raced: the snapshot was right, nobody is free
    return None, decision


def _record(room, outcome, agent_id, skipped, trigger):
    RoutingDecision.objects.create(room=room, outcome=outcome, agent_id=agent_id, skill_id=room.skill_id, rule=room.routed_by,
                                   skipped=[{"agent": a, "username": u, "reason": str(r)} for a, u, r in skipped], trigger=trigger[:40])


def reoffer_after():
    return timedelta(seconds=settings.CXSMS_REOFFER_AFTER)


def _declines_expired(room, now):
    last = (RoutingDecision.objects.filter(room=room, outcome__in=RELEASE_OUTCOMES).order_by("-id")
            .values_list("created_at", flat=True).first())
    return last is None or now - last >= reoffer_after()


def route_room(room_id, trigger="new"):
    """Offer a queued room to the best eligible agent, or leave it queued. Returns the agent id or None."""
    with transaction.atomic():
        room = locked(Room.objects.select_related("skill")).filter(pk=room_id).first()
        if room is None or room.state != RoomState.QUEUED:
            return None
        now = timezone.now()
        agent, decision = _offer_best(room, now)
        if agent is None and room.declined_by and _declines_expired(room, now):
            # Nobody else can take it and the declines are old: start a new round (module docstring).
            room.declined_by = []
            Room.objects.filter(pk=room.pk).update(declined_by=[])
            trigger = f"{trigger}; declines forgotten"
            agent, decision = _offer_best(room, now)
        if agent is not None:
            _record(room, "offered", agent.pk, decision.skipped, trigger)
            events.room_offered(room)
            return agent.pk
        last = room.decisions.order_by("-id").values_list("outcome", flat=True).first()
        if last != "queued":
            _record(room, "queued", None, decision.skipped, trigger)
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
    skills = AgentSkill.objects.filter(agent_id=agent_id).values("skill_id")
    qs = queue_order(Room.objects.filter(skill_id__in=Subquery(skills), state=RoomState.QUEUED).exclude(pk__in=list(tried)))
    for _page in range(20):
        rows = list(qs.values_list("id", "declined_by")[:QUEUE_PAGE])
        for room_id, declined in rows:
            if agent_id not in (declined or []):
                return room_id
            tried.add(room_id)
        if len(rows) < QUEUE_PAGE:
            return None
        qs = qs.exclude(pk__in=[r for r, _ in rows])
    return None  # a thousand declined rooms ahead: the queue sweep gets to the rest


def dispatch_for_agents(*, agent_ids, trigger="capacity freed"):
    """Capacity freed for these agents (end, expiry, limit raised, became available, rejected):
    route the queued rooms of their skills, highest priority then oldest first (R13). Each room goes
    to the best eligible agent, which is usually, not necessarily, the one who freed up."""
    for agent_id in dict.fromkeys(agent_ids):
        tried = set()
        for _round in range(MAX_DISPATCH_ROUNDS):
            agent = User.objects.select_related("team").filter(pk=agent_id, role=Role.AGENT, is_active=True).first()
            if agent is None or agent.state != AgentState.AVAILABLE or agent.held >= agent.effective_session_limit:
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
