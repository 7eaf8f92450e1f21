"""The agent workspace and the supervisor view: server-rendered shells; everything live comes
from the websocket snapshot and events (routing/consumers.py), actions go to the REST API."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from ..choices import AgentState, CloseReason, MessageStatus, Role, RoomState, SkipReason
from ..views import agent_home


def _refuse(request, *roles):
    """A 403 page that says who the page is for, or None when the user may see it."""
    user = request.user
    if user.is_superuser or user.tenant_id is None or user.role not in roles:
        who = " and ".join(Role(r).label.lower() + "s" for r in roles)
        return render(request, "workspace/forbidden.html", {"who": who}, status=403)
    return None


def _labels():
    """Human labels the pages show for the codes found in snapshots and events."""
    return {
        "close_reason": dict(CloseReason.choices),
        "message_status": dict(MessageStatus.choices),
        "agent_state": dict(AgentState.choices),
        "room_state": dict(RoomState.choices),
        "skip_reason": dict(SkipReason.choices),
    }


@login_required
@ensure_csrf_cookie  # the page's REST calls send it back in X-CSRFToken
def agent_workspace(request):
    refusal = _refuse(request, Role.AGENT)
    if refusal:
        return refusal
    if (home := agent_home(request.user)) != "agent":
        return redirect(home)  # the ACD workspace's controls mean nothing in another delivery mode
    config = {
        "ws": "/ws/agent/",
        "user": {"id": request.user.id, "username": request.user.username},
        "offer_timeout": settings.CXSMS_OFFER_TIMEOUT,
        "session_timeout": settings.CXSMS_SMS_SESSION_TIMEOUT,
        "labels": _labels(),
    }
    return render(request, "workspace/agent.html", {"config": config})


@login_required
@ensure_csrf_cookie
def supervisor_view(request):
    refusal = _refuse(request, Role.SUPERVISOR, Role.ADMIN)
    if refusal:
        return refusal
    config = {
        "ws": "/ws/supervisor/",
        "user": {"id": request.user.id, "username": request.user.username, "role": request.user.role},
        "is_admin": request.user.role == Role.ADMIN,
        "labels": _labels(),
    }
    return render(request, "workspace/supervisor.html", {"config": config, "is_admin": config["is_admin"]})
