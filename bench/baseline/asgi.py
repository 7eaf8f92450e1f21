"""ASGI app of the baseline pipeline (bench only): `daphne bench.baseline.asgi:application`."""
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import AgentConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": URLRouter([path("ws/agent/", AgentConsumer.as_asgi())]),
})
