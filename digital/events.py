"""Live events of cases, pushed after commit through routing.events (docs/digital.md lists them):
`case.assigned`, `case.message`, `case.updated`, `case.closed` to the case's agent (numbered by their
`agent_seq`, as rooms' events are) and to the tenant's supervisors."""
from routing import events
from routing import selectors as routing_selectors

from . import selectors


def _send(kind, case, agent_ids=(), **extra):
    event = {"type": kind, "case": selectors.case_payload(case), **extra}
    for agent_id in {a for a in (case.agent_id, *agent_ids) if a}:
        events.to_agent(agent_id, event)
    events.to_supervisors(case.tenant_id, event)


def case_assigned(case):
    _send("case.assigned", case)


def case_updated(case, previous_agent_id=None):
    """`previous_agent_id`: an agent the case just left (rejected, lapsed, transferred): their page drops it."""
    _send("case.updated", case, agent_ids=[previous_agent_id])


def case_closed(case, previous_agent_id=None):
    _send("case.closed", case, agent_ids=[previous_agent_id])


def case_message(case, message):
    _send("case.message", case, message=routing_selectors.message_payload(message))
