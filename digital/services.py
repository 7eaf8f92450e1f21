"""Writes of the Digital Experience: keyword-only `<noun>_<verb>` functions in one transaction each;
events go out after commit (digital.events), background work through routing.jobs.

Locks, always in this order: the case's row, then the agent's row (two agents' rows: in the order of
their ids). An agent's count of counting cases (R15) is read again under the agent's row lock before a
case is given to them, so two processes assigning at once never put an agent over their limit: the
second waits for the first's commit and counts its case. The count is also kept on the agent's row
(`User.case_load`, which selectors.candidates ranks by): set with every case given, recounted under the
lock whenever a case leaves the count (`_recount`), so it is exact at every commit."""
import zoneinfo
from contextlib import contextmanager
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from routing import events as routing_events
from routing import jobs
from routing import rules as routing_rules
from routing import services as routing_services
from routing import sql
from routing.choices import CodeType, Role
from routing.hub import ending, outbound
from routing.models import Contact, PointOfContact, Room, Tenant, User

from . import events, rules, selectors
from .choices import COUNTING_STATES, LIVE_STATES, SETTABLE_STATES, CaseState, EntryKind
from .models import Case, CaseEntry, Filter, Queue

DISPATCH_BATCH = 200


def session_timeout():
    return timedelta(seconds=settings.CXSMS_SMS_SESSION_TIMEOUT)


def offer_timeout():
    return timedelta(seconds=settings.CXSMS_OFFER_TIMEOUT)


def _history(case, kind, actor=None, *, from_state="", to_state="", agent=None, queue=None, body="", now=None, agent_id=None):
    """One line of the case's history, not stored yet (`_entry` stores one; a new case stores its first lines together)."""
    return CaseEntry(case=case, kind=kind, actor=actor, at=now or timezone.now(), from_state=from_state, to_state=to_state,
                     agent=agent, agent_id=agent_id if agent is None else agent.pk, queue=queue, body=body)


def _entry(case, kind, actor=None, *, writes=None, **fields):
    """Store one line of the case's history (`_history`'s fields). Inserted with routing.sql's cached
    statement: the ORM's insert compiled anew each time (docs/benchmarks.md). `writes`: a cursor of
    `_together`, which sends it with the other writes (the entry's id is then not read)."""
    entry = _history(case, kind, actor, **fields)
    if writes is None:
        return sql.insert(entry)
    writes.execute(*sql.insert_statement(entry))
    return entry


class _Writes:
    """The writes of one step, sent in one round trip (`_together`): `execute` for those whose results
    nobody reads; `agent` for the one update of the agent's row, which bumps their event sequence and
    returns it (`seq`, once the round trip is over) for the step's event (routing.events.to_agent)."""

    def __init__(self, writes, agent_row):
        self.execute, self._agent_row, self.seq = writes.execute, agent_row, None

    def agent(self, statement, params):
        self._agent_row.execute(statement, params)


@contextmanager
def _together():
    """A `_Writes`, sent in one round trip on PostgreSQL (routing.sql.pipeline), as the ACD's offer
    sends its own: a text to a Digital tenant makes a dozen writes, each a wait for the database
    otherwise (docs/benchmarks.md). SQLite runs them one by one."""
    with connection.cursor() as writes, connection.cursor() as agent_row:
        batch = _Writes(writes, agent_row)
        with sql.pipeline():
            yield batch
        if agent_row.description is not None:  # the agent's update ran: its RETURNING row
            batch.seq = agent_row.fetchone()[0]


@cache
def _lock_case_sql(with_poc, with_room, vendor):
    models = (Case, Queue, User) + ((PointOfContact, Tenant) if with_poc else ()) + ((Room,) if with_room else ())
    poc = (f", {sql.columns(PointOfContact, 'p')}, {sql.columns(Tenant, 't')}" if with_poc else "")
    joins = (f" JOIN {sql.table(PointOfContact)} p ON p.id = c.point_of_contact_id JOIN {sql.table(Tenant)} t ON t.id = p.tenant_id"
             if with_poc else "")
    room, room_join = (f", {sql.columns(Room, 'r')}", f" JOIN {sql.table(Room)} r ON r.id = c.room_id") if with_room else ("", "")
    return models, (f"SELECT {sql.columns(Case, 'c')}, {sql.columns(Queue, 'q')}, {sql.columns(User, 'u')}{poc}{room} "
                    f"FROM {sql.table(Case)} c LEFT JOIN {sql.table(Queue)} q ON q.id = c.queue_id "
                    f"LEFT JOIN {sql.table(User)} u ON u.id = c.agent_id{joins}{room_join} "
                    f"WHERE c.id = %s{sql.for_update('c, r' if with_room else 'c')}")


