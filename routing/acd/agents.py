"""An agent's availability: available, unavailable, logged out. Unavailable agents keep their
rooms but get no offers; becoming available frees capacity for the queue (R13)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import events
from ..choices import AgentState, Role
from ..models import User
from ..reports import history
from . import capacity
from .queues import after_capacity_change


@transaction.atomic
def agent_set_state(*, agent, state, reason=None, system_reason=""):
    """`reason`: one of the tenant's active UnavailableReasons the agent chose, only with unavailable;
    `system_reason`: one the system gives (models.workspace.SYSTEM_REASONS), e.g. a lapsed offer.
    A new reason while already unavailable is a change of its own (the history records it)."""
    if agent.role != Role.AGENT:
        raise ValidationError({"state": "Only agents have an availability state."})
    if state not in AgentState.values:
        raise ValidationError({"state": f"“{state}” is not one of {', '.join(AgentState.values)}."})
    if reason is not None and (reason.tenant_id != agent.tenant_id or not reason.is_active):
        raise ValidationError({"reason": "Choose one of the reasons your administrator set up."})
    reason_name = reason.name if reason is not None else system_reason
    if reason_name and state != AgentState.UNAVAILABLE:
        raise ValidationError({"reason": "A reason goes only with Unavailable."})
    agent = User.objects.select_for_update().get(pk=agent.pk)
    if agent.state == state and (agent.state_reason == reason_name or system_reason):
        return agent  # unchanged; a system reason does not replace the one an unavailable agent chose
    now = timezone.now()
    capacity.store_state(agent, state, now, reason=reason_name)
    history.state_change_record(agent=agent, state=state, reason=reason_name, at=now)  # the reports' state history
    events.agent_state_changed(agent)
    if state == AgentState.AVAILABLE:
        after_capacity_change(agent)
    return agent
