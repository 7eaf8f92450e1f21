"""Sending a running campaign: dispatch jobs on the "campaigns" queue, each recipient texted exactly once.

A dispatcher loops: it reads the campaign (paused, cancelled: it stops), finds the time zones whose
window is open now, reserves send slots on the point of contact's shared throttle (a row in the
database, so every worker, process and campaign on one number shares its rate), sleeps until its
slot, and sends one batch of about half a second's worth in one transaction: the recipients are
claimed with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL) and a conditional update from pending, the
texts are stored through routing.hub.outbound.text_send (the outbox sends them after commit, never
twice) and the recipients marked in the same transaction. A worker killed mid-batch rolls the whole
batch back: those recipients are still pending and nobody was texted (the outbox sends only
committed messages). The sweep (every 5 s) starts scheduled campaigns and restarts the dispatch of a
running campaign whose dispatchers fell silent (a killed worker) or found every window closed.
"""
import datetime
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from routing import jobs
from routing.hub import optout, outbound

from . import rules
from .choices import CampaignState, RecipientState
from .models import Campaign, Recipient, SendRate

log = logging.getLogger("cxsms.campaigns")

SILENT_AFTER = datetime.timedelta(seconds=10)  # a dispatcher beats every loop; silent this long, the sweep restarts it
RUN_FOR = 30.0  # seconds one dispatch job runs before it hands over (other campaigns' jobs get the thread in between)
BATCH_SECONDS = 0.5  # a batch is about this much sending: pause and cancel take effect within it
MAX_BATCH = 200


def lanes():
    """Dispatch jobs per campaign: they share the recipients (SKIP LOCKED), so two workers both send."""
    return getattr(settings, "CXSMS_CAMPAIGN_LANES", 2)


def dispatch_enqueue(campaign, offset=0.0):
    for _ in range(lanes()):
        jobs.enqueue("campaigns.dispatch", campaign.pk, offset)


def campaign_rate(campaign):
    poc = campaign.point_of_contact
    own = SendRate.objects.filter(point_of_contact=poc).values_list("rate", flat=True).first()
    return rules.send_rate(poc.code_type, own, campaign.rate)


def throttle_reserve(poc_id, units, rate):
    """Reserve `units` segments on the point of contact's throttle; returns the epoch second the batch may start.
    A conditional update on the row's previous value: concurrent reservers each get their own slot."""
    for _ in range(100):
        row = SendRate.objects.filter(point_of_contact_id=poc_id).values_list("pk", "next_free").first()
        if row is None:
            try:
                with transaction.atomic():
                    SendRate.objects.create(point_of_contact_id=poc_id)
            except DatabaseError:
                pass  # made by another dispatcher meanwhile
            continue
        pk, next_free = row
        now = time.time()
        start = max(now, next_free)
        if SendRate.objects.filter(pk=pk, next_free=next_free).update(next_free=start + units / rate):
            return start
    raise RuntimeError("the send throttle stayed contended")


def throttle_add(poc_id, units, rate):
    """Segments beyond what was reserved (a long text): the next reservation starts that much later."""
    if units > 0:
        throttle_reserve(poc_id, units, rate)


def open_zones(campaign, now):
    """The pending recipients' zone sets whose window is open at `now`, and whether any recipient is pending."""
    zones = set(Recipient.objects.filter(campaign=campaign, state=RecipientState.PENDING).values_list("zones", flat=True).distinct())
    tz = campaign.tenant.time_zone
    return [z for z in zones if rules.window_open(z, now, campaign.window_start, campaign.window_end, campaign.days, tz)], bool(zones)


def _claim(campaign, zones, limit):
    qs = Recipient.objects.filter(campaign=campaign, state=RecipientState.PENDING, zones__in=zones).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.only("pk", "number", "fields")[:limit])


