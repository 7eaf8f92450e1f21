"""What agents work with in the workspace besides rooms: canned responses, dispositions and unavailable reasons."""
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

MERGE_FIELDS = ("{contact_name}", "{agent_name}")
# Reasons the system gives, never chosen by an agent: set Unavailable because an offer timed out.
OFFER_TIMED_OUT = "Offer timed out"
SYSTEM_REASONS = (OFFER_TIMED_OUT,)


class CannedResponse(models.Model):
    """A prepared reply: tenant-wide (no owner; administrators write them) or an agent's own."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="canned_responses")
    owner = models.ForeignKey("routing.User", on_delete=models.CASCADE, null=True, blank=True, related_name="canned_responses",
                              help_text="Empty: for everyone in the tenant. Else the agent's own.")
    name = models.CharField(max_length=80)
    shortcut = models.SlugField(max_length=30, blank=True, help_text="Typed after / in the composer, for example thanks.")
    body = models.TextField(max_length=1600, help_text="May use {contact_name} and {agent_name}.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("shortcut"), "tenant", "owner", condition=~models.Q(shortcut=""), name="canned_unique_shortcut",
                                    violation_error_message="This shortcut is already used."),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if not (self.body or "").strip():
            raise ValidationError({"body": "Write the text of the response."})
        if self.owner_id and self.tenant_id and self.owner.tenant_id != self.tenant_id:
            raise ValidationError({"owner": "Choose a person of this tenant."})


class Disposition(models.Model):
    """A wrap-up code chosen when a conversation ends; for some skills (none: every skill), and
    possibly required there."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="dispositions")
    name = models.CharField(max_length=80)
    skills = models.ManyToManyField("routing.Skill", blank=True, related_name="dispositions",
                                    help_text="The skills whose conversations use it. None: every skill.")
    required = models.BooleanField(default=False, help_text="A conversation of these skills cannot end without a disposition.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), "tenant", name="disposition_unique_name",
                                               violation_error_message="A disposition with this name already exists.")]

    def __str__(self):
        return self.name


class UnavailableReason(models.Model):
    """Why an agent is unavailable (break, lunch, …): the tenant's administrators keep the list, the
    agent picks one when going unavailable. The state history keeps the name as it was, so a
    renamed or removed reason does not rewrite past reports."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="unavailable_reasons")
    name = models.CharField(max_length=60)
    is_active = models.BooleanField(default=True, help_text="Inactive reasons are not offered to agents; past reports keep them.")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), "tenant", name="unavailable_reason_unique_name",
                                               violation_error_message="A reason with this name already exists.")]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": "Name the reason."})
        if self.name.lower() in {r.lower() for r in SYSTEM_REASONS}:
            raise ValidationError({"name": "This name is kept for the reason the system gives."})
