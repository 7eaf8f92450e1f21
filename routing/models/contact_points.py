import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .. import patterns, rules
from ..choices import Channel, CodeType, Provider, RuleKind

DEFAULT_ACK = "Thanks for your message — an agent will be with you shortly."


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekdays_label(days):
    chosen = sorted({int(d) for d in days or "" if d in "0123456"})
    if len(chosen) == 7:
        return "every day"
    runs, start = [], None
    for i, d in enumerate(chosen):  # consecutive days as one range (three or more)
        start = d if start is None else start
        if i + 1 == len(chosen) or chosen[i + 1] != d + 1:
            runs.append(f"{DAY_NAMES[start]}–{DAY_NAMES[d]}" if d - start >= 2 else
                        ", ".join(DAY_NAMES[x] for x in range(start, d + 1)))
            start = None
    return ", ".join(runs)


class Country(models.Model):
    """R5: which code types a country allows; edited by the platform operator."""

    code = models.CharField("ISO 3166 alpha-2", max_length=2, unique=True)
    name = models.CharField(max_length=80)
    long = models.BooleanField("long codes", default=True)
    toll_free = models.BooleanField("toll-free long codes", default=False)
    short = models.BooleanField("short codes", default=False)
    digital = models.BooleanField("allowed in Digital Experience mode", default=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        self.code = (self.code or "").upper()
        if len(self.code) != 2 or not self.code.isalpha():
            raise ValidationError({"code": "Use the two-letter ISO 3166 code, for example US."})

    def allowed_code_types(self):
        return [c for c, ok in ((CodeType.LONG, self.long), (CodeType.TOLL_FREE, self.toll_free), (CodeType.SHORT, self.short)) if ok]

    def allows(self, code_type):
        return code_type in self.allowed_code_types()


class CarrierAccount(models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="carrier_accounts")
    name = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=12, choices=Provider.choices, default=Provider.SIMULATOR)
    account_sid = models.CharField("account SID", max_length=64, blank=True)
    # Stored to sign and verify carrier traffic; never shown back by any page or API.
    auth_token = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "account_sid"], name="carrier_unique_sid",
                                               violation_error_message="This tenant already has a carrier account with this SID.")]

    def __str__(self):
        return self.name or f"{self.get_provider_display()} {self.account_sid}"

    def clean(self):
        if self.tenant_id:
            rules.tenant_require_sms(self.tenant, "provider", "carrier accounts")
            rules.unique_in_tenant(self, "account_sid", "This tenant already has a carrier account with this SID.")
        if self.provider == Provider.TWILIO:
            errors = {}
            if not self.account_sid.startswith("AC"):
                errors["account_sid"] = "A Twilio account SID starts with AC."
            if not self.auth_token:
                errors["auth_token"] = "Twilio needs the account's auth token to sign and verify requests."
            if errors:
                raise ValidationError(errors)
        else:
            if not self.account_sid:
                self.account_sid = "SIM" + secrets.token_hex(16)
            if not self.auth_token:
                self.auth_token = secrets.token_hex(16)


