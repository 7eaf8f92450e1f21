"""The supervisor page's socket carries an agent's unavailable reason: in the agent.state event and in
the snapshot's agent row (the page shows it beside the state, with the time so far)."""
import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from routing.models import UnavailableReason
from tests.routing.test_consumers import _fresh_layer, open_socket, receive_until, world  # noqa: F401 (_fresh_layer: autouse)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]


@database_sync_to_async
def go_unavailable(agent, name):
    reason = UnavailableReason.objects.create(tenant=agent.tenant, name=name)
    c = APIClient()
    c.force_authenticate(agent)
    return c.put("/api/v1/me/state/", {"state": "unavailable", "reason": reason.pk}, format="json").status_code


async def test_supervisor_sees_the_reason_live():
    w = (await world())["a"]
    comm, first = await open_socket("/ws/supervisor/", user=w["supervisor"])
    assert await go_unavailable(w["agent"], "Lunch") == 200
    _, event = await receive_until(comm, "agent.state")
    assert (event["agent"], event["state"], event["reason"]) == (w["agent"].pk, "unavailable", "Lunch")
    _, snap = await receive_until(comm, "snapshot")
    row = next(a for a in snap["agents"] if a["id"] == w["agent"].pk)
    assert (row["state"], row["state_reason"]) == ("unavailable", "Lunch") and row["state_changed_at"]
    await comm.disconnect()
