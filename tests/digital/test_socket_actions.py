"""The inbox's actions on cases over /ws/agent/ (docs/websockets.md): frames through the real ASGI application,
texts in through the signed webhook. Each action does what its REST twin does, refuses what it refuses, and
answers a small `reply` (the case as the list shows it, or the text sent), never the case's full detail."""
import pytest
from channels.db import database_sync_to_async
from django.test import Client

from digital.models import Case
from routing import services
from routing.choices import Direction
from routing.models import Message
from routing.ws_auth import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests import factories as f
from tests.digital.world import digital_world
from tests.hub import post_inbound
from tests.routing.test_consumers import _fresh_layer, open_socket, receive_until  # noqa: F401 (_fresh_layer: autouse fixture)
from tests.routing.test_socket_rights import _quietly, closed_with, revoke_right

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]
db = database_sync_to_async
DETAIL_KEYS = {"messages", "contact", "entries"}  # what the REST answers carry and a socket reply does not


@db
def text(w, number, body):
    assert post_inbound(Client(), w.poc, number, body).status_code == 200


@db
def case_of(number):
    return Case.objects.exclude(state="closed").select_related("agent").get(contact_number=number)


@db
def outbound_bodies(case_id):
    case = Case.objects.get(pk=case_id)
    return list(Message.objects.filter(room_id=case.room_id, direction=Direction.OUTBOUND).values_list("body", flat=True))


async def act(comm, frame, ref):
    """Send an action and return its reply (the action's own events may come before it)."""
    await comm.send_json_to(dict(frame, ref=ref))
    _, reply = await receive_until(comm, "reply")
    assert reply["ref"] == ref and reply["action"] == frame.get("type"), reply
    return reply


async def offered_case(w, comm, number, body="Hi #ADVENTUREME"):
    await text(w, number, body)
    _, assigned = await receive_until(comm, "case.assigned")
    assert assigned["case"]["contact_number"] == number
    return assigned["case"]


async def test_accept_reply_and_state_change_over_the_socket_act_like_the_api_and_answer_small():
    w = await db(digital_world)()
    comm, snap = await open_socket("/ws/agent/", user=w.tommy)
    assert snap["cases"] == []
    case = await offered_case(w, comm, "+12125553001")
    assert case["agent"] == w.tommy.id

    reply = await act(comm, {"type": "case.accept", "case": case["id"]}, 1)
    assert reply["ok"] and reply["status"] == 200
    assert reply["data"]["id"] == case["id"] and reply["data"]["state"] == "open" and reply["data"]["expires_at"]
    assert not DETAIL_KEYS & set(reply["data"])
    _, updated = await receive_until(comm, "case.updated")  # the event still reaches the agent's pages
    assert updated["case"]["state"] == "open"

    reply = await act(comm, {"type": "case.reply", "case": case["id"], "body": "We leave on Saturday!"}, 2)
    assert reply["status"] == 201 and reply["data"]["body"] == "We leave on Saturday!" and reply["data"]["direction"] == "outbound"
    assert await outbound_bodies(case["id"]) == ["We leave on Saturday!"]

    reply = await act(comm, {"type": "case.state", "case": str(case["id"]), "state": "resolved"}, 3)
    assert reply["status"] == 200 and reply["data"]["state"] == "resolved" and not DETAIL_KEYS & set(reply["data"])
    reply = await act(comm, {"type": "case.state", "case": case["id"], "state": "closed"}, 4)
    assert reply["status"] == 200 and reply["data"]["state"] == "closed" and reply["data"]["closed_at"]
    _, closed = await receive_until(comm, "case.closed")
    assert closed["case"]["id"] == case["id"]
    stored = await db(lambda: list(Case.objects.get(pk=case["id"]).entries.values_list("kind", "to_state")))()
    assert ("accepted", "open") in stored and ("state", "resolved") in stored and ("state", "closed") in stored
    await comm.disconnect()


async def test_a_case_s_events_reach_its_agent_numbered_one_after_the_other():
    """The offer, the accept, the reply and its delivery report each bump the agent's sequence once, in
    the writes they make (a page that sees a gap asks for a snapshot): no number is skipped or used twice,
    and a fresh snapshot carries the last one."""
    w = await db(digital_world)()
    comm, snap = await open_socket("/ws/agent/", user=w.tommy)
    await text(w, "+12125553011", "Hi #ADVENTUREME")
    _, assigned = await receive_until(comm, "case.assigned")
    case = assigned["case"]
    await comm.send_json_to({"type": "case.accept", "case": case["id"], "ref": 1})
    await comm.send_json_to({"type": "case.reply", "case": case["id"], "body": "See you there", "ref": 2})
    numbered = [("case.assigned", assigned["agent_seq"])]
    while len(numbered) < 4:
        frame = await comm.receive_json_from(timeout=5)
        if "agent_seq" in frame:
            numbered.append((frame["type"], frame["agent_seq"]))
    first = numbered[0][1]
    assert first == snap["agent_seq"] + 1
    assert numbered == [("case.assigned", first), ("case.updated", first + 1), ("case.message", first + 2),
                        ("case.message_status", first + 3)], numbered
    again, fresh = await open_socket("/ws/agent/", user=w.tommy)
    assert fresh["agent_seq"] == first + 3
    await comm.disconnect()
    await again.disconnect()


