"""An agent who logs out stops receiving offers (R13: logged-out agents get no new work)."""
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from .choices import AgentState, Role


@receiver(user_logged_out)
def agent_logged_out(sender, request, user, **kwargs):
    if user is not None and getattr(user, "role", None) == Role.AGENT and user.state != AgentState.LOGGED_OUT:
        from .services import agent_set_state

        agent_set_state(agent=user, state=AgentState.LOGGED_OUT)
