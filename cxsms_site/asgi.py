"""ASGI entry point: HTTP to Django (carrier webhooks by a shorter way), websockets through origin validation and auth to the consumers.

On the embedded defaults the web process also runs the background jobs (routing.workers): its
in-memory channel layer reaches only its own sockets. With REDIS_URL it does no background work:
`manage.py run_worker` processes do (docs/deployment.md).
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from routing import workers  # noqa: E402
from routing.hub.asgi import CarrierWebhooks  # noqa: E402
from routing.ops.asgi import OpsMiddleware  # noqa: E402
from routing.ws_auth import websocket_stack  # noqa: E402
from routing.ws_urls import websocket_urlpatterns  # noqa: E402

# The loop serving the application also hosts the push pump (routing/events.py).
# Outermost: the request id and the webhook/websocket metrics (routing/ops/asgi.py) cover everything below.
application = OpsMiddleware(workers.serve_with_workers(ProtocolTypeRouter({
    # Static files are served by the same process through whitenoise, first in Django's middleware
    # (cxsms_site/staticfiles.py): one command runs the whole product. The carriers' webhooks (one
    # request per text) skip Django's middleware chain (routing/hub_asgi.py).
    "http": CarrierWebhooks(django_asgi_app),
    "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
})))
