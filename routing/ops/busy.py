"""A database that does not answer in time (SQLite's write lock held past its timeout under overload,
PostgreSQL's connection pool exhausted or the server gone) is the service's trouble, not a bug in the
request: the caller gets 503 with a Retry-After and a sentence to read, never a 500 with a stack
trace. Nothing was changed (the request's transaction, if any, rolled back). Logged as a warning."""
import logging

from django.db import OperationalError, connection
from django.http import HttpResponse, JsonResponse

log = logging.getLogger("cxsms.busy")
MESSAGE = "The service is busy and could not finish this request. Nothing was changed. Try again in a moment."


def response_for(request, exception):
    """The 503 for a request that failed because the database did not answer, else None. Used by the
    middleware below and by the carrier webhooks, which skip Django's middleware (routing/hub/asgi.py)."""
    if not isinstance(exception, OperationalError):
        return None
    if connection.vendor == "sqlite" and "locked" not in str(exception):
        return None  # SQLite's OperationalError also names bad SQL ("no such column"): a bug, not a busy database
    log.warning("database busy on %s %s: %s", request.method, request.path, exception)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    elif request.path.startswith("/hooks/"):
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain")
    else:
        response = HttpResponse(f"<!doctype html><title>Busy</title><p>{MESSAGE}</p>", status=503)
    response["Retry-After"] = "1"
    return response


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return response_for(request, exception)
