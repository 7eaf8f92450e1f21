"""Reads: tenant-scoped lists and campaigns, progress counts, recipients with their delivery state."""
import datetime

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from routing import sms
from routing.choices import MessageStatus
from routing.models import Contact

from . import rules
from .choices import CampaignState, ListState, RecipientState
from .models import Campaign, ContactList, ContactListEntry, Recipient, SendRate


def _scoped(qs, user):
    if user.is_superuser:
        return qs
    if not user.is_authenticated or user.tenant_id is None:
        return qs.none()
    return qs.filter(tenant_id=user.tenant_id)


def contact_lists_for(user):
    return _scoped(ContactList.objects.all(), user)


def campaigns_for(user):
    return _scoped(Campaign.objects.select_related("point_of_contact", "contact_list"), user)


def _opted_out(tenant_id):
    return Exists(Contact.objects.filter(tenant_id=tenant_id, number=OuterRef("number"), opted_out=True))


def entries_of(contact_list):
    """The list's rows, each marked `opted_out` (the contact's opt-out as it is now)."""
    return ContactListEntry.objects.filter(contact_list=contact_list).annotate(opted_out=_opted_out(contact_list.tenant_id)).order_by("pk")


# A sent recipient's state is its text's: the outbox and the carrier's status callbacks move it (never backwards).
DELIVERY_STATES = Case(
    When(state=RecipientState.SENT, message__status__in=[MessageStatus.DELIVERED, MessageStatus.READ], then=Value("delivered")),
    When(state=RecipientState.SENT, message__status=MessageStatus.UNDELIVERED, then=Value("undelivered")),
    When(state=RecipientState.SENT, message__status=MessageStatus.FAILED, then=Value("failed")),
    When(state=RecipientState.SENT, message__status=MessageStatus.SENT, then=Value("sent")),
    When(state=RecipientState.SENT, then=Value("queued")),
    default="state", output_field=CharField())
RECIPIENT_STATES = ["pending", "queued", "sent", "delivered", "undelivered", "failed", "skipped_opted_out", "skipped_invalid", "cancelled"]


def recipients_of(campaign):
    return Recipient.objects.filter(campaign=campaign).annotate(status=DELIVERY_STATES).order_by("pk")


def send_rate_of(campaign):
    poc = campaign.point_of_contact
    own = SendRate.objects.filter(point_of_contact=poc).values_list("rate", flat=True).first()
    return rules.send_rate(poc.code_type, own, campaign.rate)


def progress(campaign, now=None):
    """The progress counts, the rate (set and achieved over the last minute) and an estimated end."""
    now = now or timezone.now()
    counts = dict.fromkeys(("pending", "waiting_window", "sent", "delivered", "failed", "skipped_opted_out", "skipped_invalid",
                            "cancelled"), 0)
    tz = campaign.tenant.time_zone
    for zones, n in Recipient.objects.filter(campaign=campaign, state=RecipientState.PENDING).values_list("zones").annotate(n=Count("pk")):
        key = "pending" if rules.window_open(zones, now, campaign.window_start, campaign.window_end, campaign.days,
                                             tz) else "waiting_window"
        counts[key] += n
    by_status = recipients_of(campaign).exclude(state=RecipientState.PENDING).values_list("status").annotate(n=Count("pk")).order_by()
    for status, n in by_status:
        key = {"queued": "sent", "undelivered": "failed"}.get(status, status)
        counts[key] = counts.get(key, 0) + n
    total = sum(counts.values())
    recent = Recipient.objects.filter(campaign=campaign, sent_at__gte=now - datetime.timedelta(seconds=60)).count()
    rate = send_rate_of(campaign)
    to_go = counts["pending"] + counts["waiting_window"]
    achieved = recent / 60.0
    estimate = None
    if campaign.state == CampaignState.RUNNING and to_go:
        estimate = now + datetime.timedelta(seconds=to_go / rate)
    return {"total": total, **counts, "to_go": to_go, "rate": rate, "achieved_rate": round(achieved, 2),
            "estimated_end": estimate.isoformat() if estimate else None, "state": campaign.state}


def progress_many(campaigns):
    """Compact progress for a list page: done / total per campaign id."""
    rows = Recipient.objects.filter(campaign__in=campaigns).values("campaign_id").annotate(
        total=Count("pk"), done=Count("pk", filter=~Q(state=RecipientState.PENDING)))
    return {r["campaign_id"]: (r["done"], r["total"]) for r in rows}


def import_progress(contact_list):
    """A list's import as it stands: how far through the file, rows read, accepted, duplicates, refused; the refused
    rows (line and reason, the first 1,000) once it is done."""
    contact_list.refresh_from_db(fields=["state", "rows", "accepted", "duplicates", "rejected", "errors", "file_size", "file_done"])
    done = contact_list.state != ListState.IMPORTING
    return {"state": contact_list.state, "state_display": contact_list.get_state_display(), "done": done,
            "rows": contact_list.rows, "accepted": contact_list.accepted, "duplicates": contact_list.duplicates,
            "rejected": contact_list.rejected, "file_size": contact_list.file_size,
            "file_done": min(contact_list.file_done, contact_list.file_size), "percent": import_percent(contact_list),
            "errors": contact_list.errors if done else []}


def import_percent(contact_list):
    if contact_list.state != ListState.IMPORTING:
        return 100
    size = contact_list.file_size
    return min(99, int(100 * contact_list.file_done / size)) if size else 0


def preview(template, contact_list, append_opt_out, n=5):
    """The first recipients' texts with their encoding and segments (routing.sms counts like the carriers)."""
    opt_out = rules.opt_out_line(contact_list.tenant, append_opt_out)
    out = []
    for entry in contact_list.entries.order_by("pk")[:n]:
        body = rules.template_render(template, entry.fields, opt_out)
        encoding, segments = sms.encoding_and_segments(body)
        out.append({"number": entry.number, "body": body, "encoding": encoding, "segments": segments, "characters": len(body)})
    return out
