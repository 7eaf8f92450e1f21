"""Live events of cases, pushed after commit through routing.events (docs/digital.md lists them):
`case.assigned`, `case.message`, `case.updated`, `case.closed`, `case.message_status` to the case's agent (numbered by their
`agent_seq`, as rooms' events are) and to the tenant's supervisors."""
from routing import events
from routing import selectors as routing_selectors

from . import selectors


def _send(kind, case, agent_ids=(), agent_seq=None, **extra):
    """`agent_seq`: the case's agent's sequence, already bumped by the caller's own update of their row."""
    event = {"type": kind, "case": selectors.case_payload(case), **extra}
    for agent_id in {a for a in (case.agent_id, *agent_ids) if a}:
        events.to_agent(agent_id, event, agent_seq if agent_id == case.agent_id else None)
    events.to_supervisors(case.tenant_id, event)


def case_assigned(case, agent_seq=None):
    _send("case.assigned", case, agent_seq=agent_seq)


def case_updated(case, previous_agent_id=None, agent_seq=None):
    """`previous_agent_id`: an agent the case just left (rejected, lapsed, transferred): their page drops it."""
    _send("case.updated", case, agent_ids=[previous_agent_id], agent_seq=agent_seq)


def case_closed(case, previous_agent_id=None):
    _send("case.closed", case, agent_ids=[previous_agent_id])


def case_message(case, message, agent_seq=None):
    _send("case.message", case, agent_seq=agent_seq, message=routing_selectors.message_payload(message))


def message_status(message):
    """A delivery report for one of a case's texts (registered with routing.events.on_message_status):
    the inbox shows it without reading the case again."""
    if message.room_id and message.room.agent_id:
        return  # an ACD room's text: routing's own message.status reaches its agent
    case = selectors.case_for_message(message)
    if case is None:
        return
    event = {"type": "case.message_status", "case_id": case.id, "message_id": message.id, "status": message.status,
             "segments": message.segments, "error_code": message.error_code, "error_message": message.error_message}
    if case.agent_id:
        events.to_agent(case.agent_id, event)
    events.to_supervisors(case.tenant_id, event)
