"""Routing scripts (R12): a point of contact's ordered rules pick a skill and a priority."""
import re
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from .choices import RuleKind

DEFAULT_PRIORITY = 5


@dataclass(frozen=True)
class Outcome:
    skill_id: int | None
    priority: int
    rule: str  # which rule matched, in words
    after_hours: bool  # the POC has business hours and this moment is outside all of them


def _inside_hours(rule, at, default_tz):
    tz = zoneinfo.ZoneInfo(rule.time_zone or default_tz)
    local = at.astimezone(tz)
    if str(local.weekday()) not in (rule.days or ""):
        return False
    t = local.time()
    if rule.start_time <= rule.end_time:
        return rule.start_time <= t < rule.end_time
    return t >= rule.start_time or t < rule.end_time  # hours across midnight


def _keyword_matches(pattern, body):
    return re.search(r"(?<!\w)" + re.escape(pattern.strip()) + r"(?!\w)", body, re.IGNORECASE) is not None


def rule_label(rule):
    kind = RuleKind(rule.kind).label
    detail = f" “{rule.pattern}”" if rule.pattern else ""
    if rule.kind == RuleKind.HOURS:
        detail = f" {rule.start_time:%H:%M}–{rule.end_time:%H:%M} days {rule.days}"
    return f"#{rule.position} {kind}{detail}"


def evaluate(poc, body, at=None, rules=None):
    """The first matching rule wins; none: the POC's default skill at the default priority."""
    at = at or timezone.now()
    rules = list(poc.rules.select_related("skill").order_by("position", "id")) if rules is None else rules
    default_tz = poc.tenant.time_zone
    hours = [r for r in rules if r.kind == RuleKind.HOURS]
    after_hours = bool(hours) and not any(_inside_hours(r, at, default_tz) for r in hours)
    for rule in rules:
        if rule.kind == RuleKind.KEYWORD and _keyword_matches(rule.pattern, body):
            hit = True
        elif rule.kind == RuleKind.REGEX:
            hit = re.search(rule.pattern, body) is not None
        elif rule.kind == RuleKind.HOURS:
            hit = _inside_hours(rule, at, default_tz)
        elif rule.kind == RuleKind.FALLBACK:
            hit = True
        else:
            hit = False
        if hit:
            return Outcome(rule.skill_id, rule.priority, rule_label(rule), after_hours)
    return Outcome(poc.skill_id, DEFAULT_PRIORITY, "default skill of the point of contact", after_hours)
