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
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

# Close codes sent before the handshake is accepted (the browser sees a failed handshake; the
# ASGI test communicator sees the code). Documented in docs/websockets.md.
CLOSE_ORIGIN = 4003
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


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
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except (Token.DoesNotExist, ValueError):
        return AnonymousUser()
    return token.user if token.user.is_active else AnonymousUser()


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
                break
        else:
            scope["auth_method"] = "session"
        return await super().__call__(scope, receive, send)


def websocket_stack(inner):
    """Origin validation, then the session cookie (browsers) or the token header (other clients)."""
    return StrictOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
