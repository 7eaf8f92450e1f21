"""The whole baseline pipeline: insert one row, group-send one event to one agent's socket.

Served exactly like the product (same daphne, sync Django view, same database and channel layer)
at the same path, so bench/load.py drives it unchanged. No signature check, no routing, no locks."""
import itertools
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from routing.models import User

from .models import Event

_agents = None
_lock = threading.Lock()
_next = itertools.count()


def _agent_ids():
    global _agents
    with _lock:
        if _agents is None:
            _agents = list(User.objects.filter(role="agent", tenant__slug="bench").order_by("id").values_list("id", flat=True))
    return _agents


@csrf_exempt
@require_POST
def inbound(request):
    agents = _agent_ids()
    agent_id = agents[next(_next) % len(agents)]
    event = Event.objects.create(contact_number=request.POST.get("From", ""), body=request.POST.get("Body", ""), agent_id=agent_id)
    payload = {"type": "room.offered", "room": {"id": event.id, "contact_number": event.contact_number, "agent": agent_id}}
    async_to_sync(get_channel_layer().group_send)(f"agent.{agent_id}", {"type": "push", "event": payload})
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")


def ready(request):
    return HttpResponse("ok")
