import datetime

from django.core.exceptions import ValidationError
from django.db import models

from .choices import CampaignState, ListState, RecipientState

WINDOW_EARLIEST, WINDOW_LATEST = datetime.time(8, 0), datetime.time(21, 0)  # the legal quiet hours: never wider


class ContactList(models.Model):
    """An uploaded CSV of contacts: E.164 numbers and the other columns as merge fields."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="contact_lists")
    name = models.CharField(max_length=100)
    phone_column = models.CharField(max_length=100, default="phone")
    country = models.CharField(max_length=2, default="US", help_text="The country of numbers written without +country code.")
    columns = models.JSONField(default=list, blank=True)  # the merge fields: every column but the phone column
    state = models.CharField(max_length=10, choices=ListState.choices, default=ListState.IMPORTING)
    rows = models.PositiveIntegerField(default=0)  # data rows read (all uploads)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line": N, "reason": "..."}], the first MAX_ERRORS
    created_at = models.DateTimeField(auto_now_add=True)
    # The upload being imported: its size and how far the import has read (the progress bar), the data rows of it
    # already committed (a restarted import goes on after them) and the importing job's heartbeat.
    file_size = models.BigIntegerField(default=0)
    file_done = models.BigIntegerField(default=0)
    import_rows_done = models.PositiveIntegerField(default=0)
    import_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name


class ContactListEntry(models.Model):
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="entries")
    number = models.CharField(max_length=64)  # E.164 (a tombstone once erased)
    fields = models.JSONField(default=dict)
    line = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["contact_list", "number"], name="campaigns_entry_unique_number")]


class UploadChunk(models.Model):
    """A large upload kept in the database while the task engine imports it (any worker of any host can read it);
    deleted once imported."""

    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="upload_chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_list", "seq"], name="campaigns_upload_chunk_unique_seq")]


class Campaign(models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=100)
    point_of_contact = models.ForeignKey("routing.PointOfContact", on_delete=models.PROTECT, related_name="campaigns")
    contact_list = models.ForeignKey(ContactList, on_delete=models.PROTECT, related_name="campaigns")
    template = models.TextField(help_text="Merge fields from the list's columns: {first_name}, with a fallback {first_name|there}.")
    append_opt_out = models.BooleanField("append the opt-out line", default=True,
                                         help_text="The line set in Settings (“Reply STOP to opt out” unless changed there).")
    start_at = models.DateTimeField(null=True, blank=True, help_text="Empty: when started.")
    window_start = models.TimeField(default=WINDOW_EARLIEST)
    window_end = models.TimeField(default=WINDOW_LATEST)
    days = models.JSONField(default=list, blank=True, help_text="Days of the week texts may go (0 is Monday); empty: every day.")
    rate = models.FloatField(null=True, blank=True, help_text="Texts per second; empty: the point of contact's rate for its code type.")
    state = models.CharField(max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dispatch_seen_at = models.DateTimeField(null=True, blank=True)  # a dispatcher's heartbeat: the sweep restarts a silent one

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    def clean(self):
        from . import rules  # rules import the models' constants

        errors = {}
        if self.window_start is not None and self.window_end is not None:
            if self.window_start < WINDOW_EARLIEST or self.window_end > WINDOW_LATEST:
                errors["window_end" if self.window_end > WINDOW_LATEST else "window_start"] = (
                    "Texts go only between 08:00 and 21:00 in the recipient's time; the window can be narrower, never wider.")
            elif self.window_start >= self.window_end:
                errors["window_end"] = "The window must end after it starts."
        if not isinstance(self.days, list) or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in self.days):
            errors["days"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
        if self.rate is not None and not 0 < self.rate <= 1000:
            errors["rate"] = "The rate is between 0 and 1000 texts per second."
        if self.template is not None and self.contact_list_id:
            try:
                rules.template_check(self.template, self.contact_list.columns)
            except ValidationError as exc:
                errors["template"] = exc.messages
        if errors:
            raise ValidationError(errors)


class Recipient(models.Model):
    """One number of a running campaign, copied from its list when the campaign starts."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    number = models.CharField(max_length=64)
    fields = models.JSONField(default=dict)
    zones = models.CharField(max_length=200, blank=True)  # the number's time zones, comma-separated ("" : the tenant's)
    state = models.CharField(max_length=20, choices=RecipientState.choices, default=RecipientState.PENDING)
    message = models.ForeignKey("routing.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="campaigns_recipient_unique_number")]
        indexes = [models.Index(fields=["campaign", "state", "zones"], name="campaigns_recipient_claim")]


class SendRate(models.Model):
    """A point of contact's shared throttle: the next free send moment, held in the database so every
    worker and process (and every campaign on the number) shares one rate; `rate` overrides the code type's default."""

    point_of_contact = models.OneToOneField("routing.PointOfContact", on_delete=models.CASCADE, related_name="send_rate")
    rate = models.FloatField(null=True, blank=True)
    next_free = models.FloatField(default=0.0)  # epoch seconds
