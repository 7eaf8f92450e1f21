"""Log records that say which request (and tenant, room) they belong to; JSON lines when asked.

The request id lives in a context variable: set by the ASGI wrapper (routing/ops/asgi.py) for every
HTTP request and websocket (also the carrier webhooks, which skip Django's middleware), or by
RequestIdMiddleware when Django is reached another way (the test client). Django runs a view in a
worker thread with a copy of the context, and transaction.on_commit callbacks run in that thread,
so the id reaches the routing, the outbox send and the push that a request causes. `log_context`
adds a tenant or room id for the lines written inside it.

CXSMS_LOG_FORMAT=json writes one JSON object per line (python-json-logger); the default is plain
lines for a person (`make run`). Message bodies and secrets are never logged at INFO: log ids.
"""
import contextlib
import logging
import os
import re
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

_request_id = ContextVar("cxsms_request_id", default=None)
_fields = ContextVar("cxsms_log_fields", default=None)
HEADER = "X-Request-ID"
# A caller's id is kept when it looks like an id (a proxy's or a load balancer's); anything else is replaced.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def new_request_id():
    return os.urandom(16).hex()  # 32 hex digits, like a uuid4's, without building a UUID


def request_id():
    """The id of the request (or job) being served, or None."""
    return _request_id.get()


def acceptable_request_id(value):
    """A request id given by the caller (a header value, bytes or str) if it looks like one, else None."""
    if isinstance(value, bytes):
        value = value.decode("latin1")
    return value if value and _ACCEPTABLE.fullmatch(value) else None


def set_request_id(value):
    """Set the id for the current context; returns the token for `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token):
    _request_id.reset(token)


@contextlib.contextmanager
def request_context(value=None):
    """Run the block under a request id (a background job: the id of the request that queued it, or a new one)."""
    token = _request_id.set(value or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


@contextlib.contextmanager
def log_context(**fields):
    """Add fields (tenant_id=…, room_id=…) to every record written inside the block."""
    token = _fields.set({**(_fields.get() or {}), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


class ContextFilter(logging.Filter):
    """Puts request_id (always, "-" outside a request) and the log_context fields on each record."""

    def filter(self, record):
        record.request_id = _request_id.get() or "-"
        for name, value in (_fields.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RequestIdMiddleware:
    """Django middleware: keep the id the ASGI wrapper set, or set one (requests that did not pass it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        existing = _request_id.get()
        token = None if existing else _request_id.set(acceptable_request_id(request.headers.get(HEADER)) or new_request_id())
        try:
            response = self.get_response(request)
            response.headers.setdefault(HEADER, _request_id.get())
            return response
        finally:
            if token is not None:
                _request_id.reset(token)


JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]


def json_formatter():
    """One JSON object per record (LOGGING in cxsms_site/settings.py): time, level, logger, message,
    request_id, and every field log_context or `extra=` added (tenant_id, room_id, ...)."""
    return JsonFormatter(" ".join(f"%({name})s" for name in JSON_FIELDS),
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
