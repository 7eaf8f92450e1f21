"""ASGI entry point: HTTP to Django, websockets through origin validation and auth to the consumers."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

application = ProtocolTypeRouter({
    # Static files are served by the same process: one command runs the whole product.
    "http": ASGIStaticFilesHandler(django_asgi_app),
})