class PointOfContact(models.Model):
    """A number contacts text (SMS) or a web chat entry point (chat)."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="points_of_contact")
    name = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    number = models.CharField(max_length=20, blank=True, help_text="E.164, for example +12125550160; short codes as digits.")
    country = models.ForeignKey(Country, to_field="code", db_column="country", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="points_of_contact")
    code_type = models.CharField(max_length=10, choices=CodeType.choices, blank=True)
    carrier_account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="points_of_contact")
    skill = models.ForeignKey("routing.Skill", verbose_name="default skill", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="default_for")
    slug = models.SlugField(max_length=60, blank=True,
                            help_text="Chat only: contacts chat at /chat/ followed by this address, for example /chat/porridge/.")
    after_hours_reply = models.CharField(max_length=320, blank=True,
                                         help_text="Sent when a text arrives outside every business-hours rule of the routing script.")
    # An acknowledgement to a contact whose room has waited this long without an agent (off when empty).
    ack_after_seconds = models.PositiveIntegerField(
        "acknowledge after (seconds)", null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text="Send the acknowledgement below once a conversation has waited this long for an agent. Empty: never.")
    ack_reply = models.CharField("acknowledgement", max_length=320, blank=True, default=DEFAULT_ACK)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["channel", "number", "slug"]
        verbose_name = "point of contact"
        verbose_name_plural = "points of contact"
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=models.Q(channel="sms"), name="poc_unique_number",
                                    violation_error_message="This number is already a point of contact."),
            models.UniqueConstraint(fields=["slug"], condition=models.Q(channel="chat"), name="poc_unique_slug",
                                    violation_error_message="This chat address is already taken."),
        ]

    def __str__(self):
        label = self.number if self.channel == Channel.SMS else f"chat/{self.slug}"
        return f"{self.name} {label}".strip() if self.name else label

    def clean(self):
        errors = {}
        tid = self.tenant_id
        for field in ("carrier_account", "skill"):
            try:
                rules.same_tenant(self, field, tid)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        if self.channel == Channel.CHAT:
            if not self.slug:
                raise ValidationError({"slug": "A chat point of contact needs an address (slug)."})
            rules.inbound_skill_check(self.skill if self.skill_id else None, Channel.CHAT)
            self.number, self.code_type, self.country, self.carrier_account = "", "", None, None
            rules.unique_in_tenant(self, "slug", "This chat address is already taken.", scope=(), extra={"channel": Channel.CHAT})
            return
        if tid:
            rules.tenant_require_sms(self.tenant, "channel", "SMS points of contact")
        # Every missing field at once, not one per submit.
        missing = {}
        if not self.code_type:
            missing["code_type"] = "Choose the code type: long code, toll-free long code or short code."
        if self.country_id is None:
            missing["country"] = "Choose the country of the number."
        if not (self.number or "").strip():
            missing["number"] = "An SMS point of contact needs a number."
        if self.carrier_account_id is None:
            missing["carrier_account"] = "An SMS point of contact sends through a carrier account."
        if missing:
            raise ValidationError(missing)
        rules.poc_validate_country_code_type(self.tenant if tid else None, self.country, self.code_type)
        self.number = rules.poc_normalize_number(self.number, self.country.code, self.code_type)
        # Numbers are unique across tenants: the carrier's To number alone finds the tenant.
        rules.unique_in_tenant(self, "number", "This number is already a point of contact.", scope=(), extra={"channel": Channel.SMS})
        rules.inbound_skill_check(self.skill if self.skill_id else None, Channel.SMS)
        self.slug = ""


class RoutingRule(models.Model):
    """One ordered rule of a point of contact's routing script (R12)."""

    point_of_contact = models.ForeignKey(PointOfContact, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    pattern = models.CharField(max_length=200, blank=True, help_text="Keyword (whole word, any case) or regular expression.")
    days = models.CharField(max_length=7, blank=True, default="01234", help_text="Weekdays the hours apply to: 0 Monday … 6 Sunday.")
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, validators=[rules.tenant_validate_time_zone],
                                 help_text="Empty: the tenant's time zone.")
    skill = models.ForeignKey("routing.Skill", on_delete=models.CASCADE, related_name="routing_rules")
    priority = models.PositiveSmallIntegerField(default=5, help_text="1 to 10; higher is served first.")

    class Meta:
        ordering = ["point_of_contact", "position", "id"]

    def days_label(self):
        """The weekdays in words: "Mon–Fri", "Mon–Sat", "Sat, Sun", "every day" (stored as digits, 0 Monday)."""
        return weekdays_label(self.days)

    def clean(self):
        if self.skill_id and self.point_of_contact_id:
            if self.skill.tenant_id != self.point_of_contact.tenant_id:
                raise ValidationError({"skill": "Select a valid choice. That choice is not one of the available choices."})
            rules.inbound_skill_check(self.skill, self.point_of_contact.channel)
        if not 1 <= (self.priority or 0) <= 10:
            raise ValidationError({"priority": "Priority is 1 to 10."})
        if self.kind in ("keyword", "regex") and not self.pattern:
            raise ValidationError({"pattern": "This rule needs a keyword or pattern."})
        if self.kind == "regex":
            try:
                patterns.pattern_validate(self.pattern)
            except ValidationError as exc:
                raise ValidationError({"pattern": exc.messages})
        if self.kind == "hours":
            errors = {}
            if self.start_time is None or self.end_time is None:
                errors["start_time" if self.start_time is None else "end_time"] = "Business hours need a start and an end time."
            if not self.days or any(d not in "0123456" for d in self.days):
                errors["days"] = "Days are digits 0 (Monday) to 6 (Sunday), for example 01234."
            if errors:
                raise ValidationError(errors)