def _lock_case(case_id, with_poc=False, with_room=False):
    """The case with its row locked until commit (FOR UPDATE OF the case's row: PostgreSQL cannot lock
    the nullable side of the outer joins), read in the same statement with its queue and agent (the
    payloads name them) and, `with_poc` (a reply), its point of contact and tenant. Hand-written
    (routing.sql): it runs in each of the agent's actions, and the ORM's compiler took most of an
    action's time building it (docs/benchmarks.md). `with_room` (a reply, which stores a text in the
    room): returns (case, its room or None), the room locked in the same statement after the case."""
    models, statement = _lock_case_sql(with_poc, with_room, connection.vendor)
    found = sql.row(statement, [case_id])
    if found is None and with_room:
        return _lock_case(case_id, with_poc), None  # a case the agent started, not answered yet: no room
    if found is None:
        raise Case.DoesNotExist(f"no case {case_id}")
    case, queue, agent, *rest = sql.build_joined(models, found)
    case.queue, case.agent = queue, agent
    if with_poc:
        rest[0].tenant = rest[1]
        case.point_of_contact = rest[0]
    return (case, rest[-1]) if with_room else case


@cache
def _lock_agent_sql(skip_locked, vendor):
    return (f"SELECT {sql.columns(User, 'u')}, {sql.columns(Tenant, 't')} FROM {sql.table(User)} u "
            f"JOIN {sql.table(Tenant)} t ON t.id = u.tenant_id WHERE u.id = %s{sql.for_update('u', skip_locked=skip_locked)}")


def _lock_agent(agent_id, skip_locked=False):
    """The agent's row (with their tenant) held until commit: who counts their cases next waits for this
    transaction; the count is read after the lock, in a statement of its own (selectors.case_load), so
    it sees a case another transaction gave them while this one waited. `skip_locked`: None at once
    when another transaction holds it (it is giving them a case now). Hand-written (routing.sql), as
    `_lock_case`."""
    found = sql.row(_lock_agent_sql(skip_locked, connection.vendor), [agent_id])
    if found is None:
        return None
    agent, tenant = sql.build_joined((User, Tenant), found)
    agent.tenant = tenant
    return agent


def _is_manager(actor, tenant_id):
    return actor.is_superuser or (actor.tenant_id == tenant_id and actor.role in (Role.SUPERVISOR, Role.ADMIN))


def _check_actor(case, actor, what="change"):
    """The case's own agent, or a supervisor or administrator of its tenant."""
    if case.agent_id == actor.pk or _is_manager(actor, case.tenant_id):
        return
    raise PermissionDenied(f"Only the agent who holds this case or a supervisor can {what} it.")


def _has_room(agent):
    """Whether a locked agent (with their tenant) may take one more case: their count read after the lock
    (R15). Their kept `case_load` is the count afterwards (corrected here if it was not, never expected)."""
    counted = selectors.case_load(agent)
    if counted != agent.case_load:
        sql.execute(f"UPDATE {sql.table(User)} SET case_load = %s WHERE id = %s", [counted, agent.pk])
        agent.case_load = counted
    return rules.under_limit(counted, agent.case_limit, agent.tenant.case_limit)


@cache
def _recount_sql(vendor):
    return (f"UPDATE {sql.table(User)} SET case_load = (SELECT COUNT(*) FROM {sql.table(Case)} c WHERE c.tenant_id = %s "
            f"AND c.state IN ({sql.placeholders(COUNTING_STATES)}) AND c.agent_id = %s) WHERE id = %s")


def _lock_agents(*agent_ids):
    """The agents' rows, locked until commit in the order of their ids (two transactions that each lock
    the same two agents never wait for each other's second)."""
    for agent_id in sorted({pk for pk in agent_ids if pk}):
        sql.row(f"SELECT id FROM {sql.table(User)} WHERE id = %s{sql.for_update()}", [agent_id])


