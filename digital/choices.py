from django.db import models


class CaseState(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Cases that hold a place in their agent's concurrent-case limit (R15): an assigned new case (offered,
# not yet accepted) reserves its place; pending and resolved ones do not.
COUNTING_STATES = (CaseState.NEW, CaseState.OPEN, CaseState.ESCALATED)
LIVE_STATES = (CaseState.NEW, CaseState.OPEN, CaseState.PENDING, CaseState.ESCALATED, CaseState.RESOLVED)
# The states an agent or supervisor may set by hand (new is where routing puts a case).
SETTABLE_STATES = (CaseState.OPEN, CaseState.PENDING, CaseState.ESCALATED, CaseState.RESOLVED, CaseState.CLOSED)


class EntryKind(models.TextChoices):
    """What a line of a case's history records."""
    OPENED = "opened", "Case opened"
    QUEUED = "queued", "Placed in a queue"
    ASSIGNED = "assigned", "Assigned"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    LAPSED = "lapsed", "Not answered in time"
    STATE = "state", "State changed"
    REOPENED = "reopened", "Reopened by the contact"
    TRANSFERRED = "transferred", "Transferred"
    NOTE = "note", "Internal note"
    EXPIRED = "expired", "Closed after inactivity"
    FORCED = "forced", "Closed by a forced disconnect"
