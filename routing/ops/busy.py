"""A database that does not answer in time (SQLite's write lock held past its timeout under overload,
PostgreSQL's connection pool exhausted or the server gone) is the service's trouble, not a bug in the
request: the caller gets 503 with a Retry-After and a sentence to read, never a 500 with a stack
trace. Nothing was changed (the request's transaction, if any, rolled back). Logged as a warning."""
import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse

log = logging.getLogger("cxsms.busy")
MESSAGE = "The service is busy and could not finish this request. Nothing was changed. Try again in a moment."


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        log.warning("database busy on %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(f"<!doctype html><title>Busy</title><p>{MESSAGE}</p>", status=503)
        response["Retry-After"] = "1"
        return response
