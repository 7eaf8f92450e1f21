"""Websocket handshake security: origin validation, then authentication.

Browsers authenticate a websocket by their session cookie, so the Origin header is the only thing
that stops another site's page from opening a socket with the user's cookies (cross-site
websocket hijacking). Every endpoint therefore requires an Origin header that names one of our
hosts (settings.ALLOWED_HOSTS, any scheme and port) or one of the extra origins in
settings.CXSMS_WS_ALLOWED_ORIGINS (scheme://host[:port]); a missing Origin is refused too.

Other clients (a CRM, a script) authenticate with the DRF token on the handshake, in the header
`Authorization: Token <key>`, and send an Origin matching the server's host (for example the
server's own URL). A token in the query string is never read: URLs end up in logs.
"""
import hashlib
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from rest_framework.authtoken.models import Token

from . import selectors
from .models import User

# Close codes. Before the handshake is accepted the browser sees a failed handshake (the ASGI test
# communicator sees the code); 4401 and 4403 also close an open socket whose rights ended (Grant).
# Documented in docs/websockets.md.
CLOSE_ORIGIN = 4003
CLOSE_UNAUTHENTICATED = 4401  # not signed in, or the sign-in ended: logout, token revoked, password changed, session deleted
CLOSE_FORBIDDEN = 4403  # signed in but not allowed: wrong role, deactivated, role or tenant changed, user deleted
CLOSE_NOT_FOUND = 4404

CLOSE_DETAIL = {
    CLOSE_UNAUTHENTICATED: "Your sign-in has ended (signed out, token revoked or password changed): sign in again.",
    CLOSE_FORBIDDEN: "Your account no longer allows this (deactivated, or its role changed).",
}


class StrictOriginValidator(OriginValidator):
    """Channels' OriginValidator, but the allowed list is read per connection (settings can change
    in tests and deployments), a missing Origin is always refused (even with "*"), and the refusal
    carries a 4xxx close code."""

    def __init__(self, application):
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("StrictOriginValidator only guards websocket connections")
        allowed = list(settings.ALLOWED_HOSTS) + list(settings.CXSMS_WS_ALLOWED_ORIGINS)
        origin = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                try:
                    origin = urlparse(value.decode("latin1"))
                except (UnicodeDecodeError, ValueError):
                    origin = None
        if origin is None or not origin.hostname or not any(p == "*" or self.match_allowed_origin(origin, p) for p in allowed):
            return await _deny(scope, receive, send, CLOSE_ORIGIN)
        return await self.application(scope, receive, send)


async def _deny(scope, receive, send, code):
    """Refuse the handshake: wait for websocket.connect, answer websocket.close with `code`."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": code})


@database_sync_to_async
def _user_for_token(key):
    try:
        token = Token.objects.select_related("user").get(key=key)
    except (Token.DoesNotExist, ValueError):
        return AnonymousUser()
    return token.user if token.user.is_active else AnonymousUser()


def session_fingerprint(session_key):
    """What the rights-changed event names an ended session by: not the key itself, which would
    let anyone reading the channel layer sign in as the user."""
    return hashlib.sha256(f"cxsms-session:{session_key}".encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What an open socket was allowed on: the user as they were at the handshake and the sign-in
    that proved it (a session key, or a token key). `still_refused()` re-checks all of it: every
    socket action asks it before acting, and a rights change (routing/signals.py) makes the
    user's sockets ask it at once."""

    user_id: int
    tenant_id: int
    role: str
    method: str  # "session" or "token"
    key: str

    @classmethod
    def from_scope(cls, scope, user):
        if scope.get("auth_method") == "token":
            return cls(user.pk, user.tenant_id, user.role, "token", scope.get("auth_token") or "")
        return cls(user.pk, user.tenant_id, user.role, "session", getattr(scope.get("session"), "session_key", None) or "")

    def names_session(self, fingerprint):
        return self.method == "session" and bool(self.key) and fingerprint == session_fingerprint(self.key)

    def still_refused(self):
        """None while the user is still active, in the same tenant with the same role, and the
        session or token the socket was opened with is still valid; else the close code."""
        return self.refusal(selectors.sign_in_and_room(user_id=self.user_id, **self.keys())[0])

    def keys(self):
        """The sign-in to look up: the token key or the session key."""
        return {"token_key": self.key if self.method == "token" else None, "session_key": self.key if self.method == "session" else None}

    def refusal(self, sign_in):
        """The rule, on what selectors.sign_in_and_room read (None: the user is gone)."""
        if sign_in is None or not sign_in.is_active or sign_in.tenant_id != self.tenant_id or sign_in.role != self.role:
            return CLOSE_FORBIDDEN
        if self.method == "token":
            return None if self.key and sign_in.token_found else CLOSE_UNAUTHENTICATED
        if not self.key:
            return CLOSE_UNAUTHENTICATED
        # The session as Django's auth reads it on every request: present, not expired, this user,
        # and signed with the current password (a password change ends other sessions).
        store = import_module(settings.SESSION_ENGINE).SessionStore
        if settings.SESSION_ENGINE == selectors.DB_SESSIONS:
            data = store().decode(sign_in.session_data) if sign_in.session_data is not None else {}
        else:
            data = store(session_key=self.key).load()
        current_hash = User(pk=self.user_id, password=sign_in.password).get_session_auth_hash()
        if data.get(SESSION_KEY) != str(self.user_id) or not constant_time_compare(data.get(HASH_SESSION_KEY) or "", current_hash):
            return CLOSE_UNAUTHENTICATED
        return None


class TokenAuthMiddleware(BaseMiddleware):
    """`Authorization: Token <key>` on the handshake authenticates a non-browser client. When the
    header is present it decides alone (a wrong token is anonymous, whatever the cookies say)."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, key = value.decode("latin1").strip().partition(" ")
                key = key.strip()
                scope["user"] = await _user_for_token(key) if scheme.lower() == "token" and key else AnonymousUser()
                scope["auth_method"] = "token"
                scope["auth_token"] = key
                break
        else:
            scope["auth_method"] = "session"
        return await super().__call__(scope, receive, send)


def websocket_stack(inner):
    """Origin validation, then the session cookie (browsers) or the token header (other clients)."""
    return StrictOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
