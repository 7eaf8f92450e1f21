"""The baseline's agent socket: token on the handshake, join agent.<id>, snapshot, forward pushes with a seq."""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer


@database_sync_to_async
def _user_id_for_token(key):
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(key=key).values_list("user_id", flat=True).first()


@database_sync_to_async
def _recent_rooms(agent_id):
    # The snapshot of the baseline: this agent's events of the last ten minutes (read only on connect and resync).
    from datetime import timedelta

    from django.utils import timezone

    from .models import Event

    since = timezone.now() - timedelta(minutes=10)
    return [{"id": e["id"], "contact_number": e["contact_number"]}
            for e in Event.objects.filter(agent_id=agent_id, created_at__gte=since).values("id", "contact_number")]


class AgentConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.seq = 0
        self.group = None
        key = ""
        for name, value in self.scope.get("headers", []):
            if name == b"authorization":
                key = value.decode("latin1").partition(" ")[2].strip()
        user_id = await _user_id_for_token(key) if key else None
        if user_id is None:
            await self.close(code=4401)
            return
        self.user_id = user_id
        self.group = f"agent.{user_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.emit({"type": "snapshot", "rooms": await _recent_rooms(user_id)})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def emit(self, payload):
        self.seq += 1
        await self.send_json(dict(payload, seq=self.seq))

    async def push(self, message):
        await self.emit(message["event"])

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "resync":
            await self.emit({"type": "snapshot", "rooms": await _recent_rooms(self.user_id)})
