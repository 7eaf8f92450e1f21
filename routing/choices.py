from django.db import models


class SmsDelivery(models.TextChoices):
    ACD = "acd", "ACD channel (agent workspace)"
    DIGITAL = "digital", "Digital Experience inbox"


class Role(models.TextChoices):
    ADMIN = "admin", "Tenant administrator"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"


class AgentState(models.TextChoices):
    LOGGED_OUT = "logged_out", "Logged out"
    AVAILABLE = "available", "Available"
    UNAVAILABLE = "unavailable", "Unavailable"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    CHAT = "chat", "Chat"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Provider(models.TextChoices):
    SIMULATOR = "simulator", "Simulator"
    TWILIO = "twilio", "Twilio"


class CodeType(models.TextChoices):
    LONG = "long", "Long code"
    TOLL_FREE = "toll_free", "Toll-free long code"
    SHORT = "short", "Short code"


class RuleKind(models.TextChoices):
    KEYWORD = "keyword", "Keyword in the first message"
    REGEX = "regex", "Regular expression on the first message"
    HOURS = "hours", "Inside business hours"
    FALLBACK = "fallback", "Fallback (always matches)"


class RoomState(models.TextChoices):
    QUEUED = "queued", "Queued"
    OFFERED = "offered", "Offered"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


OPEN_ROOM_STATES = (RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE)
# Rooms that hold a slot of the agent's session limit (an offer reserves its slot).
CAPACITY_ROOM_STATES = (RoomState.OFFERED, RoomState.ACTIVE)


class CloseReason(models.TextChoices):
    ENDED_BY_AGENT = "ended_by_agent", "Ended by the agent"
    ENDED_BY_CONTACT = "ended_by_contact", "Ended by the contact"
    EXPIRED = "expired", "Inactivity timeout"
    FORCED_DISCONNECT = "forced_disconnect", "Forced disconnect"
    SMS_OFF = "sms_off", "Arrived while SMS Messaging was off"


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    QUEUED = "queued", "Queued at carrier"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    READ = "read", "Read"


# Statuses only move forward, whatever order callbacks arrive in.
MESSAGE_STATUS_RANK = {
    MessageStatus.RECEIVED: 0,
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.READ: 5,
}


class Encoding(models.TextChoices):
    GSM7 = "gsm7", "GSM-7"
    UCS2 = "ucs2", "UCS-2"


class SkipReason(models.TextChoices):
    NO_SKILL = "no_skill", "does not hold the skill"
    AT_LIMIT = "at_limit", "at the session limit"
    UNAVAILABLE = "unavailable", "unavailable"
    LOGGED_OUT = "logged_out", "logged out"
    REJECTED = "rejected", "rejected or let this offer lapse"
    LOWER_RANK = "lower_rank", "eligible, but another agent ranked higher"


class AutoReply(models.TextChoices):
    """The kinds of automatic reply; each is sent at most once per contact number in the tenant's window."""
    ACKNOWLEDGEMENT = "ack", "Acknowledgement"
    AFTER_HOURS = "after_hours", "After hours"
    HELP = "help", "Help"
    OPT_OUT = "opt_out", "Opt-out confirmation"
    OPT_IN = "opt_in", "Opt-in confirmation"
