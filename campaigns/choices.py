from django.db import models


class ListState(models.TextChoices):
    IMPORTING = "importing", "Importing"
    READY = "ready", "Ready"
    FAILED = "failed", "Import failed"


class CampaignState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class RecipientState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"  # handed to the outbox; the message's status says how far it got
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED_OPTED_OUT = "skipped_opted_out", "Skipped: opted out"
    SKIPPED_INVALID = "skipped_invalid", "Skipped: could not be sent"
    CANCELLED = "cancelled", "Not sent: campaign cancelled"


# Recipient states that a progress count shows (the waiting ones are pending recipients outside their window).
PROGRESS_KEYS = ("pending", "waiting_window", "sent", "delivered", "failed", "skipped_opted_out", "skipped_invalid")
