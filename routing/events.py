"""Live events, sent only after the transaction that caused them commits.

Groups are named here from ids the server knows, never from client input:
  agent.<user id>         one agent's workspace sockets (every event carries the agent's `agent_seq`)
  supervisors.<tenant id> supervisor and administrator views of one tenant
  chat.<token>            one web-chat contact's page
  simulator.<tenant id>   the phone simulator page of one tenant (texts sent to simulated phones)

Every event is a dict with a `type` (prefixed by concept: room.*, agent.*, message.*). The consumers
add a per-connection `seq`. docs/websockets.md documents each type.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from . import selectors

log = logging.getLogger("cxsms.events")


def agent_group(agent_id):
    return f"agent.{agent_id}"


def supervisors_group(tenant_id):
    return f"supervisors.{tenant_id}"


def chat_group(token):
    return f"chat.{token}"


def simulator_group(tenant_id):
    return f"simulator.{tenant_id}"


def _send_now(group, event):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push", "event": event})
    except Exception:  # a lost push delays an update until the next snapshot; it never loses data
        log.exception("push to %s failed", group)


def send(group, event):
    """Send `event` to `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send_now(group, event))


def to_agent(agent_id, event):
    """Bump the agent's sequence in this transaction and push the event with it."""
    from .models import User

    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        # One statement (SQLite ≥ 3.35 and PostgreSQL both have RETURNING).
        cursor.execute(f"UPDATE {table} SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq", [agent_id])
        row = cursor.fetchone()
    send(agent_group(agent_id), dict(event, agent_seq=row[0] if row else None))


def to_supervisors(tenant_id, event):
    send(supervisors_group(tenant_id), event)


def _room_event(kind, room, agent_id=None, **extra):
    event = {"type": kind, "room": selectors.room_payload(room), **extra}
    target = agent_id if agent_id is not None else room.agent_id
    if target:
        to_agent(target, event)
    to_supervisors(room.tenant_id, event)


def room_offered(room):
    _room_event("room.offered", room, first_message=_first_message(room))


def room_assigned(room):
    _room_event("room.assigned", room)


def room_queued(room):
    to_supervisors(room.tenant_id, {"type": "room.queued", "room": selectors.room_payload(room)})


def room_offer_revoked(room, agent_id, reason):
    """An offer the agent no longer holds (lapsed, rejected, taken back)."""
    _room_event("room.revoked", room, agent_id=agent_id, reason=reason)


def room_updated(room):
    _room_event("room.updated", room)


def room_closed(room, agent_id=None):
    _room_event("room.closed", room, agent_id=agent_id)
    if room.chat_token:
        send(chat_group(room.chat_token), {"type": "chat.closed", "reason": room.close_reason})


def room_message(room, message):
    payload = selectors.message_payload(message)
    event = {"type": "room.message", "room_id": room.id, "message": payload,
             "expires_at": room.expires_at.isoformat() if room.expires_at else None}
    if room.agent_id:
        to_agent(room.agent_id, event)
    to_supervisors(room.tenant_id, {"type": "room.message", "room_id": room.id, "message_id": message.id})
    if room.chat_token:
        send(chat_group(room.chat_token), {"type": "chat.message", "message": payload})


def message_status(message):
    room = message.room
    event = {"type": "message.status", "room_id": room.id, "message_id": message.id, "status": message.status,
             "error_code": message.error_code, "error_message": message.error_message}
    if room.agent_id:
        to_agent(room.agent_id, event)


def agent_state_changed(agent):
    event = {"type": "agent.state", "agent": agent.id, "state": agent.state}
    to_agent(agent.id, event)
    to_supervisors(agent.tenant_id, event)


def simulator_text(tenant_id, *, from_number, to_number, body, sid):
    """A text a simulated carrier delivered to a simulated phone."""
    send(simulator_group(tenant_id), {"type": "simulator.text", "from": from_number, "to": to_number, "body": body, "sid": sid})


def _first_message(room):
    m = room.messages.order_by("created_at", "id").first()
    return selectors.message_payload(m) if m else None
