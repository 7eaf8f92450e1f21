"""Who changes the configuration, from where: the request being served, kept in a context variable.

The actor is read from the request when an entry is written, not when the request arrives, so a REST
call authenticated by token (DRF authenticates inside the view) is attributed to its user too.
Outside a request (management commands, the shell, background work) the source is "command".
"""
import contextlib
from contextvars import ContextVar

from django.contrib.auth import get_user_model

from .choices import Source

_request = ContextVar("audit_request", default=None)
_source = ContextVar("audit_source", default=None)


def source_of_path(path):
    if path.startswith("/admin/"):
        return Source.ADMIN
    if path.startswith("/api/"):
        return Source.API
    return Source.CONSOLE


class AuditContextMiddleware:
    """Keeps the request reachable by the audit entries its writes produce (sync and async views alike)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextlib.contextmanager
def audit_source(source):
    """Name the source of the writes inside, where no request says it (a management command)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def current():
    """(actor or None, source, remote address or None) for an entry written now."""
    request = _request.get()
    if request is None:
        return None, _source.get() or Source.COMMAND, None
    user = getattr(request, "user", None)
    actor = user if isinstance(user, get_user_model()) and user.is_authenticated else None
    return actor, _source.get() or source_of_path(request.path), request.META.get("REMOTE_ADDR") or None