async def test_reject_over_the_socket_hands_the_case_to_the_next_agent():
    w = await db(digital_world)()
    tommy, _ = await open_socket("/ws/agent/", user=w.tommy)
    ann, _ = await open_socket("/ws/agent/", user=w.ann)
    case = await offered_case(w, tommy, "+12125553002")
    reply = await act(tommy, {"type": "case.reject", "case": case["id"]}, "r")
    assert reply["ok"] and reply["data"]["id"] == case["id"]
    _, assigned = await receive_until(ann, "case.assigned")
    assert assigned["case"]["id"] == case["id"] and assigned["case"]["agent"] == w.ann.id
    assert (await case_of("+12125553002")).agent_id == w.ann.id
    await tommy.disconnect()
    await ann.disconnect()


async def test_another_tenants_case_a_colleagues_case_and_a_case_not_yet_accepted_are_refused_and_nothing_changes():
    w = await db(digital_world)()
    other = await db(digital_world)(poc_number="+12125559999")
    comm, _ = await open_socket("/ws/agent/", user=w.tommy)
    mine = await offered_case(w, comm, "+12125553003")
    await text(w, "+12125553004", "Hi #ADVENTUREME")  # goes to ann: she has fewer cases
    colleagues = await case_of("+12125553004")
    assert colleagues.agent_id == w.ann.id
    await text(other, "+12125553005", "Hi #ADVENTUREME")
    foreign = await case_of("+12125553005")

    refused = [
        ({"type": "case.accept", "case": foreign.id}, 404, "detail"),
        ({"type": "case.reply", "case": foreign.id, "body": "Hello"}, 404, "detail"),
        ({"type": "case.state", "case": foreign.id, "state": "closed"}, 404, "detail"),
        ({"type": "case.reject", "case": foreign.id}, 404, "detail"),
        ({"type": "case.accept", "case": colleagues.id}, 400, "state"),  # offered to ann, not to tommy
        ({"type": "case.reject", "case": colleagues.id}, 400, "state"),
        ({"type": "case.reply", "case": colleagues.id, "body": "Hello"}, 403, "detail"),
        ({"type": "case.state", "case": colleagues.id, "state": "closed"}, 403, "detail"),
        ({"type": "case.reply", "case": mine["id"], "body": "Before accepting"}, 400, "body"),
        ({"type": "case.state", "case": mine["id"], "state": "resolved"}, 400, "state"),
    ]
    for ref, (frame, status, key) in enumerate(refused):
        reply = await act(comm, frame, ref)
        assert (reply["ok"], reply["status"]) == (False, status), (frame, reply)
        assert key in reply["data"] and "Traceback" not in str(reply["data"]), reply
    assert "another company" in (await act(comm, refused[0][0], "again"))["data"]["detail"]

    after = await db(lambda: {c.pk: (c.state, c.agent_id) for c in Case.objects.filter(pk__in=[mine["id"], colleagues.id, foreign.id])})()
    assert after == {mine["id"]: ("new", w.tommy.id), colleagues.id: ("new", w.ann.id), foreign.id: ("new", other.tommy.id)}
    assert await db(lambda: Message.objects.filter(direction=Direction.OUTBOUND).count())() == 0
    await comm.disconnect()


@pytest.mark.parametrize("frame, status, says", [
    ({"type": "case.accept"}, 404, 'for example {"case": 12}'),
    ({"type": "case.accept", "case": "abc"}, 404, "No such case"),
    ({"type": "case.accept", "case": "²"}, 404, "No such case"),
    ({"type": "case.accept", "case": 1.5}, 404, "No such case"),
    ({"type": "case.accept", "case": [1]}, 404, "No such case"),
    ({"type": "case.accept", "case": -1}, 404, "No such case"),
    ({"type": "case.accept", "case": 2 ** 70}, 404, "No such case"),
    ({"type": "case.state", "case": "12x", "state": "closed"}, 404, "No such case"),
    ({"type": "case.state", "case": "CASE", "state": "sleeping"}, 400, "state"),
    ({"type": "case.state", "case": "CASE", "state": ["closed"]}, 400, "state"),
    ({"type": "case.state", "case": "CASE"}, 400, "state"),
    ({"type": "case.reply", "case": "CASE"}, 400, "body"),
    ({"type": "case.reply", "case": "CASE", "body": {"text": "hi"}}, 400, "body"),
    ({"type": "case.reply", "case": "CASE", "body": "x" * 4001}, 400, "body"),
    ({"type": "case.reply", "case": "CASE", "body": "   "}, 400, "body"),
])
async def test_malformed_case_frames_get_a_clear_reply_and_change_nothing(frame, status, says):
    w = await db(digital_world)()
    comm, _ = await open_socket("/ws/agent/", user=w.tommy)
    case = await offered_case(w, comm, "+12125553006")
    assert (await act(comm, {"type": "case.accept", "case": case["id"]}, "ok"))["ok"]
    frame = {k: (case["id"] if v == "CASE" else v) for k, v in frame.items()}
    reply = await act(comm, frame, "bad")
    assert (reply["ok"], reply["status"]) == (False, status), reply
    assert says in str(reply["data"]), reply
    stored = await case_of("+12125553006")
    assert stored.state == "open" and await outbound_bodies(case["id"]) == []
    # The socket stays open and usable.
    assert (await act(comm, {"type": "case.reply", "case": case["id"], "body": "Still here"}, "after"))["status"] == 201
    await comm.disconnect()


