"""The whole baseline pipeline: insert one row, push one event to one agent's socket.

Served like the product's webhook (bench/baseline/asgi.py: the product's middleware bypass and
worker threads) at the same path, so bench/load.py drives it unchanged; the push goes through the
product's routing.events.send, so after the commit the product's push pump sends it. No signature
check, no routing, no locks."""
import itertools
import threading

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from routing import events
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
    with transaction.atomic():
        event = Event.objects.create(contact_number=request.POST.get("From", ""), body=request.POST.get("Body", ""), agent_id=agent_id)
        payload = {"type": "room.offered", "room": {"id": event.id, "contact_number": event.contact_number, "agent": agent_id}}
        events.send(events.agent_group(agent_id), payload)  # on commit, through the pump
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")


def ready(request):
    return HttpResponse("ok")
