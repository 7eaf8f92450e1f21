"""Reads of the Digital Experience, scoped to the caller's tenant."""
import zoneinfo
from functools import cache

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from routing.choices import AgentState, Role
from routing import selectors as routing_selectors
from routing import sql
from routing.models import Contact, Message, Tenant, User
from routing.selectors import message_payload

from . import rules
from .choices import COUNTING_STATES, LIVE_STATES, CaseState
from .models import Case, CaseEntry, Filter, Queue


def _iso(dt):
    return dt.isoformat() if dt else None


def _tenant_scope(qs, user):
    if user.is_superuser:
        return qs
    if user.tenant_id is None:
        return qs.none()
    return qs.filter(tenant_id=user.tenant_id)


def queues_for(user):
    return _tenant_scope(Queue.objects.all(), user).prefetch_related("agents")


def filters_for(user):
    return _tenant_scope(Filter.objects.select_related("queue", "point_of_contact"), user)


def contacts_for(user):
    """The contact cards: routing's, shared with the ACD workspace."""
    return routing_selectors.contacts_for(user)


def cases_for(user):
    names = Contact.objects.filter(tenant_id=OuterRef("tenant_id"), number=OuterRef("contact_number")).values("name")[:1]
    return _tenant_scope(Case.objects.select_related("queue", "agent", "point_of_contact").annotate(contact_name=Subquery(names)), user)


def case_load(agent):
    """Cases that count against the agent's limit now (R15), counted: the truth their kept
    `User.case_load` follows. Hand-written (routing.sql): read for every case given, under the agent's
    lock, through the tenant's (tenant, state, agent) index: the agent's live cases alone, never their
    closed history."""
    return sql.row(f"SELECT COUNT(*) FROM {sql.table(Case)} WHERE tenant_id = %s AND state IN ({sql.placeholders(COUNTING_STATES)}) "
                   f"AND agent_id = %s", [agent.tenant_id, *COUNTING_STATES, agent.pk])[0]


def live_cases_without_room(tenant_id):
    """Cases an agent started that the contact has not answered yet (no room): a forced disconnect ends them too."""
    return Case.objects.filter(tenant_id=tenant_id, state__in=LIVE_STATES, room__isnull=True).count()


def agent_limit(agent):
    return rules.effective_case_limit(agent.case_limit, agent.tenant.case_limit)


def case_messages(case):
    """The case's thread: its room's texts (a text the agent sent before the contact answered joins the
    room the answer opened); a case the agent started that has no answer yet: its texts since it opened."""
    if case.room_id:
        qs = Message.objects.filter(room_id=case.room_id)
    else:
        qs = Message.objects.filter(tenant_id=case.tenant_id, point_of_contact_id=case.point_of_contact_id,
                                    contact_number=case.contact_number, room__isnull=True, created_at__gte=case.opened_at)
    return qs.select_related("author").order_by("created_at", "id")


@cache
def _case_of_room_sql(vendor):
    return f"SELECT {sql.columns(Case, 'c')} FROM {sql.table(Case)} c WHERE c.room_id = %s"


def case_for_message(message):
    """The case whose thread holds `message` (see case_messages), or None (an ACD room's, a campaign's text).
    A room's case is read by hand (routing.sql): every delivery report of a case's text asks, and the
    ORM's compile cost five times the read (docs/benchmarks.md)."""
    if message.room_id:
        found = sql.row(_case_of_room_sql(connection.vendor), [message.room_id])
        return sql.build(Case, found) if found is not None else None
    if not message.author_id:
        return None  # a room-less text no agent wrote (a campaign's): no case shows it
    return (Case.objects.filter(tenant_id=message.tenant_id, point_of_contact_id=message.point_of_contact_id,
                                contact_number=message.contact_number, room__isnull=True, opened_at__lte=message.created_at)
            .order_by("-opened_at", "-id").first())