def _recount(case, agent_id):
    """A case of this agent left their count (back to a queue, to another agent, a state that does not
    count) or came back into it: their kept `case_load` counted again under their lock (after the lock,
    in a statement of its own, so it sees every change committed before: the last to recount is right)."""
    if agent_id:
        _lock_agents(agent_id)
        sql.execute(_recount_sql(connection.vendor), [case.tenant_id, *COUNTING_STATES, agent_id, agent_id])


def _limit_error(agent):
    limit = selectors.agent_limit(agent)
    return ValidationError({"agent": f"{agent.username} already has {limit} open case{'s' if limit != 1 else ''}, their limit."})


def _local_time(tenant, now):
    return now.astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).time()


@cache
def _routing_sql(vendor):
    nulls = lambda model: ", ".join(["NULL"] * len(model._meta.concrete_fields))  # noqa: E731
    return (f"SELECT {sql.columns(Filter, 'f')}, {sql.columns(Queue, 'q')}, {sql.columns(PointOfContact, 'p')} "
            f"FROM {sql.table(Filter)} f JOIN {sql.table(Queue)} q ON q.id = f.queue_id "
            f"LEFT JOIN {sql.table(PointOfContact)} p ON p.id = f.point_of_contact_id WHERE f.tenant_id = %s "
            f"UNION ALL SELECT {nulls(Filter)}, {sql.columns(Queue, 'q')}, {nulls(PointOfContact)} "
            f"FROM {sql.table(Queue)} q WHERE q.tenant_id = %s AND q.is_fallback")


def _tenant_routing(tenant_id):
    """(the tenant's filters, each with its queue and point of contact (the reasons name its number);
    its fallback queue or None), in one hand-written statement: read for every new case (docs/benchmarks.md)."""
    filters, fallback = [], None
    for values in sql.rows(_routing_sql(connection.vendor), [tenant_id, tenant_id]):
        f, queue, poc = sql.build_joined((Filter, Queue, PointOfContact), values)
        if f is None:
            fallback = queue  # one per tenant (a unique constraint)
            continue
        f.queue, f.point_of_contact = queue, poc
        filters.append(f)
    return filters, fallback


def queue_choose(*, tenant, poc_id, body, tags, now):
    """(queue, filter) for a new case's first message: the first filter that matches, else the fallback queue."""
    filters, fallback = _tenant_routing(tenant.pk)
    _checks, found = rules.filters_explain(filters, poc_id=poc_id, body=body, tags=tags, local_time=_local_time(tenant, now))
    return (found.queue, found) if found else (fallback, None)


def dispatch_soon(tenant_id):
    """The dispatch job, when a case of the tenant waits (read in the caller's transaction: a case put
    back there counts; one that starts waiting elsewhere asks for the job itself)."""
    if Case.objects.filter(tenant_id=tenant_id, state=CaseState.NEW, agent__isnull=True).exists():
        jobs.enqueue("digital.dispatch", tenant_id)


# --- cases from texts ------------------------------------------------------------------------

@cache
def _new_thread_sql(vendor):
    return (f"SELECT (SELECT id FROM {sql.table(Case)} WHERE point_of_contact_id = %s AND contact_number = %s AND room_id IS NULL "
            f"AND state IN ({sql.placeholders(LIVE_STATES)}) LIMIT 1), "
            f"(SELECT tags FROM {sql.table(Contact)} WHERE tenant_id = %s AND number = %s)")