def send_batch(campaign, zones, limit, now):
    """Text up to `limit` pending recipients in `zones`, in one transaction. Returns (claimed, segments sent).
    A batch costs the same few statements whatever its size: the claim, the opt-out check, the texts'
    INSERT and the recipients' UPDATE (docs/benchmarks.md). An opted-out number is skipped with the
    reason texts_send refused it with."""
    poc = campaign.point_of_contact
    opt_out = rules.opt_out_line(campaign.tenant, campaign.append_opt_out)
    with transaction.atomic():
        rows = _claim(campaign, zones, limit)
        if not rows:
            return 0, 0
        # The conditional update is the claim. PostgreSQL: the rows are ours, locked above. SQLite: a write
        # after another writer's commit fails (its snapshot is stale), so every row read is still pending.
        claimed_at = timezone.now()  # the batch's slot: its texts' sent time
        claimed = Recipient.objects.filter(pk__in=[r.pk for r in rows], state=RecipientState.PENDING).update(
            state=RecipientState.SENT, sent_at=claimed_at)
        if claimed != len(rows):  # a cancel got in between: roll the batch back, the dispatcher reads again
            raise DatabaseError(f"{len(rows) - claimed} of the batch's recipients moved meanwhile")
        results = outbound.texts_send(point_of_contact=poc, texts=[
            (r.number, rules.template_render(campaign.template, r.fields, opt_out)) for r in rows])
        segments = 0
        for r, result in zip(rows, results):
            if isinstance(result, ValidationError):
                r.state = RecipientState.SKIPPED_OPTED_OUT if optout.is_opt_out_refusal(result) else RecipientState.SKIPPED_INVALID
                r.sent_at, r.error, r.message = None, " ".join(result.messages)[:300], None
            else:
                r.state, r.sent_at, r.error, r.message = RecipientState.SENT, claimed_at, "", result
                segments += result.segments
        Recipient.objects.bulk_update(rows, ["state", "sent_at", "error", "message"])
    return len(rows), segments


def _load(campaign_id):
    return Campaign.objects.select_related("tenant", "point_of_contact__tenant").filter(pk=campaign_id).first()


def dispatch(campaign_id, offset=0.0):
    """The job: send until the campaign is done, paused, cancelled or waiting for its windows, or RUN_FOR has
    passed (then it queues itself again). `offset`: seconds added to the clock for the window (tests' sweeps)."""
    began = time.monotonic()
    while True:
        campaign = _load(campaign_id)
        if campaign is None or campaign.state != CampaignState.RUNNING:
            return "stopped"
        Campaign.objects.filter(pk=campaign_id).update(dispatch_seen_at=timezone.now())
        if not campaign.tenant.sms_messaging_enabled:
            return _idle(campaign_id, "sms off")
        now = timezone.now() + datetime.timedelta(seconds=offset)
        zones, pending = open_zones(campaign, now)
        if not pending:
            Campaign.objects.filter(pk=campaign_id, state=CampaignState.RUNNING).update(state=CampaignState.COMPLETED,
                                                                                        finished_at=timezone.now())
            return "completed"
        if not zones:
            return _idle(campaign_id, "waiting for a window")
        if time.monotonic() - began > RUN_FOR:
            jobs.enqueue("campaigns.dispatch", campaign_id, offset)
            return "handed over"
        rate = campaign_rate(campaign)
        limit = max(1, min(MAX_BATCH, int(rate * BATCH_SECONDS)))
        start = throttle_reserve(campaign.point_of_contact_id, limit, rate)
        if (wait := start - time.time()) > 0:
            time.sleep(wait)
            if Campaign.objects.filter(pk=campaign_id).values_list("state", flat=True).first() != CampaignState.RUNNING:
                return "stopped"
        try:
            claimed, segments = send_batch(campaign, zones, limit, now)
        except DatabaseError as exc:  # SQLite's busy snapshot when two dispatchers meet: the batch rolled back, try again
            log.info("campaign %s batch retried: %s", campaign_id, exc)
            time.sleep(0.05)
            continue
        throttle_add(campaign.point_of_contact_id, segments - limit, rate)
        if claimed == 0:
            time.sleep(0.1)  # the open zones' recipients are held by another dispatcher


def _idle(campaign_id, why):
    # No heartbeat: the next sweep looks again (a window that opened, SMS switched back on).
    Campaign.objects.filter(pk=campaign_id).update(dispatch_seen_at=None)
    return why


def sweep(now=None):
    """Every 5 s: start due scheduled campaigns; restart the dispatch of running ones nobody is sending."""
    real = timezone.now()
    clock = now or real
    offset = (clock - real).total_seconds()
    started = 0
    for c in Campaign.objects.filter(state=CampaignState.SCHEDULED, start_at__lte=clock).only("pk"):
        started += Campaign.objects.filter(pk=c.pk, state=CampaignState.SCHEDULED).update(state=CampaignState.RUNNING, started_at=clock)
    restarted = 0
    silent = Q(dispatch_seen_at__isnull=True) | Q(dispatch_seen_at__lt=real - SILENT_AFTER)
    for c in Campaign.objects.filter(silent, state=CampaignState.RUNNING).only("pk", "dispatch_seen_at"):
        # One sweeper wins the row (every worker's sweep runs on the same seconds).
        if Campaign.objects.filter(pk=c.pk, dispatch_seen_at=c.dispatch_seen_at).update(dispatch_seen_at=real):
            dispatch_enqueue(c, offset)
            restarted += 1
    return {"started": started, "restarted": restarted}