def case_payload(case, detail=False):
    data = {
        "id": case.id, "state": case.state, "queue": case.queue_id, "queue_name": case.queue.name if case.queue_id else None,
        "agent": case.agent_id, "agent_username": case.agent.username if case.agent_id else None,
        "contact_number": case.contact_number, "poc_number": case.poc_number, "point_of_contact": case.point_of_contact_id,
        "opened_at": _iso(case.opened_at), "assigned_at": _iso(case.assigned_at), "offer_expires_at": _iso(case.offer_expires_at),
        "accepted_at": _iso(case.accepted_at), "expires_at": _iso(case.expires_at), "closed_at": _iso(case.closed_at),
        "last_message_at": _iso(case.last_message_at), "unread": case.unread, "preview": case.first_body[:120],
    }
    if detail:
        data["contact"] = routing_selectors.contact_payload(routing_selectors.contact_card(case.tenant_id, case.contact_number),
                                                            case.contact_number)
        data["messages"] = [message_payload(m) for m in case_messages(case)]
        data["entries"] = [entry_payload(e) for e in case_entries(case)]
    return data


def case_entries(case):
    """The case's history, oldest first, with the names its lines show."""
    return case.entries.select_related("actor", "agent", "queue")


def entry_payload(e):
    return {"id": e.id, "kind": e.kind, "at": _iso(e.at), "actor": e.actor.username if e.actor_id else None,
            "from_state": e.from_state or None, "to_state": e.to_state or None, "agent": e.agent.username if e.agent_id else None,
            "queue": e.queue.name if e.queue_id else None, "body": e.body}


def previous_cases(case, limit=10):
    """R9: the last ten other cases with the same contact number or point of contact number, newest first."""
    return list(Case.objects.filter(tenant_id=case.tenant_id).filter(Q(contact_number=case.contact_number) | Q(poc_number=case.poc_number))
                .exclude(pk=case.pk).select_related("queue", "agent").order_by("-opened_at", "-id")[:limit])


def agent_snapshot(agent):
    """The agent's live cases, for the snapshot of /ws/agent/."""
    cases = Case.objects.filter(agent=agent).exclude(state=CaseState.CLOSED).select_related("queue", "agent")
    return {"cases": [case_payload(c) for c in cases], "case_load": case_load(agent),
            "case_limit": agent_limit(User.objects.select_related("tenant").get(pk=agent.pk))}


def state_counts(qs):
    return dict(qs.values_list("state").annotate(n=Count("id")).order_by())


CANDIDATES = 10  # the best few: each is checked again under its lock, and a later dispatch tries again


def candidates(case, excluded=(), first_in_line=False):
    """Ids of the agents who may get `case` now, best first (the best CANDIDATES of them): on its queue,
    active and available, under their limit (the SQL twin of rules.effective_case_limit), in the order
    of rules.candidate_order. The limit is checked again under each agent's lock (services._give).
    `first_in_line` (a new case, not stored yet): nobody when another case already waits on the queue,
    which is served first (queue order) by the dispatch job.

    Hand-written (routing.sql), on the measured path of every text to a Digital tenant
    (docs/benchmarks.md): an agent's load is their kept `User.case_load` (the services recount it
    under the agent's lock at every change) and "idle longest" their own `idle_since`, so no case is
    read, only the queue's agents."""
    if case.queue_id is None:
        return []
    excluded = [pk for pk in excluded if pk is not None]
    waiting = [case.tenant_id, case.queue_id, CaseState.NEW] if first_in_line else []
    return [pk for (pk,) in sql.rows(_candidates_sql(len(excluded), first_in_line, connection.vendor),
                                     [case.queue_id, Role.AGENT, AgentState.AVAILABLE, *excluded, *waiting,
                                      case.preferred_agent_id or 0, CANDIDATES])]


