import uuid

from django.db import models
from django.utils import timezone

from ..choices import Channel, CloseReason, Direction, Encoding, MessageStatus, RoomState


class Contact(models.Model):
    """A contact's number within a tenant: its opt-out state (R17) and the contact card agents keep
    (name, tags, notes), the same card in the ACD workspace and the Digital inbox, across rooms and cases."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="contacts")
    # E.164; or, after the contact's erasure, a hash of it that keeps the opt-out (routing/ops/erasure.py).
    number = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    notes = models.TextField(blank=True, max_length=4000)
    notes_by = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 help_text="Who last changed the notes.")
    notes_at = models.DateTimeField(null=True, blank=True)
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="contact_unique_number")]

    def __str__(self):
        return self.name or self.number

    @property
    def tag_list(self):
        return [part.strip() for part in (self.tags or "").split(",") if part.strip()]


class Room(models.Model):
    """One SMS or chat interaction, from the first message to its close (R6)."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="rooms")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    state = models.CharField(max_length=8, choices=RoomState.choices, default=RoomState.QUEUED)
    point_of_contact = models.ForeignKey("routing.PointOfContact", on_delete=models.PROTECT, related_name="rooms")
    contact_number = models.CharField(max_length=20, blank=True)
    contact_name = models.CharField(max_length=100, blank=True)
    poc_number = models.CharField(max_length=20, blank=True)
    chat_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    skill = models.ForeignKey("routing.Skill", on_delete=models.SET_NULL, null=True, blank=True, related_name="rooms")
    priority = models.PositiveSmallIntegerField(default=5)
    routed_by = models.CharField(max_length=200, blank=True, help_text="The routing-script rule that picked the skill.")
    agent = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="rooms")
    opened_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the contact was told an agent will come (the point of contact's acknowledgement); once per room.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Transfer: who handed the room on, and the note the receiving agent reads.
    transferred_by = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    transfer_note = models.CharField(max_length=500, blank=True)
    # Wrap-up, chosen when the agent ends the room.
    disposition = models.ForeignKey("routing.Disposition", on_delete=models.SET_NULL, null=True, blank=True, related_name="rooms")
    summary = models.TextField(max_length=2000, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    transcript_kept = models.BooleanField(default=True)
    # Agents who rejected or let an offer of this room lapse; they are skipped next time.
    declined_by = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # R6: one open room per (contact number, POC number).
            models.UniqueConstraint(fields=["point_of_contact", "contact_number"],
                                    condition=~models.Q(state="closed") & ~models.Q(channel="chat"),
                                    name="room_one_open_per_pair"),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="room_expiry_idx"),
            models.Index(fields=["state", "offer_expires_at"], name="room_offer_idx"),
            models.Index(fields=["skill", "state", "priority", "queued_at"], name="room_queue_idx"),
            models.Index(fields=["agent", "state"], name="room_agent_idx"),
            models.Index(fields=["tenant", "contact_number", "closed_at"], name="room_ani_idx"),
            models.Index(fields=["tenant", "poc_number", "closed_at"], name="room_dnis_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} room {self.pk} {self.contact_number or self.contact_name}"


class RoomNote(models.Model):
    """An internal note inside a room: for the agents and supervisors of the tenant, shown in the thread
    and the transcript, never sent to the contact."""
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="notes")
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Message(models.Model):
    """A text (or chat message) in or out. Usually in a room; a text sent without one (a campaign's)
    has none until the contact answers: the room that answer opens takes it in (routing.hub.inbound),
    so the agent sees the text the contact replies to."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages", null=True, blank=True)
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="messages")
    # The thread: which number of ours, and the contact's number (blank for web chat).
    point_of_contact = models.ForeignKey("routing.PointOfContact", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    contact_number = models.CharField(max_length=20, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    body = models.TextField(blank=True)
    author = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Inbound: the carrier's MessageSid (a repeated delivery is stored once). Outbound: the SID the carrier returned.
    carrier_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Outbound: our own key, sent with the request, so a retry never makes a second SMS.
    send_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=16, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    encoding = models.CharField(max_length=5, choices=Encoding.choices, default=Encoding.GSM7)
    segments = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Automatic replies (opt-out confirmation, help, after-hours) are not written by an agent.
    automatic = models.BooleanField(default=False)
    # Which automatic reply (routing.choices.AutoReply): each kind is limited per contact number.
    auto_kind = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_outbox_idx"),
                   models.Index(fields=["point_of_contact", "contact_number"], condition=models.Q(room__isnull=True),
                                name="message_roomless_idx"),
                   models.Index(fields=["tenant", "contact_number", "auto_kind", "created_at"], condition=models.Q(automatic=True),
                                name="message_auto_reply_idx")]

    def __str__(self):
        return f"{self.direction} {self.body[:30]}"

    def save(self, *args, **kwargs):
        # A message in a room is on the room's thread (the services set it; so does any other writer).
        if self.room_id and not self.point_of_contact_id:
            self.point_of_contact_id, self.contact_number = self.room.point_of_contact_id, self.room.contact_number
        super().save(*args, **kwargs)


class RoutingDecision(models.Model):
    """Why a room went where it went: the chosen agent and the reason each other agent was skipped."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="decisions")
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12)  # offered / queued / assigned
    agent = models.ForeignKey("routing.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    skill = models.ForeignKey("routing.Skill", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rule = models.CharField(max_length=200, blank=True)
    # [{"agent": id, "username": "...", "reason": SkipReason}]
    skipped = models.JSONField(default=list, blank=True)
    trigger = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
