"""The ACD routing engine (R4, R13).

`decide()` is a pure function over a snapshot of candidate agents: unit tests call it without a
server. Applying a decision happens in one transaction that locks the room, then the chosen
agent's row, and recounts the agent's rooms under that lock, so two processes routing at once
never push an agent over the limit nor give a room to two agents. Lock order is always room
then agent. `User.held` is a cache of the count, refreshed under the agent's lock at each change;
it only preselects candidates, the recount decides.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import events
from .choices import CAPACITY_ROOM_STATES, AgentState, Role, RoomState, SkipReason
from .models import AgentSkill, Room, RoutingDecision, User

log = logging.getLogger("cxsms.engine")
TOP_CANDIDATES = 8  # eligible agents fetched per decision, best first
RECORD_AGENTS = 100  # other agents whose skip reason is recorded with a decision


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


def decide(candidates):
    """The best eligible agent: best proficiency (1 is best), then idle longest, then lowest id."""
    eligible, skipped = [], []
    for c in candidates:
        reason = skip_reason(c)
        if reason:
            skipped.append((c.id, c.username, reason))
        else:
            eligible.append(c)
    if not eligible:
        return Decision(None, tuple(skipped))
    best = min(eligible, key=lambda c: (c.proficiency, c.idle_since, c.id))
    skipped += [(c.id, c.username, SkipReason.LOWER_RANK) for c in eligible if c is not best]
    return Decision(best.id, tuple(skipped))


# --- snapshot -------------------------------------------------------------------------------

def _limit_expr():
    return Coalesce(F("session_limit"), F("team__session_limit"), Value(1))


def snapshot(room, record=True):
    """Candidates for a room: the best few eligible agents (found in SQL) plus, for the decision
    record, up to RECORD_AGENTS other agents of the tenant. A constant number of queries."""
    declined = set(room.declined_by or [])
    out = {}
    if room.skill_id:
        top = (AgentSkill.objects.filter(skill_id=room.skill_id, agent__tenant_id=room.tenant_id, agent__role=Role.AGENT,
                                         agent__state=AgentState.AVAILABLE)
               .exclude(agent_id__in=declined)
               .annotate(limit=Coalesce(F("agent__session_limit"), F("agent__team__session_limit"), Value(1)))
               .filter(agent__held__lt=F("limit"))
               .order_by("proficiency", "agent__idle_since", "agent_id")
               .values("proficiency", "limit", "agent_id", "agent__username", "agent__state", "agent__held", "agent__idle_since")[:TOP_CANDIDATES])
        for row in top:
            out[row["agent_id"]] = Candidate(id=row["agent_id"], username=row["agent__username"], state=row["agent__state"],
                                             proficiency=row["proficiency"], held=row["agent__held"], limit=row["limit"],
                                             idle_since=row["agent__idle_since"])
    if record:
        prof = AgentSkill.objects.filter(agent=OuterRef("pk"), skill_id=room.skill_id).values("proficiency")[:1]
        others = (User.objects.filter(tenant_id=room.tenant_id, role=Role.AGENT).exclude(pk__in=list(out))
                  .annotate(limit=_limit_expr(), proficiency=Subquery(prof))
                  .order_by("id").values("id", "username", "state", "proficiency", "held", "limit", "idle_since")[:RECORD_AGENTS])
        for row in others:
            out[row["id"]] = Candidate(**row, declined=row["id"] in declined)
    for agent_id in declined & set(out):
        out[agent_id] = Candidate(**{**out[agent_id].__dict__, "declined": True})
    return list(out.values())


# --- applying decisions ---------------------------------------------------------------------

def _lock(qs):
    """select_for_update where the database has row locks; SQLite serializes writers anyway."""
    return qs.select_for_update() if connection.features.has_select_for_update else qs


def recount(agent_id):
    """Lock the agent's row, count the rooms holding a slot, store it. Returns (agent, held)."""
    agent = _lock(User.objects.select_related("team")).get(pk=agent_id)
    held = Room.objects.filter(agent_id=agent_id, state__in=CAPACITY_ROOM_STATES).count()
    if held != agent.held:
        User.objects.filter(pk=agent_id).update(held=held)
        agent.held = held
    return agent, held


def _try_offer(room, agent_id, now):
    """Offer a locked queued room to an agent if, under the agent's lock, they still have room."""
    agent, held = recount(agent_id)
    if agent.state != AgentState.AVAILABLE or held >= agent.effective_session_limit or agent_id in (room.declined_by or []):
        return False
    room.state, room.agent_id = RoomState.OFFERED, agent_id
    room.offered_at, room.offer_expires_at = now, now + timedelta(seconds=settings.CXSMS_OFFER_TIMEOUT)
    room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at"])
    User.objects.filter(pk=agent_id).update(held=held + 1, idle_since=now)
    return True


