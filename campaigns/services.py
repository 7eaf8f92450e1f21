"""Writes: contact lists, campaigns and their states. Keyword-only, each in a transaction (a list import
commits batch by batch, so its progress shows while it runs and memory stays flat)."""
import datetime
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from routing import jobs
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


def _file_size(file):
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def import_in_background(size):
    """A file this large is imported by the task engine (the request only stores it); smaller ones in the request."""
    return size > getattr(settings, "CXSMS_CAMPAIGN_IMPORT_INLINE_BYTES", 256 * 1024)


def contact_list_import(*, tenant, name, file, phone_column="phone", country=None):
    """A new list from a CSV upload. A file that cannot be read is refused and nothing is kept. A large file is
    stored and imported by a job on the campaigns queue: the list is returned while it imports (state importing)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the list a name."})
    if file is None:
        raise ValidationError({"file": "Choose a CSV file to upload."})
    country = (country or default_country(tenant)).upper()
    phone_column = (phone_column or "phone").strip()
    size = _file_size(file)
    if import_in_background(size):
        with transaction.atomic():
            contact_list = ContactList.objects.create(tenant=tenant, name=name[:100], phone_column=phone_column, country=country,
                                                      state=ListState.IMPORTING, file_size=size)
            _store_for_job(contact_list, file)
        contact_list.refresh_from_db()  # imported already where jobs run when enqueued (tests, one-process set-ups)
        return contact_list
    columns, batches = imports.read_rows(file, phone_column, country)  # raises before anything is stored
    with transaction.atomic():
        contact_list = ContactList.objects.create(tenant=tenant, name=name[:100], phone_column=phone_column,
                                                  country=country, columns=columns, state=ListState.IMPORTING, file_size=size)
    return _import_batches(contact_list, batches)


def contact_list_append(*, contact_list, file):
    """More rows into a list, with the same header row; numbers already in it count as duplicates."""
    if file is None:
        raise ValidationError({"file": "Choose a CSV file to upload."})
    size = _file_size(file)
    with transaction.atomic():
        locked = ContactList.objects.select_for_update().get(pk=contact_list.pk)
        if locked.state == ListState.IMPORTING:
            raise ValidationError({"file": "The list is still importing: append when it is ready."})
        if import_in_background(size):
            ContactList.objects.filter(pk=locked.pk).update(state=ListState.IMPORTING, file_size=size, file_done=0, import_rows_done=0,
                                                            import_seen_at=None)
            _store_for_job(locked, file, columns_expected=locked.columns)
    if import_in_background(size):
        locked.refresh_from_db()
        return locked
    _, batches = imports.read_rows(file, contact_list.phone_column, contact_list.country, columns_expected=contact_list.columns)
    ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.IMPORTING, file_size=size, file_done=0, import_rows_done=0)
    return _import_batches(contact_list, batches)


def _store_for_job(contact_list, file, columns_expected=None):
    """Inside the caller's transaction: check the header row (a ValidationError rolls everything back), store the file
    in chunks any worker can read, and queue its import after commit."""
    size = imports.upload_store(contact_list.pk, file)
    stored = imports.upload_open(contact_list.pk, size)
    columns, _ = imports.read_rows(stored, contact_list.phone_column, contact_list.country, columns_expected=columns_expected)
    if columns_expected is None:
        ContactList.objects.filter(pk=contact_list.pk).update(columns=columns)
        contact_list.columns = columns
    jobs.enqueue("campaigns.import", contact_list.pk)
    return contact_list


IMPORT_SILENT_AFTER = datetime.timedelta(seconds=30)  # an import job beats every batch; silent this long, the sweep restarts it


def contact_list_import_run(contact_list_id):
    """The job: import a stored upload, batch by batch, going on after the rows an interrupted run committed. Idempotent:
    a list that is not importing, or whose import another job is running (its heartbeat is fresh), is left alone."""
    contact_list = ContactList.objects.filter(pk=contact_list_id, state=ListState.IMPORTING).first()
    if contact_list is None or not contact_list.upload_chunks.exists():
        return "nothing to import"
    now = timezone.now()
    seen = contact_list.import_seen_at
    if seen is not None and now - seen < IMPORT_SILENT_AFTER:
        return "another job imports it"
    if not ContactList.objects.filter(pk=contact_list.pk, import_seen_at=seen).update(import_seen_at=now):
        return "another job imports it"
    f = imports.upload_open(contact_list.pk, contact_list.file_size)
    try:
        _, batches = imports.read_rows(f, contact_list.phone_column, contact_list.country, columns_expected=contact_list.columns,
                                       skip_rows=contact_list.import_rows_done)
        _import_batches(contact_list, batches)
    except ValidationError as exc:  # the header was checked at upload: only a changed list gets here
        ContactList.objects.filter(pk=contact_list.pk).update(
            state=ListState.FAILED, errors=list(contact_list.errors) + [{"line": 1, "reason": " ".join(exc.messages)}])
    finally:
        contact_list.upload_chunks.all().delete()
    return "imported"


def contact_list_import_sweep(now=None):
    """Part of the campaigns sweep: restart the import of a stored upload whose job was lost (a killed worker)."""
    now = now or timezone.now()
    stale = Q(import_seen_at__isnull=True, created_at__lt=now - IMPORT_SILENT_AFTER) | Q(import_seen_at__lt=now - IMPORT_SILENT_AFTER)
    ids = list(ContactList.objects.filter(stale, state=ListState.IMPORTING, upload_chunks__isnull=False).values_list("pk", flat=True)
               .distinct())
    for pk in ids:
        jobs.enqueue("campaigns.import", pk)
    return len(ids)


def _entry_sql():
    """(SELECT of the numbers a batch shares with the list, INSERT of a batch's new entries for executemany): the ORM
    builds a model instance and SQL per row and compiles an IN of 2,000 values slowly, which was a third of the import's
    time. Table and columns from the model; a conflict (a concurrent append of the same number) is skipped."""
    meta = ContactListEntry._meta
    q = connection.ops.quote_name
    table, list_col, number_col, fields_col, line_col = (q(meta.db_table), *(q(meta.get_field(n).column)
                                                                             for n in ("contact_list", "number", "fields", "line")))
    known = f"SELECT {number_col} FROM {table} WHERE {list_col} = %s AND {number_col} IN ({{}})"
    insert = f"INSERT INTO {table} ({list_col}, {number_col}, {fields_col}, {line_col}) VALUES (%s, %s, %s, %s)"
    if connection.vendor == "postgresql":
        return known, insert + " ON CONFLICT DO NOTHING"
    return known, insert.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)


def _import_batches(contact_list, batches):
    errors = list(contact_list.errors)
    known_sql, insert_sql = _entry_sql()
    try:
        for batch in batches:
            with transaction.atomic():
                unique = {}
                for line, number, fields in batch.rows:
                    unique.setdefault(number, (line, fields))
                with connection.cursor() as cursor:
                    known = set()
                    if unique:
                        cursor.execute(known_sql.format(", ".join(["%s"] * len(unique))), [contact_list.pk, *unique])
                        known = {row[0] for row in cursor.fetchall()}
                    new = [(contact_list.pk, n, json.dumps(fl, ensure_ascii=False), ln) for n, (ln, fl) in unique.items() if n not in known]
                    if new:
                        cursor.executemany(insert_sql, new)
                room = max(0, imports.MAX_ERRORS - len(errors))
                errors.extend({"line": line, "reason": reason} for line, reason in batch.errors[:room])
                ContactList.objects.filter(pk=contact_list.pk).update(
                    rows=F("rows") + batch.read, accepted=F("accepted") + len(new), duplicates=F("duplicates") + len(batch.rows) - len(new),
                    rejected=F("rejected") + sum(1 for e in batch.errors if "more than" not in e[1]), errors=errors,
                    import_rows_done=F("import_rows_done") + batch.read, file_done=batch.position, import_seen_at=timezone.now())
    except BaseException:
        ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.FAILED)
        raise
    ContactList.objects.filter(pk=contact_list.pk).update(state=ListState.READY, file_done=F("file_size"), import_seen_at=None)
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
    # Only the campaign row: locking the joined tenant and number too made a cancel and a dispatcher
    # (whose texts reference them) wait for each other, a deadlock on PostgreSQL.
    return Campaign.objects.select_for_update(of=("self",)).select_related("tenant", "point_of_contact", "contact_list").get(pk=campaign.pk)


def _refuse(campaign, verb):
    raise ValidationError(f"A {campaign.get_state_display().lower()} campaign cannot be {verb}.")


def _materialize(campaign):
    """The recipients, copied from the list with their time zones (once: the campaign starts once)."""
    if campaign.recipients.exists():
        return
    meta = Recipient._meta
    q = connection.ops.quote_name
    cols = [q(meta.get_field(n).column) for n in ("campaign", "number", "fields", "zones", "state", "error")]
    # One INSERT per 5,000 (executemany), as the list's import: model instances per row were most of a large start's time.
    sql = f"INSERT INTO {q(meta.db_table)} ({', '.join(cols)}) VALUES (%s, %s, %s, %s, %s, %s)"
    batch = []
    entries = campaign.contact_list.entries.order_by("pk").values_list("number", "fields")
    with connection.cursor() as cursor:
        for number, fields in entries.iterator(chunk_size=5000):
            zones = rules.number_zones(number)
            batch.append((campaign.pk, number, json.dumps(fields, ensure_ascii=False), zones, RecipientState.PENDING, ""))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


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


