"""Routing scripts (R12): a point of contact's ordered rules pick a skill and a priority.

Rules are tried in order (position, then id) on the first message of a new room; the first rule
that matches picks the skill and the priority. No rule matches: the point of contact's default
skill at the default priority. A point of contact that has business-hours rules is "after hours"
when the moment is inside none of them; the text hub then sends the after-hours reply.

- keyword: the keyword as a whole word (or phrase), any case: `#ADVENTUREME` matches
  "hi #adventureme!" but not "#ADVENTUREMEs".
- regex: a regular expression (RE2 syntax: routing/patterns.py) searched in the message
  (case-sensitive unless `(?i)`).
- hours: days (0 Monday … 6 Sunday) and a start and end time in the rule's time zone (empty: the
  tenant's). An end before the start runs across midnight and belongs to the day it starts on
  (Friday 22:00–02:00 covers Saturday 01:00). Start equal to end: the whole day.
- fallback: always matches.

A broken rule (a regular expression or time zone that no longer compiles) never stops a text from
being stored and routed: it simply does not match, and is logged.
"""
import logging
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from .. import patterns, sql
from ..choices import RuleKind
from ..models import RoutingRule, Skill

log = logging.getLogger("cxsms.scripts")
DEFAULT_PRIORITY = 5
DEFAULT_RULE = "default skill of the point of contact"


@dataclass(frozen=True)
class Outcome:
    skill_id: int | None
    priority: int
    rule: str  # which rule matched, in words
    after_hours: bool  # the POC has business hours and this moment is outside all of them
    rule_id: int | None = None  # None: no rule matched, the default skill
    skill: object = None  # the Skill itself when it was loaded anyway (spares a query for payloads)


def _zone(name, default_tz):
    for candidate in (name, default_tz, "UTC"):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                log.warning("unknown time zone %r in a routing rule", candidate)
    return zoneinfo.ZoneInfo("UTC")


def _inside_hours(rule, at, default_tz):
    if rule.start_time is None or rule.end_time is None:
        return False
    local = at.astimezone(_zone(rule.time_zone, default_tz))
    t, day, days = local.time().replace(tzinfo=None), local.weekday(), rule.days or ""
    start, end = rule.start_time, rule.end_time
    if start < end:
        return str(day) in days and start <= t < end
    if start == end:
        return str(day) in days  # the whole day
    if t >= start:
        return str(day) in days  # the evening part of a shift across midnight
    if t < end:
        return str((day - 1) % 7) in days  # the morning part: the shift began the day before
    return False


def rule_matches(rule, body, at, default_tz):
    body = body or ""
    if rule.kind == RuleKind.KEYWORD:
        return patterns.keyword_found(rule.pattern, body)
    if rule.kind == RuleKind.REGEX:
        return bool(rule.pattern) and patterns.pattern_found(rule.pattern, body)
    if rule.kind == RuleKind.HOURS:
        return _inside_hours(rule, at, default_tz)
    return rule.kind == RuleKind.FALLBACK


def rule_label(rule):
    kind = RuleKind(rule.kind).label
    detail = f" “{rule.pattern}”" if rule.pattern else ""
    if rule.kind == RuleKind.HOURS and rule.start_time and rule.end_time:
        detail = f" {rule.start_time:%H:%M}–{rule.end_time:%H:%M} {rule.days_label()}"
    return f"#{rule.position} {kind}{detail}"


def _rules(poc, rules):
    return rules_of(poc) if rules is None else rules


def rules_of(poc):
    """The POC's rules in order, each with its skill: read for every new text, so one hand-written
    statement rather than an ORM query (routing/sql.py)."""
    found = []
    for values in sql.rows(f"SELECT {sql.columns(RoutingRule, 'r')}, {sql.columns(Skill, 's')} FROM {sql.table(RoutingRule)} r "
                           f"JOIN {sql.table(Skill)} s ON s.id = r.skill_id WHERE r.point_of_contact_id = %s ORDER BY r.position, r.id",
                           [poc.pk]):
        rule, rule.skill = sql.build_joined((RoutingRule, Skill), values)
        found.append(rule)
    return found


def is_after_hours(poc, at, rules=None):
    rules = _rules(poc, rules)
    hours = [r for r in rules if r.kind == RuleKind.HOURS]
    return bool(hours) and not any(_inside_hours(r, at, poc.tenant.time_zone) for r in hours)


def evaluate(poc, body, at=None, rules=None):
    """The first matching rule wins; none: the POC's default skill at the default priority."""
    at = at or timezone.now()
    rules = _rules(poc, rules)
    default_tz = poc.tenant.time_zone
    after_hours = is_after_hours(poc, at, rules)
    for rule in rules:
        if rule_matches(rule, body, at, default_tz):
            return Outcome(rule.skill_id, rule.priority, rule_label(rule), after_hours, rule.pk, _loaded_skill(rule))
    return Outcome(poc.skill_id, DEFAULT_PRIORITY, DEFAULT_RULE, after_hours, None, _loaded_skill(poc))


def _loaded_skill(obj):
    """The rule's or POC's skill if it was loaded with it (select_related), without a query."""
    return obj.skill if obj.skill_id and type(obj).skill.is_cached(obj) else None


def explain(poc, body, at=None):
    """Every rule in order with whether it matches (for the console's "try it" box), and the outcome."""
    at = at or timezone.now()
    rules = _rules(poc, None)
    trace = [(rule, rule_matches(rule, body, at, poc.tenant.time_zone)) for rule in rules]
    return trace, evaluate(poc, body, at, rules)
