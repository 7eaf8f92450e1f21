"""ASGI entry point: HTTP to Django (carrier webhooks by a shorter way), websockets through origin validation and auth to the consumers.

Each daphne process also runs the timer loop (routing.timers): session expiry, offer timeouts,
the outbox and queue sweeps. daphne has no lifespan support, so the loop is scheduled on the
process's event loop here, at import.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from routing import events, timers  # noqa: E402
from routing.hub.asgi import CarrierWebhooks  # noqa: E402
from routing.ops.asgi import OpsMiddleware  # noqa: E402
from routing.ws_auth import websocket_stack  # noqa: E402
from routing.ws_urls import websocket_urlpatterns  # noqa: E402

# The loop serving the application also hosts the push pump (routing/events.py).
# Outermost: the request id and the webhook/websocket metrics (routing/ops/asgi.py) cover everything below.
application = OpsMiddleware(events.serve_with_pump(ProtocolTypeRouter({
    # Static files are served by the same process through whitenoise, first in Django's middleware
    # (cxsms_site/staticfiles.py): one command runs the whole product. The carriers' webhooks (one
    # request per text) skip Django's middleware chain (routing/hub_asgi.py).
    "http": CarrierWebhooks(django_asgi_app),
    "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
})))

timers.start_in_process()
