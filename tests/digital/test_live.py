"""The inbox's live feed: case events on /ws/agent/ and /ws/supervisor/ through the real ASGI application,
after texts arrive through the signed webhook and agents act through the REST API."""
import pytest
from channels.db import database_sync_to_async
from django.test import Client

from tests.digital.world import digital_world
from tests.hub import post_inbound, post_status
from tests.routing.test_consumers import _fresh_layer, open_socket, receive_until  # noqa: F401 (_fresh_layer: autouse fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]
API = "/api/v1/digital/"


@database_sync_to_async
def world():
    w = digital_world()
    w.ann.delete()  # one agent: every case goes to tommy
    return w


@database_sync_to_async
def text(w, number, body):
    assert post_inbound(Client(), w.poc, number, body).status_code == 200


@database_sync_to_async
def rest(user, method, path, body=None):
    c = Client()
    c.force_login(user)
    r = getattr(c, method)(API + path, body or {}, content_type="application/json")
    return r.status_code, r.json()


async def test_agent_feed_snapshot_then_case_assigned_message_updated_closed_in_sequence():
    w = await world()
    agent, snap = await open_socket("/ws/agent/", user=w.tommy)
    assert snap["cases"] == [] and snap["case_limit"] == 5 and snap["case_load"] == 0
    supervisor, sup_snap = await open_socket("/ws/supervisor/", user=w.supervisor)

    await text(w, "+12125552001", "Hi #ADVENTUREME")
    _, assigned = await receive_until(agent, "case.assigned")
    case = assigned["case"]
    assert case["contact_number"] == "+12125552001" and case["agent"] == w.tommy.id and case["queue_name"] == "Prospects"
    seq = assigned["agent_seq"]

    status, body = await rest(w.tommy, "post", f"cases/{case['id']}/accept/")
    assert status == 200
    _, updated = await receive_until(agent, "case.updated")
    assert updated["case"]["state"] == "open" and updated["agent_seq"] > seq

    await text(w, "+12125552001", "When do we leave?")
    _, message = await receive_until(agent, "case.message")
    assert message["message"]["body"] == "When do we leave?" and message["case"]["unread"] == 1

    status, _ = await rest(w.tommy, "post", f"cases/{case['id']}/state/", {"state": "closed"})
    assert status == 200
    _, closed = await receive_until(agent, "case.closed")
    assert closed["case"]["state"] == "closed" and closed["case"]["closed_at"]

    kinds = []
    while len(kinds) < 4 or kinds[-1] != "case.closed":
        msg = await supervisor.receive_json_from(timeout=5)
        if msg["type"].startswith("case."):
            kinds.append(msg["type"])
    assert {"case.updated", "case.assigned", "case.message", "case.closed"} <= set(kinds)

    # A fresh connection's snapshot is the database's truth: the closed case is gone from the agent's list.
    again, snap = await open_socket("/ws/agent/", user=w.tommy)
    assert snap["cases"] == [] and snap["agent_seq"] >= closed["agent_seq"]
    for comm in (agent, supervisor, again):
        await comm.disconnect()


async def test_a_case_leaving_an_agent_tells_their_page():
    w = await world()
    agent, _ = await open_socket("/ws/agent/", user=w.tommy)
    await text(w, "+12125552101", "hello")
    _, assigned = await receive_until(agent, "case.assigned")
    status, _ = await rest(w.tommy, "post", f"cases/{assigned['case']['id']}/reject/")
    assert status == 200
    _, updated = await receive_until(agent, "case.updated")
    assert updated["case"]["agent"] is None and updated["case"]["state"] == "new"
    await agent.disconnect()


@database_sync_to_async
def carrier_reports(w, message_id, status, error_code=None):
    from routing.models import Message

    message = Message.objects.get(pk=message_id)
    assert message.carrier_sid, "the outbox sent the text (simulator carrier)"
    assert post_status(Client(), w.poc, message.carrier_sid, status, error_code).status_code in (200, 204)


async def test_delivery_status_of_a_case_text_is_pushed_to_its_agent_and_supervisors():
    """The inbox no longer polls: a carrier's delivery report reaches the case's agent and the supervisors
    as case.message_status, numbered in the agent's sequence, and a fresh snapshot's case shows it too."""
    w = await world()
    agent, _ = await open_socket("/ws/agent/", user=w.tommy)
    supervisor, _ = await open_socket("/ws/supervisor/", user=w.supervisor)
    await text(w, "+12125552301", "hello")
    _, assigned = await receive_until(agent, "case.assigned")
    case_id = assigned["case"]["id"]
    assert (await rest(w.tommy, "post", f"cases/{case_id}/accept/"))[0] == 200
    status, sent = await rest(w.tommy, "post", f"cases/{case_id}/messages/", {"body": "On our way"})
    assert status == 201
    _, before = await receive_until(agent, "case.message")

    await carrier_reports(w, sent["id"], "delivered")
    _, pushed = await receive_until(agent, "case.message_status")
    assert pushed["case_id"] == case_id and pushed["message_id"] == sent["id"] and pushed["status"] == "delivered"
    assert pushed["agent_seq"] > before["agent_seq"]
    _, seen = await receive_until(supervisor, "case.message_status")
    assert seen["message_id"] == sent["id"] and seen["status"] == "delivered"


    status, detail = await rest(w.tommy, "get", f"cases/{case_id}/")
    assert {m["id"]: m["status"] for m in detail["messages"]}[sent["id"]] == "delivered"
    for comm in (agent, supervisor):
        await comm.disconnect()

