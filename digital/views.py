"""Pages: the inbox (agents and supervisors of Digital tenants), the console's queues and filters with
"try it". The inbox is a server-rendered shell; its data comes from the REST API and live events over
the agent's (or supervisor's) socket (docs/digital.md)."""
import zoneinfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from routing import selectors as routing_selectors
from routing.choices import AgentState, MessageStatus, Role, SmsDelivery
from routing.console.base import (
    ObjectDeleteView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    badge,
    muted,
)
from routing.rules import contact_normalize_number

from . import selectors, services
from .choices import CaseState, EntryKind
from .filtersets import FilterFilterSet, QueueFilterSet
from .forms import FilterForm, QueueForm, TryForm
from .models import split_list


def _refusal(request):
    user = request.user
    if user.is_superuser or user.tenant_id is None or user.role not in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        return render(request, "digital/forbidden.html", {"why": "The inbox is for the agents and supervisors of a company."}, status=403)
    if user.tenant.sms_delivery != SmsDelivery.DIGITAL:
        why = "Your company delivers texts to the agent workspace, not to the Digital inbox."
        return render(request, "digital/forbidden.html", {"why": why}, status=403)
    return None


@login_required
@ensure_csrf_cookie  # the page's REST calls send it back in X-CSRFToken
def inbox(request):
    refusal = _refusal(request)
    if refusal:
        return refusal
    user = request.user
    is_agent = user.role == Role.AGENT
    config = {
        "ws": "/ws/agent/" if is_agent else "/ws/supervisor/",
        "user": {"id": user.id, "username": user.username, "role": user.role},
        "is_agent": is_agent,
        "api": "/api/v1/digital/",
        "session_timeout": settings.CXSMS_SMS_SESSION_TIMEOUT,
        "labels": {"state": dict(CaseState.choices), "agent_state": dict(AgentState.choices), "entry": dict(EntryKind.choices),
                   "message_status": dict(MessageStatus.choices)},
        "queues": [{"id": q.id, "name": q.name} for q in selectors.queues_for(user)],
        "agents": [{"id": a.id, "username": a.username} for a in routing_selectors.users_for(user).filter(role=Role.AGENT, is_active=True)],
        "pocs": [{"id": p.id, "number": p.number} for p in routing_selectors.points_of_contact_for(user).filter(
            channel="sms", country="US", code_type="long", is_active=True)],
    }
    return render(request, "digital/inbox.html", {"config": config, "is_agent": is_agent, "states": CaseState.choices})


# --- console: queues and filters -----------------------------------------------------------

class DigitalMixin(ObjectMixin):
    def url(self, action, obj=None):
        return reverse(f"digital:{self.url_prefix}_{action}", args=[obj.pk] if obj is not None else [])


class QueueMixin(DigitalMixin):
    section = "digital_queues"
    selector = staticmethod(lambda user: selectors.queues_for(user).annotate(filter_count=Count("filters", distinct=True)))
    form_class = QueueForm
    filterset_class = QueueFilterSet
    filter_fields = ("is_fallback",)
    url_prefix = "queue"
    noun, noun_plural = "queue", "queues"
    columns = ("Name", "Priority", "Agents", "Filters", "")
    empty_text = "No queues yet — create one, and make it the fallback."
    help_text = ("Cases wait in a queue until an agent on it has room under their concurrent-case limit. Priority 1 is served first; "
                 "cases no filter places go to the fallback queue.")

    def row_cells(self, obj):
        agents = ", ".join(a.username for a in obj.agents.all()) or muted("nobody yet")
        return [obj.name, obj.priority, agents, obj.filter_count, badge("fallback", "on") if obj.is_fallback else ""]

    def save(self, form):
        agents = list(form.cleaned_data.get("agents") or [])
        return services.queue_save(instance=form.instance, agents=agents)


class QueueListView(QueueMixin, ObjectListView):
    pass


class QueueEditView(QueueMixin, ObjectEditView):
    pass


class QueueDeleteView(QueueMixin, ObjectDeleteView):
    pass


class FilterMixin(DigitalMixin):
    section = "digital_filters"
    selector = staticmethod(selectors.filters_for)
    form_class = FilterForm
    filterset_class = FilterFilterSet
    filter_fields = ("queue",)
    filter_querysets = {"queue": selectors.queues_for}
    url_prefix = "filter"
    noun, noun_plural = "filter", "filters"
    columns = ("Position", "Name", "Conditions", "Queue")
    empty_text = "No filters yet: every case goes to the fallback queue."
    help_text = ("Filters are tried in ascending position; the first whose conditions all hold places the case. "
                 "Try them on a sample text below.")

    def row_cells(self, obj):
        parts = []
        if obj.point_of_contact_id:
            parts.append(f"to {obj.point_of_contact.number}")
        if split_list(obj.keywords):
            parts.append("keywords " + ", ".join(split_list(obj.keywords)))
        if obj.pattern:
            parts.append(f"matches /{obj.pattern}/")
        if split_list(obj.tags):
            parts.append("tagged " + ", ".join(split_list(obj.tags)))
        if obj.hours_start:
            parts.append(f"{obj.hours_start:%H:%M}–{obj.hours_end:%H:%M}")
        return [obj.position, str(obj), "; ".join(parts) or muted("any text"), obj.queue.name]

    def extra_list_context(self):
        return {"extra_actions": [("Try it", reverse("digital:filter_try"))]}


class FilterListView(FilterMixin, ObjectListView):
    pass


class FilterEditView(FilterMixin, ObjectEditView):
    pass


class FilterDeleteView(FilterMixin, ObjectDeleteView):
    pass


class FilterTryView(FilterMixin, ObjectListView):
    """Which filter would place a sample first message, and why (nothing stored or sent)."""

    def get(self, request, *args, **kwargs):
        form = TryForm(request.GET or None, user=request.user)
        result = None
        tenant = request.user.tenant
        if form.is_bound and form.is_valid():
            v = form.cleaned_data
            at = v.get("at")
            if at is not None:  # typed in the company's time zone
                at = at.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(tenant.time_zone)) if timezone.is_naive(at) else at
            number = ""
            if v.get("contact_number"):
                try:
                    number = contact_normalize_number(v["contact_number"])
                except ValidationError:
                    form.add_error("contact_number", "This is not a phone number.")
            if form.is_valid():
                poc = v.get("point_of_contact")
                result = selectors.filters_try(tenant, body=v["body"], poc_id=poc.pk if poc else None, contact_number=number, at=at)
        return self.render("digital/filter_try.html", {"form": form, "result": result, "list_url": reverse("digital:filter_list")})
