"""Digital Experience (R15): queues, the filters that place a new case in one, cases and their history,
and the contact card. Messages stay in routing's rooms: a case holds its room (one thread) until it closes."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from routing import patterns

from .choices import CaseState, EntryKind


class Queue(models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="digital_queues")
    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(99)],
                                                help_text="1 is served first.")
    agents = models.ManyToManyField("routing.User", related_name="digital_queues", blank=True)
    is_fallback = models.BooleanField("fallback queue", default=False,
                                      help_text="Cases no filter places go here. Exactly one queue of the tenant is the fallback.")

    class Meta:
        ordering = ["priority", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="digital_queue_name_unique"),
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_fallback=True), name="digital_one_fallback_queue"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.tenant_id and not (self.tenant.sms_messaging_enabled and self.tenant.digital_experience_enabled):
            raise ValidationError("Digital Experience queues need both SMS Messaging and Digital Experience enabled on the tenant.")
        others = Queue.objects.filter(tenant_id=self.tenant_id).exclude(pk=self.pk)
        if self.tenant_id and others.filter(name__iexact=self.name).exists():
            raise ValidationError({"name": "A queue with this name already exists."})
        if self.is_fallback and others.filter(is_fallback=True).exists():
            raise ValidationError({"is_fallback": "Another queue is the fallback already: untick it there first."})


class Filter(models.Model):
    """Places a new case in its queue when every condition it has holds (blank: any)."""
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="digital_filters")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="filters")
    position = models.PositiveIntegerField(default=10, help_text="Filters are tried in ascending order; the first that matches wins.")
    name = models.CharField(max_length=100, blank=True)
    point_of_contact = models.ForeignKey("routing.PointOfContact", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                         help_text="Only texts to this number (empty: any).")
    keywords = models.CharField(max_length=300, blank=True,
                                help_text="Comma-separated; matches when the first message has any of them as a word, any case.")
    pattern = models.CharField("regular expression", max_length=patterns.MAX_LENGTH, blank=True, validators=[patterns.pattern_validate],
                               help_text="Matched against the first message (empty: any).")
    tags = models.CharField("contact tags", max_length=300, blank=True, help_text="Comma-separated; the contact has any of them.")
    hours_start = models.TimeField("from", null=True, blank=True, help_text="Business hours in the tenant's time zone (empty: any time).")
    hours_end = models.TimeField("until", null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name or f"Filter {self.position}"

    def clean(self):
        if (self.hours_start is None) != (self.hours_end is None):
            raise ValidationError({"hours_end": "Give both ends of the business hours, or neither."})
        if self.queue_id and self.tenant_id and self.queue.tenant_id != self.tenant_id:
            raise ValidationError({"queue": "Choose a queue of this tenant."})
        if self.point_of_contact_id and self.tenant_id and self.point_of_contact.tenant_id != self.tenant_id:
            raise ValidationError({"point_of_contact": "Choose a point of contact of this tenant."})


def split_list(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class Case(models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="digital_cases")
    room = models.OneToOneField("routing.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="case")
    point_of_contact = models.ForeignKey("routing.PointOfContact", on_delete=models.PROTECT, related_name="+")
    contact_number = models.CharField(max_length=20)
    poc_number = models.CharField(max_length=20)
    state = models.CharField(max_length=10, choices=CaseState.choices, default=CaseState.NEW)
    queue = models.ForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases")
    matched_filter = models.ForeignKey(Filter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    agent = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="digital_cases")
    # Reopened by the contact: routed to this agent first (the one who resolved it), if they have room.
    preferred_agent = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(default=timezone.now)  # queue order after priority
    assigned_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # R7, started by accept or the first send
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    unread = models.PositiveIntegerField(default=0)  # contact texts since the agent last looked
    first_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["tenant", "state", "agent"], name="digital_case_state_idx"),
                   models.Index(fields=["tenant", "contact_number"], name="digital_case_contact_idx"),
                   # The timers' sweep (every second) and the dispatch read only these few rows, never the closed millions.
                   models.Index(fields=["offer_expires_at"], condition=models.Q(state=CaseState.NEW, agent__isnull=False),
                                name="digital_case_offer_due_idx"),
                   models.Index(fields=["expires_at"], condition=~models.Q(state=CaseState.CLOSED), name="digital_case_expiry_idx"),
                   models.Index(fields=["tenant", "waiting_since"], condition=models.Q(state=CaseState.NEW, agent__isnull=True),
                                name="digital_case_waiting_idx")]
        constraints = [models.UniqueConstraint(fields=["point_of_contact", "contact_number"], condition=~models.Q(state=CaseState.CLOSED),
                                               name="digital_one_live_case_per_thread")]

    def __str__(self):
        return f"Case {self.pk} ({self.contact_number})"


class CaseEntry(models.Model):
    """One line of a case's history: who did what when, from which state to which; notes too."""
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    actor = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=10, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=CaseState.choices, blank=True)
    agent = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
