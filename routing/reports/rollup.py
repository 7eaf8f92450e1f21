"""The per-room figures, each defined once, kept in RoomFact rows (docs/reporting.md has the definitions).

`room_facts_refresh` is the rollup job: idempotent and batched. It recomputes the rows of rooms
that were open at the last refresh and adds rows for rooms opened since; a closed room's row is
final (nothing about a closed room changes: a contact who texts again opens a new room). Reports
call it for their tenant before reading, so their figures are current even when the periodic job
has not run; the periodic job keeps that catch-up small.

Nothing here runs on the per-text path: rooms and messages are read after the fact.
"""
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Length

from .. import sms
from ..choices import Channel, Direction, RoomState
from ..models import Message, Room, RoomFact, RoutingDecision, Tenant
from . import day_rollup, periods, state_rollup

BATCH = 2000
# Rooms just below the newest rolled-up id are looked at again: a transaction that took an id
# earlier may commit after a later one was already rolled up.
LOOKBACK_IDS = 5000
# An opt-out keyword padded with more spaces than this is not counted (read in Python, see _opt_outs).
KEYWORD_READ_LENGTH = 64

FIGURE_FIELDS = [f.name for f in RoomFact._meta.concrete_fields if f.name != "room"]


def _transfers(room_ids):
    """Transfers per room (room id -> how many): each one leaves a "transferred" routing decision."""
    return dict(RoutingDecision.objects.filter(room_id__in=room_ids, outcome="transferred").values_list("room_id")
                .annotate(n=Count("id")).order_by())


def _first_replies(room_ids, first_in):
    """Room id -> the first text an agent wrote at or after the contact's first text."""
    out = {}
    rows = (Message.objects.filter(room_id__in=room_ids, direction=Direction.OUTBOUND, author__isnull=False, automatic=False)
            .order_by("room_id", "created_at", "id").values_list("room_id", "created_at"))
    for room_id, created in rows:
        start = first_in.get(room_id)
        if start is not None and room_id not in out and created >= start:
            out[room_id] = created
    return out


def _opt_outs(room_ids):
    """Opt-out texts per room, by the opt-out rule itself (sms.keyword), on the short inbound texts."""
    out = defaultdict(int)
    rows = (Message.objects.filter(room_id__in=room_ids, direction=Direction.INBOUND).annotate(n=Length("body"))
            .filter(n__lte=KEYWORD_READ_LENGTH).values_list("room_id", "body"))
    for room_id, body in rows:
        if sms.keyword(body) == "opt_out":
            out[room_id] += 1
    return out


def _seconds(a, b):
    return (b - a).total_seconds() if a is not None and b is not None else None


def compute_facts(room_ids, tz_by_tenant):
    """RoomFact rows (unsaved) for these rooms: the definition of every per-room figure."""
    rooms = list(Room.objects.filter(pk__in=room_ids).values(
        "id", "tenant_id", "channel", "direction", "state", "skill_id", "agent_id", "agent__team_id", "point_of_contact_id",
        "opened_at", "queued_at", "accepted_at", "closed_at", "skill__service_level_seconds", "skill__first_response_target_seconds",
        "disposition_id"))
    decisions = {r["room_id"]: r for r in RoutingDecision.objects.filter(room_id__in=room_ids).values("room_id").order_by().annotate(
        n=Count("id"), rejected=Count("id", filter=Q(outcome="rejected")), lapsed=Count("id", filter=Q(outcome="lapsed")))}
    messages = {r["room_id"]: r for r in Message.objects.filter(room_id__in=room_ids).values("room_id").order_by().annotate(
        n_in=Count("id", filter=Q(direction=Direction.INBOUND)), n_out=Count("id", filter=Q(direction=Direction.OUTBOUND)),
        segments=Sum("segments", filter=Q(direction=Direction.OUTBOUND, room__channel=Channel.SMS)),
        first_in=Min("created_at", filter=Q(direction=Direction.INBOUND)))}
    first_in = {k: v["first_in"] for k, v in messages.items() if v["first_in"] is not None}
    replies = _first_replies(room_ids, first_in)
    opt_outs = _opt_outs(room_ids)
    transfers = _transfers(room_ids)
    facts = []
    for r in rooms:
        tz = tz_by_tenant[r["tenant_id"]]
        slot, hour, day, week = periods.keys(r["opened_at"], tz)
        d = decisions.get(r["id"], {})
        m = messages.get(r["id"], {})
        closed = r["state"] == RoomState.CLOSED
        # Offered: an inbound room the ACD routed (it has a routing decision). A keyword-only text
        # (STOP, HELP) and a room started by an agent never waited for anyone.
        offered = r["direction"] == Direction.INBOUND and d.get("n", 0) > 0
        accepted = offered and r["accepted_at"] is not None
        asa = _seconds(r["queued_at"], r["accepted_at"]) if accepted else None
        first_response = _seconds(first_in.get(r["id"]), replies.get(r["id"]))
        target = r["skill__service_level_seconds"]
        response_target = r["skill__first_response_target_seconds"]
        facts.append(RoomFact(
            room_id=r["id"], tenant_id=r["tenant_id"], channel=r["channel"], direction=r["direction"], skill_id=r["skill_id"],
            agent_id=r["agent_id"] if r["accepted_at"] is not None else None, team_id=r["agent__team_id"] if r["accepted_at"] else None,
            point_of_contact_id=r["point_of_contact_id"], opened_at=r["opened_at"], slot=slot, hour=hour, day=day, week=week,
            final=closed, offered=offered, accepted=accepted, abandoned=offered and closed and r["accepted_at"] is None,
            rejected=d.get("rejected", 0), lapsed=d.get("lapsed", 0), transferred=transfers.get(r["id"], 0),
            answered_in_target=asa is not None and target is not None and asa <= target,
            responded_in_target=first_response is not None and response_target is not None and first_response <= response_target,
            asa_seconds=asa, first_response_seconds=first_response,
            handle_seconds=_seconds(r["accepted_at"], r["closed_at"]) if closed and r["accepted_at"] else None,
            messages_in=m.get("n_in", 0), messages_out=m.get("n_out", 0), segments_out=m.get("segments") or 0,
            opt_outs=opt_outs.get(r["id"], 0), disposition_id=r["disposition_id"]))
    return facts


