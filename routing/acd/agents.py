"""An agent's availability: available, unavailable, logged out. Unavailable agents keep their
rooms but get no offers; becoming available frees capacity for the queue (R13)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events
from ..choices import AgentState, Role
from ..models import User
from . import capacity
from .queues import after_capacity_change


@transaction.atomic
def agent_set_state(*, agent, state):
    if agent.role != Role.AGENT:
        raise ValidationError({"state": "Only agents have an availability state."})
    if state not in AgentState.values:
        raise ValidationError({"state": f"“{state}” is not one of {', '.join(AgentState.values)}."})
    agent = User.objects.select_for_update().get(pk=agent.pk)
    if agent.state == state:
        return agent
    capacity.store_state(agent, state, timezone.now())
    events.agent_state_changed(agent)
    if state == AgentState.AVAILABLE:
        after_capacity_change(agent)
    return agent
