"""The agent workspace and the supervisor view: server-rendered shells; everything live comes
from the websocket snapshot and events (routing/consumers.py), actions go to the REST API."""
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie

from .. import selectors, services
from ..api.base import scoped_filterset
from ..choices import AgentState, Channel, CloseReason, MessageStatus, Role, RoomState, SkipReason
from ..filtersets import RoomFilterSet
from ..views import agent_home
from .forms import OwnCannedResponseForm

SEARCH_PAGE_SIZE = 25
SEARCH_FIELDS = ("number", "text", "skill", "agent", "date_from", "date_to", "disposition", "channel", "state")


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


_SearchFilterSet = scoped_filterset(RoomFilterSet)


@login_required
def conversation_search(request):
    """Conversation search: an agent's own conversations, a supervisor's or administrator's whole
    tenant. The same filters as the REST API's rooms/ (routing/filtersets.py), scoped the same way."""
    refusal = _refuse(request, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    if refusal:
        return refusal
    user = request.user
    # A form leaves its empty fields in the query: here they mean "any", as a left-out filter does.
    data = {k: request.GET[k] for k in SEARCH_FIELDS if request.GET.get(k, "") != ""}
    filters = _SearchFilterSet(data, queryset=selectors.rooms_for(user).select_related("disposition").order_by("-opened_at", "-id"),
                               request=request)
    page, errors = None, {}
    if data:
        if filters.is_valid():
            page = Paginator(filters.qs, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        else:
            errors = {name: " ".join(msgs) for name, msgs in filters.errors.items()}
    query = urlencode(data)  # the page links keep the filters
    is_manager = user.role in (Role.SUPERVISOR, Role.ADMIN)
    context = {
        "data": data, "page": page, "errors": errors, "searched": bool(data), "is_manager": is_manager, "query": query,
        "skills": selectors.skills_for(user).order_by("channel", "name"),
        "agents": selectors.users_for(user).filter(role=Role.AGENT).order_by("username") if is_manager else [],
        "dispositions": selectors.dispositions_for(user).order_by("name"),
        "channels": Channel.choices, "states": RoomState.choices,
        "close_reasons": dict(CloseReason.choices),
    }
    return render(request, "workspace/search.html", context, status=400 if errors else 200)


@login_required
def conversation_transcript(request, room_id):
    """One conversation's transcript, read-only, for whoever may see the room (rooms_for)."""
    refusal = _refuse(request, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    if refusal:
        return refusal
    room = (selectors.rooms_for(request.user).select_related("disposition", "transferred_by").filter(pk=room_id).first())
    if room is None:
        raise Http404("No such conversation.")
    return render(request, "workspace/transcript.html", {
        # The thread as the agent saw it: texts and internal notes (never sent) in the order they were written.
        "room": room, "close_reasons": dict(CloseReason.choices),
        "entries": sorted([*selectors.messages_for_room(room), *selectors.notes_for_room(room)], key=lambda e: (e.created_at, e.pk)),
        "live": room.state != RoomState.CLOSED, "is_manager": request.user.role in (Role.SUPERVISOR, Role.ADMIN),
    })


@login_required
def own_canned_responses(request, pk=None):
    """An agent's own canned responses: add, change, delete; the tenant's are listed beside them
    read-only (administrators keep those in the console)."""
    refusal = _refuse(request, Role.AGENT)
    if refusal:
        return refusal
    user = request.user
    mine = selectors.canned_responses_for(user).filter(owner=user)
    editing = get_object_or_404(mine, pk=pk) if pk else None  # another's, or the tenant's: 404
    if request.method == "POST" and editing is not None and "delete" in request.POST:
        services.canned_response_delete(response=editing, actor=user)
        messages.success(request, f"“{editing.name}” deleted.")
        return redirect("own-canned")
    form = OwnCannedResponseForm(request.POST or None, instance=editing, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.canned_response_save(response=form.instance, actor=user)
        except ValidationError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, f"“{saved.name}” saved. Type /{saved.shortcut} in the reply box to use it." if saved.shortcut
                             else f"“{saved.name}” saved.")
            return redirect("own-canned")
    return render(request, "workspace/canned.html", {
        "form": form, "editing": editing, "mine": mine.order_by("name", "id"),
        "shared": selectors.canned_responses_for(user).filter(owner__isnull=True).order_by("name", "id"),
    }, status=400 if form.errors else 200)