@cache
def _candidates_sql(excluded, first_in_line, vendor):
    through = Queue.agents.through
    not_excluded = f" AND u.id NOT IN ({', '.join(['%s'] * excluded)})" if excluded else ""
    # Through the index of waiting cases (tenant, waiting_since; state new, no agent): never the queue's history.
    nobody_waits = (f" AND NOT EXISTS (SELECT 1 FROM {sql.table(Case)} w WHERE w.tenant_id = %s AND w.queue_id = %s "
                    f"AND w.agent_id IS NULL AND w.state = %s)" if first_in_line else "")
    return (f"SELECT u.id FROM {sql.table(User)} u JOIN {sql.table(through)} qa ON qa.user_id = u.id "
            f"JOIN {sql.table(Tenant)} t ON t.id = u.tenant_id "
            f"WHERE qa.queue_id = %s AND u.is_active AND u.role = %s AND u.state = %s{not_excluded}{nobody_waits} "
            f"AND u.case_load < COALESCE(u.case_limit, t.case_limit) "
            f"ORDER BY CASE WHEN u.id = %s THEN 0 ELSE 1 END, u.case_load, u.idle_since, u.id LIMIT %s")


def excluded_agents(case):
    """Agents who rejected the case, let its offer lapse, or handed it back to a queue since it last started waiting."""
    entries = CaseEntry.objects.filter(case=case, at__gte=case.waiting_since)
    passed = set(entries.filter(kind__in=("rejected", "lapsed")).values_list("agent_id", flat=True))
    handed_back = set(entries.filter(kind="transferred", queue__isnull=False).values_list("agent_id", flat=True))
    return (passed | handed_back) - {None}


def supervisor_overview(tenant_id):
    """Queues with waiting cases and the oldest's age, agents with their load against their limit, cases by state."""
    now = timezone.now()
    queues = []
    for q in Queue.objects.filter(tenant_id=tenant_id).prefetch_related("agents"):
        waiting = Case.objects.filter(queue=q, agent__isnull=True, state=CaseState.NEW)
        oldest = waiting.order_by("waiting_since").values_list("waiting_since", flat=True).first()
        queues.append({"id": q.id, "name": q.name, "priority": q.priority, "is_fallback": q.is_fallback, "waiting": waiting.count(),
                       "oldest_seconds": int((now - oldest).total_seconds()) if oldest else None,
                       "agents": [a.username for a in q.agents.all()]})
    agents = []
    for a in (User.objects.filter(tenant_id=tenant_id, role=Role.AGENT, is_active=True).select_related("tenant")
              .annotate(load=Count("digital_cases", filter=Q(digital_cases__state__in=COUNTING_STATES)))):
        agents.append({"id": a.id, "username": a.username, "state": a.state, "load": a.load,
                       "limit": rules.effective_case_limit(a.case_limit, a.tenant.case_limit)})
    return {"queues": queues, "agents": agents, "states": state_counts(Case.objects.filter(tenant_id=tenant_id))}


def filters_try(tenant, *, body, poc_id=None, contact_number="", at=None):
    """The console's "try it": which filter would place a case with this first message, and why.
    Returns {"checks": [...], "queue": name or None, "fallback": bool}."""
    at = at or timezone.now()
    contact = Contact.objects.filter(tenant_id=tenant.pk, number=contact_number).first() if contact_number else None
    filters = list(Filter.objects.filter(tenant_id=tenant.pk).select_related("queue", "point_of_contact"))
    local = at.astimezone(zoneinfo.ZoneInfo(tenant.time_zone))
    tags = contact.tag_list if contact else []
    checks, found = rules.filters_explain(filters, poc_id=poc_id, body=body, tags=tags, local_time=local.time())
    fallback = Queue.objects.filter(tenant_id=tenant.pk, is_fallback=True).first()
    queue = found.queue if found else fallback
    return {"checks": [{"filter": c.filter.pk, "name": str(c.filter), "queue": c.filter.queue.name, "matched": c.matched,
                        "reasons": list(c.reasons)} for c in checks],
            "untried": len(filters) - len(checks), "queue": queue.name if queue else None, "fallback": found is None,
            "local_time": local.strftime("%a %H:%M"), "time_zone": tenant.time_zone}
