"""Rate limits: per address on the anonymous web chat, per user and per address on the API, and the
login lockout page (django-axes counts the failed logins; settings.AXES_*). docs/security.md.

Every count lives in Django's default cache, Redis when REDIS_URL is set, so all processes share it.
A fixed window per rate: one atomic increment per request (INCR in Redis), no read-modify-write
that concurrent requests could race past. The carriers' webhooks are never limited: they are
signed, and a refused text would be lost (they do not even reach Django's middleware: routing/hub/asgi.py).
"""
import math
import time
from functools import wraps

from axes.helpers import get_cool_off
from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_address(request):
    """The caller's address: behind a TLS-terminating proxy (CXSMS_BEHIND_PROXY) the last
    X-Forwarded-For entry, the one our proxy added (any earlier ones the client may have forged)."""
    if settings.BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or "unknown"


def parse_rate(rate):
    """"30/m" -> (30, 60). Periods: s, m, h, d (also spelled out: "30/minute")."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def _window(scope, ident, rate):
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    return f"ratelimit:{scope}:{ident}:{window}", limit, period, max(1, math.ceil((window + 1) * period - now))


def hit(scope, ident, rate):
    """Count one request of `ident` in `scope`. Returns 0 while within `rate` (empty: no limit), else
    the seconds until the window ends."""
    if not rate:
        return 0
    key, limit, period, remaining = _window(scope, ident, rate)
    cache = caches["default"]
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, period + 1)
        count = 1
    return 0 if count <= limit else remaining


def exceeded(scope, ident, rate):
    """Like hit() without counting: the seconds to wait if `ident` is already over `rate`, else 0."""
    if not rate:
        return 0
    key, limit, _period, remaining = _window(scope, ident, rate)
    return remaining if (caches["default"].get(key) or 0) >= limit else 0


def too_many_requests(wait):
    response = JsonResponse({"errors": {"__all__": [f"Too many requests. Try again in {wait} seconds."]}}, status=429)
    response["Retry-After"] = str(wait)
    return response


def per_address(scope, rate_setting):
    """View decorator: POSTs from one address limited to settings.<rate_setting>; 429 with Retry-After beyond it."""
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = hit(scope, client_address(request), getattr(settings, rate_setting))
                if wait:
                    return too_many_requests(wait)
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


# --- the API (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES / DEFAULT_AUTHENTICATION_CLASSES) ---------

class _Throttle(BaseThrottle):
    scope = ""
    rate_setting = ""

    def ident(self, request):
        raise NotImplementedError

    def allow_request(self, request, view):
        ident = self.ident(request)
        self._wait = hit(self.scope, ident, getattr(settings, self.rate_setting)) if ident else 0
        return not self._wait

    def wait(self):
        return self._wait


class ApiUserThrottle(_Throttle):
    """Requests per signed-in user (session or token): CXSMS_API_RATE_USER."""
    scope, rate_setting = "api-user", "CXSMS_API_RATE_USER"

    def ident(self, request):
        return request.user.pk if request.user and request.user.is_authenticated else None


class ApiAnonThrottle(_Throttle):
    """Requests without credentials, per address: CXSMS_API_RATE_ANON."""
    scope, rate_setting = "api-anon", "CXSMS_API_RATE_ANON"

    def ident(self, request):
        return None if request.user and request.user.is_authenticated else client_address(request)


class LimitedTokenAuthentication(TokenAuthentication):
    """Token authentication that counts wrong tokens per address: past CXSMS_API_RATE_ANON of them,
    that address gets 429 before any token is looked up, so guessing cannot go on (authentication
    runs before DRF's throttles, which would never see a wrong token)."""

    def authenticate(self, request):
        address = client_address(request._request)
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token"):
            wait = exceeded("api-bad-token", address, settings.CXSMS_API_RATE_ANON)
            if wait:
                raise exceptions.Throttled(wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            hit("api-bad-token", address, settings.CXSMS_API_RATE_ANON)
            raise


# --- login lockout (settings.AXES_LOCKOUT_CALLABLE) ----------------------------------------------

def login_locked_out(request, original_response=None, credentials=None):
    """The login page again, saying why the login is refused; 429 with Retry-After. Every attempt
    during a lockout starts the cool-off again (axes' default), so the whole cool-off is the wait."""
    cool_off = get_cool_off(request)
    if cool_off:
        minutes = max(1, round(cool_off.total_seconds() / 60))
        message = (f"Too many failed log-in attempts. Logging in is locked for {minutes} minute{'s' if minutes != 1 else ''}; "
                   "an administrator can unlock it sooner.")
    else:
        message = "Too many failed log-in attempts. Logging in is locked until an administrator unlocks it."
    response = render(request, "registration/login.html", {"locked_out": message, "next": request.POST.get("next", "")}, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
