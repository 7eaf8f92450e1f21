"""The carriers' webhooks served straight from ASGI, in front of Django's handler.

Every inbound text is one POST from the carrier. Under Django's ASGI handler that request crossed
the middleware chain (sessions, authentication, CSRF, messages, ...), each old-style middleware in
a thread hop of its own, plus the handler's signals and its disconnect watcher: a tenth of a
server process's CPU per text went there (docs/benchmarks.md). None of it applies to a carrier's
signed, CSRF-exempt, session-less POST. Here the same views (routing.hub.webhooks) run on a Django
request in one hop to a worker thread (which keeps its database connection: routing/threads.py),
with what the handler did that matters here: the host check, the body size limit, an unexpected
error logged and answered 500. Anything else (other paths, other methods) goes on to Django.
"""
import io
import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.urls import reverse

from .. import threads
from ..ops import busy
from . import webhooks

log = logging.getLogger("cxsms.webhooks")


def _views():
    return {reverse("twilio-sms"): webhooks.twilio_sms, reverse("twilio-status"): webhooks.twilio_status}


def _respond(view, scope, body):
    """The view's response to the request, as Django's handler would give it (in a worker thread
    that keeps its database connection: routing/threads.py)."""
    request = ASGIRequest(scope, io.BytesIO(body))
    try:
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
        return view(request)
    except SuspiciousOperation as exc:  # a disallowed host, malformed form data
        log.warning("webhook refused: %s", exc)
        return HttpResponseBadRequest("Bad request.", content_type="text/plain")
    except Exception as exc:
        # A database that did not answer in time is a 503 (the carrier retries), as the middleware answers it.
        if (busy_response := busy.response_for(request, exc)) is not None:
            return busy_response
        log.exception("webhook %s failed", scope.get("path"))
        return HttpResponseServerError("Server error.", content_type="text/plain")


class CarrierWebhooks:
    """ASGI middleware: POSTs to the carrier webhook paths skip Django's middleware chain."""

    def __init__(self, app):
        self.app = app
        self.views = None
        self.respond = threads.in_worker_thread(_respond)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        if self.views is None:
            self.views = _views()
        view = self.views.get(scope["path"])
        if view is None:
            return await self.app(scope, receive, send)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the carrier gave up; it will retry
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                return await self._send(send, HttpResponse(f"The request body is over {limit} bytes.", status=413,
                                                           content_type="text/plain"))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self._send(send, await self.respond(view, scope, b"".join(chunks)))

    @staticmethod
    async def _send(send, response):
        headers = [(k.encode("latin1"), v.encode("latin1")) for k, v in response.items()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})
