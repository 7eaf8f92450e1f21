"""Websocket URLs (named ws_urls, not routing.py, which would clash with the `routing` app)."""
from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
    path("ws/supervisor/", consumers.SupervisorConsumer.as_asgi()),
    re_path(r"^ws/chat/(?P<token>[-\w]{1,64})/$", consumers.ChatConsumer.as_asgi()),
    path("ws/simulator/", consumers.SimulatorConsumer.as_asgi()),
    # Anything else under ws/ is refused with 4404 instead of crashing the router.
    re_path(r"", consumers.NotFoundConsumer.as_asgi()),
]