def _store(facts):
    with transaction.atomic():
        RoomFact.objects.bulk_create(facts, update_conflicts=True, unique_fields=["room"], update_fields=FIGURE_FIELDS)
        # A day kept by the day rollup with a room rolled up again (written late, or open at the last
        # refresh) is no longer settled as kept: the next refresh keeps it anew.
        by_tenant = defaultdict(set)
        for fact in facts:
            by_tenant[fact.tenant_id].add(fact.day)
        for tenant_id, days in by_tenant.items():
            day_rollup.forget(tenant_id, days)


def _changed(facts):
    """The facts that differ from their stored rows: most open rooms did not change since the last
    refresh, and writing them again cost a report's catch-up a tenth of a second (docs/benchmarks.md)."""
    columns = [RoomFact._meta.get_field(name).attname for name in FIGURE_FIELDS]
    stored = {row[0]: row[1:] for row in RoomFact.objects.filter(room_id__in=[f.room_id for f in facts])
              .values_list("room_id", *columns)}
    return [f for f in facts if stored.get(f.room_id) != tuple(getattr(f, name) for name in columns)]


def _open_and_newest(tenant_id):
    """The tenant's rooms whose row is not final (open at the last refresh), and its newest rolled-up room id."""
    open_ids = sorted(RoomFact.objects.filter(tenant_id=tenant_id, final=False).values_list("room_id", flat=True))
    newest = RoomFact.objects.filter(tenant_id=tenant_id).aggregate(m=Max("room_id"))["m"] or 0
    return open_ids, newest


def room_facts_refresh(*, tenant_ids=None, rebuild=False, batch_size=BATCH):
    """Bring the tenants' RoomFact rows up to date (all tenants when None). Idempotent; each batch
    commits on its own. `rebuild`: recompute every row (after a tenant changed its time zone, or
    a figure's definition changed). Returns the number of rows written."""
    tenants = Tenant.objects.all() if tenant_ids is None else Tenant.objects.filter(pk__in=tenant_ids)
    written = 0
    for tenant in tenants.only("id", "time_zone"):
        tzs = {tenant.pk: periods.tz_of(tenant)}
        if rebuild:
            todo_open, floor = [], 0
            day_rollup.forget_all(tenant.pk)
        else:
            todo_open, newest = _open_and_newest(tenant.pk)
            floor = max(newest - LOOKBACK_IDS, 0)
        for i in range(0, len(todo_open), batch_size):
            facts = _changed(compute_facts(todo_open[i:i + batch_size], tzs))
            _store(facts)
            written += len(facts)
        missing = Room.objects.filter(tenant_id=tenant.pk, pk__gt=floor)
        if not rebuild:
            missing = missing.filter(fact__isnull=True)
        last = floor
        while True:
            ids = list(missing.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            facts = compute_facts(ids, tzs)
            _store(facts)
            written += len(facts)
            last = ids[-1]
    return written



def refresh_for_report(tenant_id, *, window=None, mark="fresh"):
    """The catch-up a report makes before reading: at most once per `window` seconds per tenant
    (CXSMS_REPORTS_FRESH_SECONDS; the cache is shared by the processes when scaled out), so a page that
    asks several figures, or a supervisor's page polling, recomputes the open rooms once, not every
    time. The supervisor's live strip keeps its own, shorter window (`mark` names it)."""
    window = settings.CXSMS_REPORTS_FRESH_SECONDS if window is None else window
    key = f"cxsms:reports:{mark}:{tenant_id}"
    if window > 0 and not cache.add(key, 1, timeout=window):
        return 0
    return _refresh_all([tenant_id])


def _refresh_all(tenant_ids=None):
    """The three rollups in their order (rooms, agents' states, then the settled days from the rooms' rows)."""
    return (room_facts_refresh(tenant_ids=tenant_ids) + state_rollup.agent_state_facts_refresh(tenant_ids=tenant_ids)
            + day_rollup.refresh(tenant_ids=tenant_ids))


def refresh_job(now=None):
    """The periodic job (routing.jobs `reports.refresh`): every tenant's rows brought up to date."""
    return _refresh_all()
