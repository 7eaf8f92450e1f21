"""Prometheus metrics (prometheus-client): counters kept by each process, gauges read from the database at scrape time.

Several processes: set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by every process of
one host before they start (scripts/cluster.sh does); each process then writes its counters to
files there and a scrape of any process adds them all up. Unset (`make run`): one process, its own
counters in memory. The list of metrics, their meaning and alert rules: docs/operations.md.

Counters on the path of a text are one `record_*` call each (a dictionary lookup and an add; with
PROMETHEUS_MULTIPROC_DIR, a write into a memory-mapped file). Labels are ids and fixed words,
never a phone number or a body: `tenant` is the tenant's id (cxsms_tenant_info names it).
"""
import glob
import hmac
import os
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# --- counted by the processes (record_* below) ------------------------------------------------------
TEXTS_INBOUND = Counter("cxsms_texts_inbound", "Inbound texts by tenant and outcome.", ["tenant", "outcome"])
TEXTS_OUTBOUND = Counter("cxsms_texts_outbound", "Outbound texts handed to a carrier, by tenant and outcome.", ["tenant", "outcome"])
CARRIER_ERRORS = Counter("cxsms_carrier_errors", "Send errors reported by carriers, by provider and error code.", ["provider", "code"])
WEBHOOK_SECONDS = Histogram("cxsms_webhook_seconds", "Time to answer a carrier webhook, by webhook and status class.",
                            ["webhook", "status"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
OFFERS_LAPSED = Counter("cxsms_offers_lapsed", "Offers an agent did not accept in time, by tenant.", ["tenant"])
TIMER_LATENESS = Histogram("cxsms_timer_lateness_seconds", "How long after its due time a timer fired, by kind.", ["kind"],
                           buckets=(.1, .25, .5, 1, 2, 5, 10, 30, 60, 300))
WEBSOCKETS = Gauge("cxsms_websocket_connections", "Open websocket connections, by feed.", ["feed"], multiprocess_mode="livesum")
WEBSOCKETS_OPENED = Counter("cxsms_websocket_connections_opened", "Websocket connections accepted, by feed.", ["feed"])
EVENTS_PUSHED = Counter("cxsms_events_pushed", "Live events handed to the channel layer, by event type.", ["type"])
PUSH_FAILURES = Counter("cxsms_push_failures", "Live events the channel layer refused (recovered by the next snapshot).")
SNAPSHOTS = Counter("cxsms_snapshots_sent", "Snapshots sent to websocket clients, by feed.", ["feed"])


_children = {}  # (metric, label values) -> the labelled child: metric.labels() takes a lock and checks its arguments each time


def _child(metric, *values):
    key = (metric, values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*values)
    return child


def record_inbound_text(tenant_id, outcome):
    """outcome: stored, duplicate, opt_out, opt_in, help, refused (bad signature), unknown_number."""
    _child(TEXTS_INBOUND, str(tenant_id or ""), outcome).inc()


def record_outbound_text(tenant_id, outcome):
    """outcome: sent (the carrier took it), failed (given up), retry (will be tried again), opted_out (not sent)."""
    _child(TEXTS_OUTBOUND, str(tenant_id or ""), outcome).inc()


def record_carrier_error(provider, code):
    _child(CARRIER_ERRORS, provider, str(code or "unknown")[:16]).inc()


def record_webhook(webhook, status_code, seconds):
    _child(WEBHOOK_SECONDS, webhook, f"{status_code // 100}xx").observe(seconds)


def record_offer_lapsed(tenant_id):
    _child(OFFERS_LAPSED, str(tenant_id)).inc()


def record_timer_fired(kind, due_at, now):
    """kind: session_expiry, offer_lapse, outbox_retry; lateness = now - due_at (never below 0)."""
    _child(TIMER_LATENESS, kind).observe(max(0.0, (now - due_at).total_seconds()))


def record_websocket_opened(feed):
    _child(WEBSOCKETS, feed).inc()
    _child(WEBSOCKETS_OPENED, feed).inc()


def record_websocket_closed(feed):
    _child(WEBSOCKETS, feed).dec()


def record_event_pushed(event_type):
    _child(EVENTS_PUSHED, event_type).inc()


def record_push_failed():
    PUSH_FAILURES.inc()


def record_snapshot_sent(feed):
    _child(SNAPSHOTS, feed).inc()


# --- read from the database at scrape time -----------------------------------------------------------

@dataclass(frozen=True)
class QueueDepth:
    queue: str
    depth: int
    oldest_age_seconds: float | None  # the oldest waiting job's age; None: the queue is empty


_queue_probes = {}  # name -> callable(now) -> iterable of QueueDepth


def register_queue_probe(name, probe):
    """The task engine (and campaigns) report their queues here: `probe(now)` returns QueueDepth rows,
    read at each scrape. Registered again under the same name, it replaces the earlier one."""
    _queue_probes[name] = probe


def outbox_queue(now):
    """The outbox: outbound texts waiting for their (next) attempt."""
    from ..choices import Direction, MessageStatus
    from ..models import Message

    row = (Message.objects.filter(direction=Direction.OUTBOUND, status__in=[MessageStatus.PENDING, MessageStatus.SENDING])
           .aggregate(n=Count("id"), oldest=Min("created_at")))
    age = (now - row["oldest"]).total_seconds() if row["oldest"] else None
    return [QueueDepth("outbox", row["n"], age)]


register_queue_probe("outbox", outbox_queue)


class DatabaseCollector:
    """Gauges of the product's state, one query each, read when Prometheus scrapes (any process gives the same answer)."""

    def collect(self):
        from ..choices import OPEN_ROOM_STATES, Channel, Role, RoomState
        from ..models import Room, Tenant, User
        from . import health
        from .workers import workers_seen

        now = timezone.now()
        tenants = GaugeMetricFamily("cxsms_tenant_info", "A tenant's id and slug (join on `tenant`).", labels=["tenant", "slug"])
        for pk, slug in Tenant.objects.values_list("pk", "slug"):
            tenants.add_metric([str(pk), slug], 1)
        yield tenants

        rooms = GaugeMetricFamily("cxsms_rooms", "Open rooms by tenant, channel and state.", labels=["tenant", "channel", "state"])
        for row in (Room.objects.filter(state__in=OPEN_ROOM_STATES).values("tenant_id", "channel", "state")
                    .annotate(n=Count("id")).order_by()):
            rooms.add_metric([str(row["tenant_id"]), row["channel"], row["state"]], row["n"])
        yield rooms

        depth = GaugeMetricFamily("cxsms_queue_depth", "Rooms waiting in a skill's queue.", labels=["tenant", "skill"])
        oldest = GaugeMetricFamily("cxsms_queue_oldest_wait_seconds", "How long the oldest room in a skill's queue has waited.",
                                   labels=["tenant", "skill"])
        for row in (Room.objects.filter(state=RoomState.QUEUED).values("tenant_id", "skill_id")
                    .annotate(n=Count("id"), since=Min("queued_at")).order_by()):
            labels = [str(row["tenant_id"]), str(row["skill_id"] or "none")]
            depth.add_metric(labels, row["n"])
            oldest.add_metric(labels, max(0.0, (now - row["since"]).total_seconds()))
        yield depth
        yield oldest

        agents = GaugeMetricFamily("cxsms_agents", "Active agent accounts by tenant and availability.", labels=["tenant", "state"])
        for row in (User.objects.filter(role=Role.AGENT, is_active=True, tenant__isnull=False).values("tenant_id", "state")
                    .annotate(n=Count("id")).order_by()):
            agents.add_metric([str(row["tenant_id"]), row["state"]], row["n"])
        yield agents

        # A timer past due that has not fired yet: 0 while the timer loop keeps up (alert rule "timers late").
        overdue = GaugeMetricFamily("cxsms_timer_overdue_seconds", "How far past due the most overdue unfired timer is, by kind.",
                                    labels=["kind"])
        expiry = (Room.objects.filter(state=RoomState.ACTIVE, channel=Channel.SMS, expires_at__lte=now)
                  .aggregate(due=Min("expires_at"))["due"])
        offer = Room.objects.filter(state=RoomState.OFFERED, offer_expires_at__lte=now).aggregate(due=Min("offer_expires_at"))["due"]
        overdue.add_metric(["session_expiry"], (now - expiry).total_seconds() if expiry else 0.0)
        overdue.add_metric(["offer_lapse"], (now - offer).total_seconds() if offer else 0.0)
        yield overdue

        workers = GaugeMetricFamily("cxsms_workers_seen", f"Workers that reported in within {health.WORKER_WITHIN} s.")
        workers.add_metric([], len(workers_seen(health.WORKER_WITHIN, now=now)))
        yield workers

        queue_depth = GaugeMetricFamily("cxsms_task_queue_depth", "Jobs waiting, by queue.", labels=["queue"])
        queue_age = GaugeMetricFamily("cxsms_task_oldest_job_age_seconds", "Age of the oldest waiting job, by queue (0: empty).",
                                      labels=["queue"])
        for probe in list(_queue_probes.values()):
            for q in probe(now):
                queue_depth.add_metric([q.queue], q.depth)
                queue_age.add_metric([q.queue], q.oldest_age_seconds or 0.0)
        yield queue_depth
        yield queue_age

        last = Room.objects.filter(channel=Channel.SMS).aggregate(at=Max("opened_at"))["at"]
        opened = GaugeMetricFamily("cxsms_last_room_opened_timestamp_seconds", "When the newest SMS room opened (Unix time).")
        opened.add_metric([], last.timestamp() if last else 0.0)
        yield opened


def _forget_dead_processes(path):
    """A process that died without saying so (killed, crashed) leaves its live gauges behind: drop them.
    The folder is one host's, so its pids are this host's."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = os.path.basename(name).rsplit("_", 1)[-1][:-3]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            mark_process_dead(int(pid), path)
        except PermissionError:
            pass  # alive, another user's


def exposition():
    """The text Prometheus scrapes: this process's (or every process's) counters, then the database gauges."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    if MULTIPROCESS:
        path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        _forget_dead_processes(path)
        processes = CollectorRegistry()
        MultiProcessCollector(processes, path)
        return generate_latest(processes) + generate_latest(database)
    return generate_latest(REGISTRY) + generate_latest(database)


def authorized(request):
    token = settings.CXSMS_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics_view(request):
    """GET /metrics with `Authorization: Bearer <CXSMS_METRICS_TOKEN>`. Without the setting the page does not exist."""
    if not settings.CXSMS_METRICS_TOKEN:
        raise Http404("Metrics are off: set CXSMS_METRICS_TOKEN.")
    if not authorized(request):
        response = HttpResponse("A valid metrics token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
