from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

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
