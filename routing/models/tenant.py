from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .. import rules
from ..choices import SmsDelivery

DEFAULT_HELP = "Reply STOP to stop receiving texts. Msg&data rates may apply."
DEFAULT_OPT_OUT = "You have been unsubscribed and will receive no more texts from us. Reply START to subscribe again."
DEFAULT_OPT_IN = "You are subscribed again. Reply STOP to stop, HELP for help."
DEFAULT_CAMPAIGN_OPT_OUT = "Reply STOP to opt out"


class Tenant(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    sms_messaging_enabled = models.BooleanField("SMS Messaging enabled", default=False)
    digital_experience_enabled = models.BooleanField("Digital Experience enabled", default=False)
    sms_delivery = models.CharField("SMS delivery", max_length=10, choices=SmsDelivery.choices, default=SmsDelivery.ACD,
                                    help_text="Texts go to the agent workspace (ACD) or to the Digital Experience inbox, never both.")
    save_transcripts = models.BooleanField(default=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[rules.tenant_validate_time_zone])
    help_reply = models.CharField(max_length=320, default=DEFAULT_HELP)
    opt_out_reply = models.CharField(max_length=320, default=DEFAULT_OPT_OUT)
    opt_in_reply = models.CharField(max_length=320, default=DEFAULT_OPT_IN)
    # Automatic replies (acknowledgement, after hours, HELP, opt-out/opt-in confirmation): at most one of
    # each kind per contact number in this window, so a contact's own auto-responder cannot loop with ours.
    auto_reply_window_minutes = models.PositiveIntegerField(
        "automatic replies: at most one of each kind per contact every (minutes)", default=60,
        validators=[MinValueValidator(1), MaxValueValidator(10080)],
        help_text="A contact gets the same kind of automatic reply at most once in this many minutes.")
    case_limit = models.PositiveSmallIntegerField("concurrent-case limit", default=5,
                                                  help_text="Digital Experience contact-handling setting: cases an agent may hold at once.")
    # Data retention (routing/ops/retention.py): messages of rooms closed longer ago than this are deleted; empty: kept forever.
    transcript_retention_days = models.PositiveIntegerField(
        "keep transcripts for (days)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36500)],
        help_text="Messages of conversations that ended longer ago are deleted every night; reports keep their counts. "
                  "Empty: keep forever.")
    # Proactive SMS campaigns: the line appended to every campaign text (a campaign may leave it off for itself).
    campaign_opt_out_enabled = models.BooleanField("add an opt-out line to campaign texts", default=True)
    campaign_opt_out_line = models.CharField("campaign opt-out line", max_length=160, default=DEFAULT_CAMPAIGN_OPT_OUT, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        rules.tenant_validate_features(self)
        rules.tenant_validate_delivery_change(self)
        rules.tenant_validate_digital_numbers(self)
        if self.campaign_opt_out_enabled and not (self.campaign_opt_out_line or "").strip():
            raise ValidationError({"campaign_opt_out_line": "Write the line campaign texts end with, or switch it off."})
