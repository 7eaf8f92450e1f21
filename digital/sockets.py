"""The inbox's actions on a case over the agent socket /ws/agent/ (docs/websockets.md): accept, reject,
text the contact, change the state. One frame instead of an HTTP request each, as the ACD workspace
acts on rooms; the same services, input checks and tenant scoping as the REST API (digital/api/views.py).

The agent feed (routing.consumers) re-checks the sign-in and the role before each one and reads the
case's id; what is answered is small: the case as the list and the events show it (no thread, contact
card or history, which the REST answers carry and which cost an agent's action as much as a text did,
docs/benchmarks.md), or the text that was sent."""
from routing.hub.delivery import SocketAction
from routing.selectors import message_payload

from . import selectors, services
from .api import serializers as s
from .models import Case


def _validated(serializer_class, content):
    """The REST API's input rules for the same action; their ValidationError is answered as the API's 400."""
    data = serializer_class(data=content)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _action(act):
    """`act(case, agent, content)` -> (status, data) on a case of the agent's tenant: as the REST API's
    get_object (cases_for), another tenant's case is not found, before its input is read (the feed
    checks it with the sign-in: SocketAction.model); the services lock and read the case and decide
    whether it is the agent's to act on."""
    return SocketAction(lambda agent, case_id, content: act(Case(pk=case_id), agent, content), key="case", model=Case)


def _accept(case, agent, content):
    return 200, selectors.case_payload(services.case_accept(case=case, agent=agent))


def _reject(case, agent, content):
    return 200, selectors.case_payload(services.case_reject(case=case, agent=agent))


def _state(case, agent, content):
    state = _validated(s.CaseStateSerializer, content)["state"]
    return 200, selectors.case_payload(services.case_set_state(case=case, actor=agent, state=state))


def _reply(case, agent, content):
    # The body is checked where the text is stored (routing.hub.outbound.validate_body: text, not blank,
    # at most a carrier's maximum), as the ACD workspace's message.send is: the same 400s, one check.
    return 201, message_payload(services.case_reply(case=case, author=agent, body=content.get("body")))


ACTIONS = {"case.accept": _action(_accept), "case.reject": _action(_reject), "case.reply": _action(_reply),
           "case.state": _action(_state)}
