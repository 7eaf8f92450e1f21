"""The outermost ASGI layer (cxsms_site/asgi.py): a request id for every HTTP request and websocket,
the carrier webhooks' latency, and the count of open websockets.

It sits outside routing.hub_asgi (the webhooks' short way past Django's middleware), so webhooks
get their id and their timing too without any change to the text hub. Nothing here reads the
request body or touches the database.
"""
import time

from . import logs, metrics

FEEDS = {"agent", "supervisor", "chat", "simulator"}


def _header(scope, name):
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def websocket_feed(path):
    """`agent`, `supervisor`, `chat`, `simulator`, or `other` (a label with a bounded set of values)."""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "ws" and parts[1] in FEEDS else "other"


class OpsMiddleware:
    """ASGI middleware: request id (kept from X-Request-ID when it looks like one, returned in the response),
    webhook latency histogram, websocket connection gauge."""

    HEADER = logs.HEADER.lower().encode("latin1")
    WEBHOOKS = {"/hooks/twilio/sms/": "twilio_sms", "/hooks/twilio/status/": "twilio_status"}

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        request_id = logs.acceptable_request_id(_header(scope, self.HEADER)) or logs.new_request_id()
        token = logs.set_request_id(request_id)
        try:
            if scope["type"] == "http":
                return await self._http(scope, receive, send, request_id)
            return await self._websocket(scope, receive, send)
        finally:
            logs.reset_request_id(token)

    async def _http(self, scope, receive, send, request_id):
        webhook = self.WEBHOOKS.get(scope["path"]) if scope["method"] == "POST" else None
        started = time.perf_counter()
        status = []
        header = (self.HEADER, request_id.encode("latin1"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = [h for h in message.get("headers", ()) if h[0].lower() != self.HEADER]
                message = {**message, "headers": [*headers, header]}
            elif webhook and message["type"] == "http.response.body" and not message.get("more_body", False) and status:
                metrics.record_webhook(webhook, status[0], time.perf_counter() - started)
            await send(message)

        return await self.app(scope, receive, send_with_id)

    async def _websocket(self, scope, receive, send):
        feed = websocket_feed(scope["path"])
        opened = False

        async def counting_send(message):
            nonlocal opened
            await send(message)
            if message["type"] == "websocket.accept" and not opened:
                opened = True
                metrics.record_websocket_opened(feed)

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if opened:
                metrics.record_websocket_closed(feed)
