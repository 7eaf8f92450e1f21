from django.db import models


class Event(models.Model):
    """One inbound text of the baseline: the one row its view inserts."""

    contact_number = models.CharField(max_length=20)
    body = models.TextField(blank=True)
    agent_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