async def test_frames_that_are_not_actions_get_an_error_frame_and_the_socket_stays_open():
    w = await db(digital_world)()
    comm, _ = await open_socket("/ws/agent/", user=w.tommy)
    for raw in ("not json", "[1, 2]", '{"type": ["case.accept"]}', '{"type": "case.explode", "case": 1}', '{"case": 1}'):
        await comm.send_to(text_data=raw)
        frame = await comm.receive_json_from(timeout=5)
        assert frame["type"] == "error" and frame["detail"], (raw, frame)
    await comm.send_json_to({"type": "case.explode"})
    assert "case.accept" in (await comm.receive_json_from(timeout=5))["detail"]  # the error names the actions there are
    await comm.send_json_to({"type": "ping"})
    assert (await comm.receive_json_from(timeout=5))["type"] == "pong"
    await comm.disconnect()


async def test_an_acd_agent_cannot_act_on_a_digital_tenants_case():
    w = await db(digital_world)()
    acd = await db(f.tenant)()
    acd_agent = await db(f.agent)(acd)
    comm, _ = await open_socket("/ws/agent/", user=w.tommy)
    case = await offered_case(w, comm, "+12125553007")
    stranger, _ = await open_socket("/ws/agent/", user=acd_agent)
    reply = await act(stranger, {"type": "case.accept", "case": case["id"]}, 1)
    assert reply["status"] == 404
    assert (await case_of("+12125553007")).state == "new"
    await comm.disconnect()
    await stranger.disconnect()


def _signed_in(user):
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": f.PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("how", ["session_deleted", "token_deleted", "deactivated", "demoted"])
async def test_each_case_action_rechecks_the_sign_in_and_the_role(how):
    """With the rights push suppressed (a lost push), the action itself is refused, nothing is done, and the socket closes."""
    from tests.routing.test_socket_rights import open_socket as open_with

    w = await db(digital_world)()
    if how == "token_deleted":
        comm = await open_with("/ws/agent/", token=(await db(services.token_create)(user=w.tommy)).key)
    else:
        browser = await db(_signed_in)(w.tommy)
        comm = await open_with("/ws/agent/", client=browser)
    case = await offered_case(w, comm, "+12125553008")

    await db(_quietly)(lambda: revoke_right(w.tommy.pk, how, browser=None if how == "token_deleted" else browser))
    reply = await act(comm, {"type": "case.accept", "case": case["id"]}, "late")
    expected = CLOSE_UNAUTHENTICATED if how in ("session_deleted", "token_deleted") else CLOSE_FORBIDDEN
    assert not reply["ok"] and reply["status"] == (401 if expected == CLOSE_UNAUTHENTICATED else 403)
    await closed_with(comm, expected)
    await comm.disconnect()
    assert (await case_of("+12125553008")).state == "new"


async def test_a_database_too_busy_to_answer_is_a_reply_saying_so_and_the_socket_stays_open(monkeypatch):
    """SQLite's lock wait running out under overload cannot be made to happen on cue, so the service raises what
    the database driver raises then. The socket answers 503 instead of dropping, and works on."""
    from django.db import OperationalError

    from digital import services as digital_services

    w = await db(digital_world)()
    comm, _ = await open_socket("/ws/agent/", user=w.tommy)
    case = await offered_case(w, comm, "+12125553009")
    real = digital_services.case_accept

    def locked(**kw):
        raise OperationalError("database is locked")

    monkeypatch.setattr(digital_services, "case_accept", locked)
    reply = await act(comm, {"type": "case.accept", "case": case["id"]}, "busy")
    assert (reply["ok"], reply["status"]) == (False, 503) and "too busy" in reply["data"]["detail"]
    monkeypatch.setattr(digital_services, "case_accept", real)
    reply = await act(comm, {"type": "case.accept", "case": case["id"]}, "again")
    assert reply["status"] == 200 and (await case_of("+12125553009")).state == "open"
    await comm.disconnect()
