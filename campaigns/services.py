"""Writes: contact lists, campaigns and their states. Keyword-only, each in a transaction (a list import
commits batch by batch, so its progress shows while it runs and memory stays flat)."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from routing.choices import Channel

from . import dispatch, imports, rules
from .choices import CampaignState, ListState, RecipientState
from .models import Campaign, ContactList, ContactListEntry, Recipient

# --- contact lists -------------------------------------------------------------------------------


def default_country(tenant, point_of_contact=None):
    """The country a number without +country code belongs to: the point of contact's, else the tenant's first SMS number's."""
    if point_of_contact is not None and point_of_contact.country_id:
        return point_of_contact.country_id
    poc = tenant.points_of_contact.filter(channel=Channel.SMS, country__isnull=False).order_by("pk").first()
    return poc.country_id if poc else "US"


def contact_list_import(*, tenant, name, file, phone_column="phone", country=None):
    """A new list from a CSV upload. A file that cannot be read is refused and nothing is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the list a name."})
    if file is None:
        raise ValidationError({"file": "Choose a CSV file to upload."})
    country = (country or default_country(tenant)).upper()
    columns, batches = imports.read_rows(file, phone_column, country)  # raises before anything is stored
    with transaction.atomic():
        contact_list = ContactList.objects.create(tenant=tenant, name=name[:100], phone_column=(phone_column or "phone").strip(),
                                                  country=country, columns=columns, state=ListState.IMPORTING)
    return _import_batches(contact_list, batches)


def contact_list_append(*, contact_list, file):
    """More rows into a list, with the same header row; numbers already in it count as duplicates."""
    if file is None:
        raise ValidationError({"file": "Choose a CSV file to upload."})
    _, batches = imports.read_rows(file, contact_list.phone_column, contact_list.country, columns_expected=contact_list.columns)
    ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.IMPORTING)
    return _import_batches(contact_list, batches)


def _import_batches(contact_list, batches):
    errors = list(contact_list.errors)
    try:
        for batch in batches:
            with transaction.atomic():
                unique = {}
                for line, number, fields in batch.rows:
                    unique.setdefault(number, (line, fields))
                in_list = ContactListEntry.objects.filter(contact_list=contact_list, number__in=list(unique))
                known = set(in_list.values_list("number", flat=True))
                new = [ContactListEntry(contact_list=contact_list, number=n, fields=fl, line=ln)
                       for n, (ln, fl) in unique.items() if n not in known]
                ContactListEntry.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent append of the same number: counted once
                room = max(0, imports.MAX_ERRORS - len(errors))
                errors.extend({"line": line, "reason": reason} for line, reason in batch.errors[:room])
                ContactList.objects.filter(pk=contact_list.pk).update(
                    rows=F("rows") + batch.read, accepted=F("accepted") + len(new), duplicates=F("duplicates") + len(batch.rows) - len(new),
                    rejected=F("rejected") + sum(1 for e in batch.errors if "more than" not in e[1]), errors=errors)
    except BaseException:
        ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.FAILED)
        raise
    ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.READY)
    contact_list.refresh_from_db()
    return contact_list


def contact_list_delete(*, contact_list):
    if contact_list.campaigns.exists():
        raise ValidationError("Campaigns use this list: delete them first.")
    contact_list.delete()


# --- campaigns -----------------------------------------------------------------------------------

EDITABLE_STATES = (CampaignState.DRAFT, CampaignState.SCHEDULED)


@transaction.atomic
def campaign_save(*, campaign):
    """Create or edit a campaign (a draft or a scheduled one: a started campaign's text is what was sent)."""
    if campaign.pk:
        stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if stored.state not in EDITABLE_STATES:
            raise ValidationError(f"A {stored.get_state_display().lower()} campaign cannot be changed.")
    if campaign.point_of_contact_id:
        poc = campaign.point_of_contact
        if poc.tenant_id != campaign.tenant_id or poc.channel != Channel.SMS:
            raise ValidationError({"point_of_contact": "Choose an SMS point of contact of this company."})
    if campaign.contact_list_id and campaign.contact_list.tenant_id != campaign.tenant_id:
        raise ValidationError({"contact_list": "Choose a contact list of this company."})
    if campaign.contact_list_id and campaign.contact_list.state != ListState.READY:
        raise ValidationError({"contact_list": "The list is still importing (or its import failed)."})
    campaign.full_clean()
    campaign.save()
    return campaign


def _lock(campaign):
    return Campaign.objects.select_for_update().select_related("tenant", "point_of_contact", "contact_list").get(pk=campaign.pk)


def _refuse(campaign, verb):
    raise ValidationError(f"A {campaign.get_state_display().lower()} campaign cannot be {verb}.")


def _materialize(campaign):
    """The recipients, copied from the list with their time zones (once: the campaign starts once)."""
    if campaign.recipients.exists():
        return
    batch = []
    for entry in campaign.contact_list.entries.order_by("pk").iterator(chunk_size=5000):
        batch.append(Recipient(campaign=campaign, number=entry.number, fields=entry.fields, zones=rules.number_zones(entry.number)))
        if len(batch) >= 5000:
            Recipient.objects.bulk_create(batch)
            batch = []
    Recipient.objects.bulk_create(batch)


@transaction.atomic
def campaign_start(*, campaign, now=None):
    """Draft → running (or scheduled when its start is in the future)."""
    now = now or timezone.now()
    campaign = _lock(campaign)
    if campaign.state != CampaignState.DRAFT:
        _refuse(campaign, "started")
    if not campaign.tenant.sms_messaging_enabled:
        raise ValidationError("SMS Messaging is switched off for this company: switch it on in Settings first.")
    try:
        rules.template_check(campaign.template, campaign.contact_list.columns)
    except ValidationError as exc:
        raise ValidationError({"template": exc.messages})
    _materialize(campaign)
    if campaign.start_at and campaign.start_at > now:
        campaign.state = CampaignState.SCHEDULED
    else:
        campaign.state, campaign.started_at = CampaignState.RUNNING, now
    campaign.save(update_fields=["state", "started_at"])
    if campaign.state == CampaignState.RUNNING:
        dispatch.dispatch_enqueue(campaign)
    return campaign


@transaction.atomic
def campaign_pause(*, campaign):
    campaign = _lock(campaign)
    if campaign.state not in (CampaignState.RUNNING, CampaignState.SCHEDULED):
        _refuse(campaign, "paused")
    campaign.state = CampaignState.PAUSED
    campaign.save(update_fields=["state"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign):
    campaign = _lock(campaign)
    if campaign.state != CampaignState.PAUSED:
        _refuse(campaign, "resumed")
    now = timezone.now()
    if campaign.started_at is None and campaign.start_at and campaign.start_at > now:
        campaign.state = CampaignState.SCHEDULED  # paused before its start: back to waiting for it
    else:
        campaign.state, campaign.started_at = CampaignState.RUNNING, campaign.started_at or now
    campaign.save(update_fields=["state", "started_at"])
    if campaign.state == CampaignState.RUNNING:
        dispatch.dispatch_enqueue(campaign)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign, now=None):
    """Stops for good: recipients not yet texted are marked as not sent (a dispatcher mid-batch finds no pending row)."""
    campaign = _lock(campaign)
    if campaign.state in (CampaignState.COMPLETED, CampaignState.CANCELLED):
        _refuse(campaign, "cancelled")
    Recipient.objects.filter(campaign=campaign, state=RecipientState.PENDING).update(state=RecipientState.CANCELLED)
    campaign.state, campaign.finished_at = CampaignState.CANCELLED, now or timezone.now()
    campaign.save(update_fields=["state", "finished_at"])
    return campaign


def campaign_delete(*, campaign):
    if campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED, CampaignState.SCHEDULED):
        raise ValidationError("Cancel the campaign before deleting it.")
    campaign.delete()


@transaction.atomic
def send_rate_set(*, point_of_contact, rate):
    if rate is not None and not 0 < rate <= 1000:
        raise ValidationError({"rate": "The rate is between 0 and 1000 texts per second."})
    from .models import SendRate

    try:
        SendRate.objects.update_or_create(point_of_contact=point_of_contact, defaults={"rate": rate})
    except IntegrityError:
        SendRate.objects.filter(point_of_contact=point_of_contact).update(rate=rate)


