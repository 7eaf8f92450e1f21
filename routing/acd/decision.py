"""Who gets a room (R4, R13): a pure function over a snapshot of candidate agents, unit-tested
without a server. Applying it is routing.acd.offers' business."""
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from typing import NamedTuple

from ..choices import AgentState, SkipReason

_LONG_AGO = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
# The idle time of an agent read only for the decision record: an eligible one there is not among
# the top candidates, so ranks after every one of them at the same proficiency.
UNRANKED = datetime.max.replace(tzinfo=dt_timezone.utc)


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
