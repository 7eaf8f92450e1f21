from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .choices import Role


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
    return redirect("agent")