def case_open(*, room, message):
    """A new thread's first text (the `digital` delivery mode's hand-off), in the hub's transaction.
    A case the agent started to this number (outbound, still without a room) takes the room in.

    Hand-written (routing.sql), as the rest of this path, and in as few statements as the rules allow
    (docs/benchmarks.md): one read for a case waiting for this thread and the contact's tags, one for
    the tenant's filters and fallback queue, one for the agents who may get the case; then the case is
    stored as it leaves (offered, or waiting), and its first lines of history with the agent's update
    go in one round trip."""
    tenant, now = room.tenant, message.created_at
    waiting, tags = sql.row(_new_thread_sql(connection.vendor),
                            [room.point_of_contact_id, room.contact_number, *LIVE_STATES, tenant.pk, room.contact_number])
    if waiting is not None:
        waiting = _lock_case(waiting)
        waiting.room_id = room.pk
        sql.update(waiting, ["room"])
        return case_received(case=waiting, message=message)
    queue, matched = queue_choose(tenant=tenant, poc_id=room.point_of_contact_id, body=message.body,
                                  tags=Contact(tags=tags).tag_list if tags else [], now=now)
    case = Case(tenant_id=tenant.pk, room_id=room.pk, point_of_contact_id=room.point_of_contact_id, contact_number=room.contact_number,
                poc_number=room.poc_number, queue=queue, matched_filter=matched, opened_at=now, waiting_since=now, last_message_at=now,
                unread=1, first_body=message.body[:1000])
    # Offered at once, in the text's own transaction (the new case is nobody else's to see yet), unless
    # an older case waits on its queue (queue order holds): it reaches an agent's page with the text's
    # commit, not a job's turn later. Otherwise, or when nobody on the queue has room, it waits and the
    # dispatch job serves the queue in order. An agent another text is giving a case to right now is
    # passed over rather than waited for: texts in parallel each hold one agent and would otherwise
    # wait for each other's (a deadlock).
    agent = _agent_with_room(case, skip_locked=True, first_in_line=True) if queue is not None else None
    if agent is not None:
        case.agent, case.assigned_at, case.offer_expires_at = agent, now, now + offer_timeout()
    sql.insert(case)
    lines = [_history(case, EntryKind.OPENED, to_state=CaseState.NEW, now=now),
             _history(case, EntryKind.QUEUED, queue=queue, now=now,
                      body=f"Filter: {matched}" if matched else "No filter matched: the fallback queue")]
    if agent is not None:
        lines.append(_history(case, EntryKind.ASSIGNED, from_state=CaseState.NEW, to_state=CaseState.NEW, agent=agent, now=now))
    with _together() as writes:
        writes.execute(*sql.insert_many_statement(lines))
        if agent is not None:
            _got_work(agent, now, writes)
    if agent is not None:
        events.case_assigned(case, agent_seq=writes.seq)
        return case
    events.case_updated(case)  # waiting in its queue (supervisors see it)
    dispatch_soon(tenant.pk)
    return case


def case_received(*, case, message):
    """A later text of the contact: shown to the case's agent, the timer reset (R7); a resolved case
    reopens and is routed again, to the agent who resolved it first if they have room (R15)."""
    case = _lock_case(case.pk)
    now = message.created_at
    case.last_message_at, case.unread = now, case.unread + 1
    fields = ["last_message_at", "unread"]
    if case.expires_at is not None:  # a reset: the job scheduled when the timer started moves itself (jobs.not_yet_due)
        case.expires_at = now + session_timeout()
        fields.append("expires_at")
    previous_agent = None
    if case.state == CaseState.RESOLVED:
        previous_agent = case.agent_id
        case.preferred_agent_id, case.agent, case.state = case.agent_id, None, CaseState.NEW
        case.waiting_since, case.assigned_at, case.accepted_at, case.offer_expires_at = now, None, None, None
        fields += ["preferred_agent", "agent", "state", "waiting_since", "assigned_at", "accepted_at", "offer_expires_at"]
        _entry(case, EntryKind.REOPENED, from_state=CaseState.RESOLVED, to_state=CaseState.NEW, now=now)
    sql.update(case, fields)
    if "preferred_agent" in fields:  # reopened: routed again, after the save (dispatch_soon asks whether a case waits)
        dispatch_soon(case.tenant_id)
    events.case_message(case, message)
    if previous_agent:
        events.case_updated(case, previous_agent_id=previous_agent)
    return case


def case_for_room(room_id):
    return Case.objects.filter(room_id=room_id).exclude(state=CaseState.CLOSED).first()


# --- assignment -----------------------------------------------------------------------------

def _got_work(agent, now, writes):
    """A locked agent, counted by `_has_room`, got a case: their kept load is one more, "idle longest"
    (rules.candidate_order) counts from now, and their event sequence is bumped in the same statement
    for the case's event (`writes.seq`, a `_Writes`)."""
    agent.case_load, agent.idle_since = agent.case_load + 1, now
    writes.agent(f"UPDATE {sql.table(User)} SET case_load = %s, idle_since = %s, event_seq = event_seq + 1 WHERE id = %s "
                 f"RETURNING event_seq", [agent.case_load, sql.dt(now), agent.pk])