def _record(room, outcome, agent_id, skipped, trigger):
    RoutingDecision.objects.create(room=room, outcome=outcome, agent_id=agent_id, skill_id=room.skill_id, rule=room.routed_by,
                                   skipped=[{"agent": a, "username": u, "reason": str(r)} for a, u, r in skipped], trigger=trigger)


def route_room(room_id, trigger="new"):
    """Offer a queued room to the best eligible agent, or leave it queued. Returns the agent id or None."""
    with transaction.atomic():
        room = _lock(Room.objects.select_related("skill")).filter(pk=room_id).first()
        if room is None or room.state != RoomState.QUEUED:
            return None
        now = timezone.now()
        tried = set()
        for _attempt in range(3):
            candidates = [c for c in snapshot(room) if c.id not in tried]
            decision = decide(candidates)
            if decision.agent_id is None:
                break
            if _try_offer(room, decision.agent_id, now):
                _record(room, "offered", decision.agent_id, decision.skipped, trigger)
                room.refresh_from_db()
                events.room_offered(room)
                return decision.agent_id
            tried.add(decision.agent_id)  # raced: the agent filled up meanwhile; the recount fixed the cache
        last = room.decisions.order_by("-id").values_list("outcome", flat=True).first()
        if last != "queued":
            _record(room, "queued", None, decide(candidates).skipped, trigger)
            events.room_queued(room)
        return None


def route_on_commit(room_id, trigger="new"):
    # robust: a failure here is logged and the queue sweep routes the room; the text is already stored.
    transaction.on_commit(lambda: route_room(room_id, trigger), robust=True)


def dispatch_for_agents(*, agent_ids, trigger="capacity freed"):
    """Capacity freed for these agents (end, expiry, limit raised, became available): offer them
    the queued rooms of their skills, highest priority then oldest first (R13)."""
    for agent_id in agent_ids:
        tried = set()
        while True:
            agent = User.objects.select_related("team").filter(pk=agent_id, role=Role.AGENT).first()
            if agent is None or agent.state != AgentState.AVAILABLE or agent.held >= agent.effective_session_limit:
                break
            skill_ids = list(AgentSkill.objects.filter(agent_id=agent_id).values_list("skill_id", flat=True))
            queued = (Room.objects.filter(skill_id__in=skill_ids, state=RoomState.QUEUED).exclude(pk__in=tried)
                      .order_by("-priority", "queued_at", "id").values_list("id", "declined_by")[:10])
            room_ids = [rid for rid, declined in queued if agent_id not in (declined or [])]
            if not room_ids:
                break
            tried.update(room_ids[:1])
            route_room(room_ids[0], trigger)


def dispatch_queued(max_rooms=50):
    """Safety net of the timer loop: route the head of every queue that has an eligible agent."""
    routed = 0
    skill_ids = list(Room.objects.filter(state=RoomState.QUEUED).values_list("skill_id", flat=True).distinct()[:200])
    for skill_id in skill_ids:
        has_agent = (User.objects.filter(role=Role.AGENT, state=AgentState.AVAILABLE, agent_skills__skill_id=skill_id)
                     .annotate(limit=_limit_expr()).filter(held__lt=F("limit")).exists())
        if not has_agent:
            continue
        for room_id in (Room.objects.filter(skill_id=skill_id, state=RoomState.QUEUED)
                        .order_by("-priority", "queued_at", "id").values_list("id", flat=True)[:max_rooms]):
            if route_room(room_id, "queue sweep") is None:
                break
            routed += 1
    return routed


def offer_release(room, agent_id, reason):
    """Take an offer back from the agent (rejected or lapsed) and queue the room again. Room locked by the caller."""
    declined = list(room.declined_by or [])
    if agent_id not in declined:
        declined.append(agent_id)
    room.state, room.agent_id, room.offered_at, room.offer_expires_at, room.declined_by = RoomState.QUEUED, None, None, None, declined
    room.save(update_fields=["state", "agent", "offered_at", "offer_expires_at", "declined_by"])
    recount(agent_id)
    events.room_offer_revoked(room, agent_id, reason)
    route_on_commit(room.pk, f"offer {reason}")


def lapse_offers(now=None):
    """Offers not accepted in time go to the next agent; the agent who let it lapse is set unavailable."""
    from . import services

    now = now or timezone.now()
    lapsed = 0
    for room_id in Room.objects.filter(state=RoomState.OFFERED, offer_expires_at__lte=now).values_list("id", flat=True)[:200]:
        with transaction.atomic():
            room = _lock(Room.objects).filter(pk=room_id, state=RoomState.OFFERED, offer_expires_at__lte=now).first()
            if room is None:
                continue  # accepted meanwhile, or another process took it
            agent_id = room.agent_id
            offer_release(room, agent_id, "lapsed")
            agent = User.objects.get(pk=agent_id)
            services.agent_set_state(agent=agent, state=AgentState.UNAVAILABLE)
            lapsed += 1
    return lapsed
