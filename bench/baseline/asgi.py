"""ASGI app of the baseline pipeline (bench only): `daphne bench.baseline.asgi:application`.

Served the way the product is served (cxsms_site/asgi.py), so "product ÷ baseline" compares the
product's work, not two ways of serving it: the webhook skips Django's middleware through the
product's own CarrierWebhooks (routing/hub/asgi.py: one hop to a worker thread that keeps its
database connection, routing/threads.py), pushes leave through the product's push pump
(routing/events.py, hosted by the serving loop through events.serve_with_pump as in the product;
there is no timer loop: CXSMS_RUN_TIMERS is False in bench/baseline/settings.py), and sockets pass
the product's handshake (origin check, token) into a consumer built on the product's LiveConsumer.
"""
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from routing import events  # noqa: E402
from routing.hub.asgi import CarrierWebhooks  # noqa: E402
from routing.ws_auth import websocket_stack  # noqa: E402

from . import views  # noqa: E402
from .consumers import AgentConsumer  # noqa: E402


class BaselineWebhooks(CarrierWebhooks):
    """The product's webhook bypass with the baseline's view at the product's webhook path."""

    def __init__(self, app):
        super().__init__(app)
        self.views = {"/hooks/twilio/sms/": views.inbound}


# The loop serving the application also hosts the push pump, as in cxsms_site/asgi.py.
application = events.serve_with_pump(ProtocolTypeRouter({
    "http": BaselineWebhooks(django_asgi_app),
    "websocket": websocket_stack(URLRouter([path("ws/agent/", AgentConsumer.as_asgi())])),
}))
