from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .choices import Channel, Role
from .hub import delivery


@login_required
def home(request):
    """Each role lands on its own page."""
    user = request.user
    if user.is_superuser:
        return redirect("admin:index")
    if user.role == Role.ADMIN:
        return redirect("console:dashboard")
    if user.role == Role.SUPERVISOR:
        return redirect("supervisor")
    return redirect(agent_home(user))


def agent_home(user):
    """The agent's page in their tenant's delivery mode (a Digital agent works in the inbox)."""
    mode = delivery.mode_for(user.tenant, Channel.SMS) if user.tenant_id else None
    return getattr(mode, "agent_home", None) or "agent"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, which browsers ask for at the root whatever the page says (static/favicon.ico)."""
    found = finders.find("favicon.ico")  # the source file; a deployment without it has the collected copy
    with (open(found, "rb") if found else staticfiles_storage.open("favicon.ico")) as f:
        return HttpResponse(f.read(), content_type="image/x-icon")
