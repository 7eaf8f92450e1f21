"""The baseline's agent socket: the product's LiveConsumer mechanics (handshake through the
product's origin check and token authentication, one group, numbered frames under a lock, no
connection clean-up hop before every message), with none of the product's agent logic: it joins
agent.<id>, sends a snapshot of this agent's recent baseline events, and forwards pushes."""
from channels.db import database_sync_to_async

from routing import events
from routing.consumers import LiveConsumer, _tenant_user


@database_sync_to_async
def _recent_rooms(agent_id):
    # This agent's events of the last ten minutes (read only on connect and resync).
    from datetime import timedelta

    from django.utils import timezone

    from .models import Event

    since = timezone.now() - timedelta(minutes=10)
    return [{"id": e["id"], "contact_number": e["contact_number"]}
            for e in Event.objects.filter(agent_id=agent_id, created_at__gte=since).values("id", "contact_number")]


class AgentConsumer(LiveConsumer):
    async def authorize(self):
        self.user = self.scope.get("user")
        return _tenant_user(self.user)

    def group_name(self):
        return events.agent_group(self.user.id)

    async def snapshot(self):
        return {"type": "snapshot", "rooms": await _recent_rooms(self.user.id)}
