"""Web chat for contacts (R14): a real second channel sharing the agents' session limit. A chat
goes to the ACD whatever the tenant's text delivery (routing.hub.delivery.mode_for)."""
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events, sql
from ..choices import Channel, Direction, MessageStatus, RoomState
from ..models import Message, PointOfContact, Room
from . import delivery
from .inbound import hand_off
from .outbound import storable, validate_body


def chat_poc(slug):
    return PointOfContact.objects.select_related("tenant").filter(channel=Channel.CHAT, slug=slug, is_active=True).first()


@transaction.atomic
def chat_start(*, poc, name, body):
    body = validate_body(body)
    name = (name if isinstance(name, str) and storable(name) else "").strip()[:100] or "Web visitor"
    now = timezone.now()
    mode = delivery.mode_for(poc.tenant, Channel.CHAT)
    opening = mode.open_fields(poc, body, now)
    room = Room.objects.create(tenant_id=poc.tenant_id, channel=Channel.CHAT, state=RoomState.QUEUED, point_of_contact=poc,
                               contact_name=name, chat_token=secrets.token_urlsafe(24), opened_at=now, queued_at=now,
                               last_message_at=now, **opening.room_fields)
    if opening.skill is not None:
        room.skill = opening.skill
    message = Message.objects.create(room=room, tenant_id=poc.tenant_id, point_of_contact=poc, direction=Direction.INBOUND, body=body,
                                     status=MessageStatus.RECEIVED, created_at=now)
    hand_off(mode, room, message, "new chat")
    return room


@transaction.atomic
def chat_contact_message(*, token, body):
    body = validate_body(body)
    room = sql.locked(Room.objects).filter(chat_token=token, channel=Channel.CHAT).first()
    if room is None:
        raise PermissionDenied("Unknown chat.")
    if room.state == RoomState.CLOSED:
        raise ValidationError({"body": "This chat has ended. Start a new chat to write again."})
    now = timezone.now()
    message = Message.objects.create(room=room, tenant_id=room.tenant_id, point_of_contact_id=room.point_of_contact_id,
                                     direction=Direction.INBOUND, body=body, status=MessageStatus.RECEIVED, created_at=now)
    Room.objects.filter(pk=room.pk).update(last_message_at=now)
    events.room_message(room, message)
    return message
