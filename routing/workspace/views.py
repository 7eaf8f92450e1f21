"""The agent workspace and the supervisor view: server-rendered shells; everything live comes
from the websocket snapshot and events (routing/consumers.py), actions go to the REST API."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from ..choices import AgentState, CloseReason, MessageStatus, Role, RoomState, SkipReason


def _require_role(user, *roles):
    if user.is_superuser or user.tenant_id is None or user.role not in roles:
        raise PermissionDenied("This page is for %s." % " and ".join(Role(r).label.lower() + "s" for r in roles))


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
def agent_workspace(request):
    _require_role(request.user, Role.AGENT)
    config = {
        "ws": "/ws/agent/",
        "user": {"id": request.user.id, "username": request.user.username},
        "offer_timeout": settings.CXSMS_OFFER_TIMEOUT,
        "labels": _labels(),
    }
    return render(request, "workspace/agent.html", {"config": config})


@login_required
def supervisor_view(request):
    _require_role(request.user, Role.SUPERVISOR, Role.ADMIN)
    config = {
        "ws": "/ws/supervisor/",
        "user": {"id": request.user.id, "username": request.user.username, "role": request.user.role},
        "is_admin": request.user.role == Role.ADMIN,
        "labels": _labels(),
    }
    return render(request, "workspace/supervisor.html", {"config": config, "is_admin": config["is_admin"]})
