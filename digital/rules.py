"""Digital Experience rules, each once: the effective concurrent-case limit, and which filter places a
new case in which queue (with the reasons, for the console's "try it")."""
from dataclasses import dataclass

from routing import patterns

from .models import split_list


def effective_case_limit(user_limit, tenant_limit):
    """An agent's concurrent-case limit: their own override if set, else the tenant's contact-handling setting."""
    return user_limit if user_limit is not None else tenant_limit


def under_limit(load, user_limit, tenant_limit):
    """Whether an agent holding `load` counting cases may take one more."""
    return load < effective_case_limit(user_limit, tenant_limit)


def candidate_order(agent_id, load, idle_since, preferred_agent_id):
    """Who among the agents with room gets a case first (sort key, smallest first): the agent the case
    prefers (reopened: who resolved it), then the fewest counting cases, then the one idle longest
    (`User.idle_since`: since they last got a case or became available, as in ACD routing), then the
    lowest id. Its SQL twin is `selectors.candidates` (compared on random data in tests/digital/test_twins.py)."""
    return (0 if agent_id == preferred_agent_id else 1, load, idle_since, agent_id)


@dataclass(frozen=True)
class Check:
    """One filter tried on a sample: whether it matched, and why (or why not) in plain words."""
    filter: object
    matched: bool
    reasons: tuple


def filter_check(f, *, poc_id, body, tags, local_time):
    """Every condition of filter `f` on a first message; a blank condition always holds."""
    reasons, ok = [], True
    if f.point_of_contact_id is not None:
        hit = f.point_of_contact_id == poc_id
        ok &= hit
        reasons.append(f"sent to {f.point_of_contact.number}" if hit else f"not sent to {f.point_of_contact.number}")
    if keywords := split_list(f.keywords):
        found = [k for k in keywords if patterns.keyword_found(k, body)]
        ok &= bool(found)
        reasons.append(f"has the keyword {found[0]}" if found else "has none of the keywords " + ", ".join(keywords))
    if f.pattern:
        hit = patterns.pattern_found(f.pattern, body)
        ok &= hit
        reasons.append("matches the regular expression" if hit else "does not match the regular expression")
    if wanted := split_list(f.tags):
        have = {t.lower() for t in tags}
        found = [t for t in wanted if t.lower() in have]
        ok &= bool(found)
        reasons.append(f"contact is tagged {found[0]}" if found else "contact has none of the tags " + ", ".join(wanted))
    if f.hours_start is not None and f.hours_end is not None:
        start, end = f.hours_start, f.hours_end
        inside = start <= local_time < end if start <= end else (local_time >= start or local_time < end)  # hours past midnight
        ok &= inside
        span = f"{start:%H:%M}–{end:%H:%M}"
        reasons.append(f"inside business hours {span}" if inside else f"outside business hours {span}")
    if not reasons:
        reasons.append("has no conditions: matches every text")
    return Check(f, ok, tuple(reasons))


def filters_explain(filters, *, poc_id, body, tags, local_time):
    """The filters in order, each checked, up to and including the first that matches (the rest are
    never tried). Returns (checks, the matching filter or None)."""
    checks = []
    for f in sorted(filters, key=lambda f: (f.position, f.pk or 0)):
        check = filter_check(f, poc_id=poc_id, body=body, tags=tags, local_time=local_time)
        checks.append(check)
        if check.matched:
            return checks, f
    return checks, None