def _offer(case, agent, now, actor=None, note=""):
    """Give the case to `agent` (locked by the caller, under their limit) as an offer to accept."""
    previous = case.agent_id
    from_state = case.state
    case.agent, case.state, case.assigned_at = agent, CaseState.NEW, now
    case.offer_expires_at, case.accepted_at = now + offer_timeout(), None
    with _together() as writes:
        _got_work(agent, now, writes)
        writes.execute(*sql.update_statement(case, ["agent", "state", "assigned_at", "offer_expires_at", "accepted_at"]))
        _entry(case, EntryKind.TRANSFERRED if previous and previous != agent.pk else EntryKind.ASSIGNED, actor, from_state=from_state,
               to_state=CaseState.NEW, agent=agent, body=note, now=now, writes=writes)
    events.case_assigned(case, agent_seq=writes.seq)
    if previous and previous != agent.pk:
        _recount(case, previous)
        events.case_updated(case, previous_agent_id=previous)
    # No job per offer: nearly every offer is accepted in time, and the sweep (every second) lapses the rest.


def case_dispatch_one(case_id, now=None):
    """Give one waiting case to the best agent with room (selectors.candidates), or leave it waiting.
    Returns (the agent or None, whether some agents were passed over for this case alone)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update(skip_locked=True).filter(pk=case_id, agent__isnull=True, state=CaseState.NEW).first()
        if case is None:
            return None, True
        case = Case.objects.select_related("queue", "tenant").get(pk=case.pk)
        excluded = selectors.excluded_agents(case)
        agent = _give(case, now, excluded)
        if agent is not None:
            return agent, False
    return None, bool(excluded)


def _agent_with_room(case, excluded=frozenset(), skip_locked=False, first_in_line=False):
    """The best agent for `case` (selectors.candidates) who still has room under their lock, locked
    until commit, or None. `skip_locked`: an agent another transaction holds is passed over."""
    for agent_id in selectors.candidates(case, excluded, first_in_line):
        agent = _lock_agent(agent_id, skip_locked=skip_locked)
        if agent is not None and _has_room(agent):
            return agent
    return None  # nobody, or another case reached each of them first


def _give(case, now, excluded=frozenset()):
    """Offer `case` (waiting, held by the caller's transaction) to the best agent with room, checked
    under the agent's lock; returns the agent, or None when nobody on its queue has room."""
    agent = _agent_with_room(case, excluded)
    if agent is not None:
        _offer(case, agent, now)
    return agent


def dispatch(tenant_id, now=None):
    """Waiting cases of the tenant in queue order (priority, then how long they have waited), each to
    an agent with room; stops at a queue once nobody on it has room. Returns how many were given."""
    given, full_queues = 0, set()
    waiting = (Case.objects.filter(tenant_id=tenant_id, agent__isnull=True, state=CaseState.NEW, queue__isnull=False)
               .order_by("queue__priority", "waiting_since", "id").values_list("id", "queue_id")[:DISPATCH_BATCH])
    for case_id, queue_id in waiting:
        if queue_id in full_queues:
            continue
        agent, passed_over = case_dispatch_one(case_id, now)
        if agent is not None:
            given += 1
        elif not passed_over:
            full_queues.add(queue_id)  # nobody on this queue has room: the cases behind wait too
    return given


def dispatch_all(now=None):
    """The sweep: every Digital tenant with a waiting case."""
    ids = Case.objects.filter(agent__isnull=True, state=CaseState.NEW).values_list("tenant_id", flat=True).order_by().distinct()
    return sum(dispatch(tenant_id, now) for tenant_id in list(ids))


@transaction.atomic
def case_accept(*, case, agent):
    case = _lock_case(case.pk)
    if case.agent_id != agent.pk or case.state != CaseState.NEW:
        raise ValidationError({"state": "You already accepted this case." if case.agent_id == agent.pk
                               else "This case is no longer offered to you: it was accepted, lapsed or taken back."})
    now = timezone.now()
    case.state, case.accepted_at, case.offer_expires_at, case.unread = CaseState.OPEN, now, None, 0
    case.expires_at = now + session_timeout()  # R7: the timer starts on accept
    with _together() as writes:
        writes.execute(*sql.update_statement(case, ["state", "accepted_at", "offer_expires_at", "expires_at", "unread"]))
        _entry(case, EntryKind.ACCEPTED, agent, from_state=CaseState.NEW, to_state=CaseState.OPEN, agent=agent, now=now, writes=writes)
        writes.agent(*routing_events.sequence_statement(agent.pk))  # the event's, in the same round trip
    events.case_updated(case, agent_seq=writes.seq)
    jobs.enqueue_at("digital.expire", case.expires_at, case.pk)
    return case


def _back_to_queue(case, kind, actor, now):
    previous = case.agent
    case.agent, case.assigned_at, case.offer_expires_at = None, None, None
    sql.update(case, ["agent", "assigned_at", "offer_expires_at"])
    _recount(case, previous.pk if previous else None)
    _entry(case, kind, actor, agent=previous, now=now)
    events.case_updated(case, previous_agent_id=previous.pk if previous else None)
    dispatch_soon(case.tenant_id)
    return case


@transaction.atomic
def case_reject(*, case, agent):
    case = _lock_case(case.pk)
    if case.agent_id != agent.pk or case.state != CaseState.NEW:
        raise ValidationError({"state": "Only a case offered to you and not yet accepted can be rejected."})
    return _back_to_queue(case, EntryKind.REJECTED, agent, timezone.now())


def case_lapse(case_id, now):
    """The offer timeout (the sweep's): an offer nobody accepted by `now` goes to the next agent.
    Idempotent; a case another transaction holds (its agent accepting it) is passed over."""
    with transaction.atomic():
        case = Case.objects.select_for_update(skip_locked=True).filter(pk=case_id, state=CaseState.NEW, agent__isnull=False,
                                                                      offer_expires_at__lte=now).first()
        if case is None:
            return False
        _back_to_queue(_lock_case(case.pk), EntryKind.LAPSED, None, now)
    return True


@transaction.atomic
def case_assign(*, case, actor, agent=None, queue=None, note=""):
    """Assign or transfer a case to another agent (an offer they accept) or back to a queue, with a note."""
    case = _lock_case(case.pk)
    _check_actor(case, actor, "transfer")
    if case.state == CaseState.CLOSED:
        raise ValidationError({"state": "This case is closed."})
    if (agent is None) == (queue is None):
        raise ValidationError({"agent": "Choose an agent or a queue."})
    note = (note or "").strip()[:1000]
    now = timezone.now()
    if queue is not None:
        if queue.tenant_id != case.tenant_id:
            raise ValidationError({"queue": "Choose a queue of this company."})
        previous = case.agent_id
        from_state = case.state
        case.queue, case.agent, case.state, case.waiting_since = queue, None, CaseState.NEW, now
        case.assigned_at = case.offer_expires_at = case.accepted_at = None
        sql.update(case, ["queue", "agent", "state", "waiting_since", "assigned_at", "offer_expires_at", "accepted_at"])
        _recount(case, previous)
        _entry(case, EntryKind.TRANSFERRED, actor, from_state=from_state, to_state=CaseState.NEW, queue=queue, body=note, now=now,
               agent_id=previous)  # the agent who let it go is not offered it again at once
        events.case_updated(case, previous_agent_id=previous)
        dispatch_soon(case.tenant_id)
        return case
    if agent.tenant_id != case.tenant_id or agent.role != Role.AGENT or not agent.is_active:
        raise ValidationError({"agent": "Choose an active agent of this company."})
    if agent.pk == case.agent_id:
        raise ValidationError({"agent": "The case is already theirs."})
    _lock_agents(agent.pk, case.agent_id)  # the one it leaves is recounted after the offer (`_offer`)
    agent = _lock_agent(agent.pk)
    if not _has_room(agent):
        raise _limit_error(agent)
    _offer(case, agent, now, actor=actor, note=note)
    return case


@transaction.atomic
def case_set_state(*, case, actor, state):
    """An agent or supervisor moves a case (history kept). Back to a counting state only under the
    agent's limit; closing ends the thread's room, so the contact's next text opens a new case (R8)."""
    case = _lock_case(case.pk)
    _check_actor(case, actor)
    if state not in SETTABLE_STATES:
        raise ValidationError({"state": "Choose open, pending, escalated, resolved or closed."})
    if case.state == CaseState.CLOSED:
        raise ValidationError({"state": "This case is closed: a new text from the contact opens a new case."})
    if case.state == state:
        raise ValidationError({"state": f"The case is {case.get_state_display().lower()} already."})
    if case.state == CaseState.NEW and case.agent_id is not None and state != CaseState.CLOSED:
        raise ValidationError({"state": "Accept the case first."})
    if case.state == CaseState.NEW and case.agent_id is None and state != CaseState.CLOSED:
        raise ValidationError({"state": "The case is waiting in its queue: assign it to an agent first."})
    if state in COUNTING_STATES and case.state not in COUNTING_STATES:
        agent = _lock_agent(case.agent_id)
        if not _has_room(agent):
            raise _limit_error(agent)
    return _change_state(case, state, actor, timezone.now())


def _change_state(case, state, actor, now, kind=EntryKind.STATE):
    from_state = case.state
    case.state = state
    fields = ["state"]
    if state == CaseState.CLOSED:
        case.closed_at, case.offer_expires_at = now, None
        fields += ["closed_at", "offer_expires_at"]
    sql.update(case, fields)
    if (from_state in COUNTING_STATES) != (state in COUNTING_STATES):
        _recount(case, case.agent_id)
    _entry(case, kind, actor, from_state=from_state, to_state=state, agent=case.agent, now=now)
    if state == CaseState.CLOSED:
        if case.room_id:
            ending.room_end_for_mode(room_id=case.room_id, expired=kind == EntryKind.EXPIRED, forced=kind == EntryKind.FORCED, now=now)
        events.case_closed(case)
    else:
        events.case_updated(case)
    if from_state in COUNTING_STATES and state not in COUNTING_STATES:
        dispatch_soon(case.tenant_id)  # a place freed
    return case


def case_expire(case_id, now=None, sweeping=False):
    """R7: close the case when its inactivity timer ran out (idempotent: read under the case's lock;
    a reset that committed first wins and the job waits for the new due time)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update(skip_locked=sweeping).filter(pk=case_id, expires_at__isnull=False).exclude(
            state=CaseState.CLOSED).first()
        if case is None:
            return False
        if jobs.not_yet_due("digital.expire", case.pk, case.expires_at, now, sweeping):
            return False
        _change_state(_lock_case(case.pk), CaseState.CLOSED, None, now, kind=EntryKind.EXPIRED)
    return True


def cases_force_close(*, tenant_id, now):
    """R10, a forced disconnect in a Digital tenant: every live case closes (its room with it, the
    transcript kept), each in a transaction of its own; the history says why. Returns how many."""
    closed = 0
    for case_id in list(Case.objects.filter(tenant_id=tenant_id, state__in=LIVE_STATES).values_list("id", flat=True)):
        with transaction.atomic():
            case = _lock_case(case_id)
            if case.state == CaseState.CLOSED:
                continue
            _change_state(case, CaseState.CLOSED, None, now, kind=EntryKind.FORCED)
            closed += 1
    return closed


def sweep(now=None):
    """The timers' safety net (a lost job, a worker that died): lapsed offers, expired cases, then waiting cases."""
    now = now or timezone.now()
    lapsed = Case.objects.filter(state=CaseState.NEW, agent__isnull=False, offer_expires_at__lte=now).values_list("id", flat=True)[:500]
    for case_id in list(lapsed):
        case_lapse(case_id, now)
    expired = list(Case.objects.filter(expires_at__lte=now).exclude(state=CaseState.CLOSED).values_list("id", flat=True)[:500])
    closed = sum(case_expire(case_id, now, sweeping=True) for case_id in expired)
    dispatch_all(now)
    return closed


@transaction.atomic
def case_pull(*, agent):
    """"Give me more": the agent takes the oldest waiting case of their queues (queue priority, then
    age) while under their limit. Returns the case or None."""
    agent = _lock_agent(agent.pk)
    if not _has_room(agent):
        raise _limit_error(agent)
    case = (Case.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(tenant_id=agent.tenant_id, agent__isnull=True, state=CaseState.NEW, queue__agents=agent)
            .order_by("queue__priority", "waiting_since", "id").first())
    if case is None:
        return None
    case = Case.objects.select_related("queue", "tenant").get(pk=case.pk)
    _offer(case, agent, timezone.now())
    return case


# --- texts, notes, contacts -----------------------------------------------------------------

@transaction.atomic
def case_reply(*, case, author, body):
    """The agent's text on their case: refused (with the reason) to an opted-out number (R17); starts or resets the timer (R7)."""
    case, room = _lock_case(case.pk, with_poc=True, with_room=True)
    if case.agent_id != author.pk:
        raise PermissionDenied("Only the agent who holds this case can text the contact.")
    if case.state == CaseState.CLOSED:
        raise ValidationError({"body": "This case is closed: start a new case to text the contact."})
    if case.state == CaseState.NEW:
        raise ValidationError({"body": "Accept the case first."})
    message = outbound.text_send(point_of_contact=case.point_of_contact, to_number=case.contact_number, body=body, author=author, room=room)
    started = case.expires_at is None
    case.expires_at = message.created_at + session_timeout()
    case.last_message_at, case.unread = message.created_at, 0
    with _together() as writes:
        writes.execute(*sql.update_statement(case, ["expires_at", "last_message_at", "unread"]))
        writes.agent(*routing_events.sequence_statement(author.pk))  # the event's, in the same round trip
    events.case_message(case, message, agent_seq=writes.seq)
    if started:  # a reset moves the job already scheduled (jobs.not_yet_due)
        jobs.enqueue_at("digital.expire", case.expires_at, case.pk)
    return message


@transaction.atomic
def case_outbound(*, agent, point_of_contact, contact_number, body):
    """A new case the agent starts by texting a number from a US long code (R11, R5); counts against their limit."""
    if agent.role != Role.AGENT:
        raise PermissionDenied("Only agents start cases.")
    poc = PointOfContact.objects.select_related("tenant").filter(pk=getattr(point_of_contact, "pk", point_of_contact),
                                                                 tenant_id=agent.tenant_id, is_active=True).first()
    if poc is None:
        raise ValidationError({"point_of_contact": "Choose one of your company's numbers."})
    if poc.country_id != "US" or poc.code_type != CodeType.LONG:
        raise ValidationError({"point_of_contact": "New cases are texted from a United States long code."})
    try:
        number = routing_rules.contact_normalize_number(contact_number or "")
    except ValidationError:
        raise ValidationError({"contact_number": f"“{contact_number}” is not a phone number."})
    if Case.objects.filter(point_of_contact=poc, contact_number=number).exclude(state=CaseState.CLOSED).exists():
        raise ValidationError({"contact_number": "This contact already has an open case on this number."})
    me = _lock_agent(agent.pk)
    if not _has_room(me):
        raise _limit_error(me)
    now = timezone.now()
    with _together() as writes:
        _got_work(me, now, writes)
    seq = writes.seq
    message = outbound.text_send(point_of_contact=poc, to_number=number, body=body, author=agent)
    case = Case.objects.create(tenant_id=agent.tenant_id, point_of_contact=poc, contact_number=number, poc_number=poc.number,
                               state=CaseState.OPEN, agent=me, opened_at=message.created_at, waiting_since=now, assigned_at=now,
                               accepted_at=now, expires_at=message.created_at + session_timeout(), last_message_at=message.created_at,
                               first_body=message.body[:1000])
    _entry(case, EntryKind.OPENED, agent, to_state=CaseState.OPEN, agent=me, body="Started by texting the contact", now=now)
    events.case_assigned(case, agent_seq=seq)
    jobs.enqueue_at("digital.expire", case.expires_at, case.pk)
    return case


@transaction.atomic
def case_note(*, case, author, body):
    """An internal note on the case: never sent to the contact."""
    case = _lock_case(case.pk)
    _check_actor(case, author, "write a note on")
    body = (body if isinstance(body, str) else "").strip()
    if not body:
        raise ValidationError({"body": "Type a note."})
    if len(body) > 4000:
        raise ValidationError({"body": f"A note is at most 4000 characters; this one has {len(body)}."})
    entry = _entry(case, EntryKind.NOTE, author, body=body)
    events.case_updated(case)
    return entry


@transaction.atomic
def case_mark_read(*, case, agent):
    Case.objects.filter(pk=case.pk, agent=agent).update(unread=0)


@transaction.atomic
def queue_save(*, instance, agents=None):
    """Create or change a queue; `agents` (None: unchanged) must be agents of its tenant."""
    routing_services.object_save(instance=instance)
    if agents is not None:
        if any(a.tenant_id != instance.tenant_id or a.role != Role.AGENT for a in agents):
            raise ValidationError({"agents": "Choose agents of this company."})
        instance.agents.set(agents)
        dispatch_soon(instance.tenant_id)
    return instance
