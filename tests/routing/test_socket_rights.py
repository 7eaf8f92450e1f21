"""Rights that end, end on open sockets too (docs/websockets.md, "When rights end").

Each trigger goes through a real entry point (the logout view, the REST API, the console, the
Django admin, the drf_create_token command, the session store) while a socket of the user is open
on the real ASGI app; the socket gets a `closing` frame and the close code within a second. With the
push to the socket suppressed, the next action on it is still refused by the per-action check, and
nothing is stored or sent.
"""
import itertools
import json
import logging
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routing import services
from routing.acd import agents
from routing.choices import (
    AgentState,
    Channel,
    Direction,
    MessageStatus,
    Role,
    RoomState,
)
from routing.consumers import NOT_A_ROOM
from routing.models import Country, Message, Room, User
from routing.ws_auth import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")
_contacts = itertools.count(3000)


@pytest.fixture(autouse=True)
def _fresh_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)


def _world():
    Country.objects.get_or_create(code="US", defaults={"name": "United States", "long": True, "toll_free": True, "short": True,
                                                        "digital": True})
    t = factories.tenant()
    team = factories.team(t, session_limit=5)
    sms = factories.skill(t, channel=Channel.SMS)
    poc = factories.sms_poc(t, skill=sms)
    return {"tenant": t, "sms": sms, "poc": poc,
            "agent": factories.agent(t, team=team, skills=[sms], state=AgentState.AVAILABLE),
            "supervisor": factories.user(t, role=Role.SUPERVISOR),
            "admin": factories.admin(t), "admin2": factories.admin(t)}


world = database_sync_to_async(_world)
db = database_sync_to_async


def _active_room(w):
    room = Room.objects.create(tenant=w["tenant"], channel=Channel.SMS, state=RoomState.ACTIVE, point_of_contact=w["poc"],
                               contact_number="+1202555%04d" % next(_contacts), poc_number=w["poc"].number, skill=w["sms"],
                               agent=w["agent"])
    Message.objects.create(room=room, tenant=w["tenant"], direction=Direction.INBOUND, body="Hello", status=MessageStatus.RECEIVED)
    return room


def _signed_in(user):
    """A browser's session: a Client logged in through the login form."""
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": factories.PASSWORD}).status_code == 302
    return client


def app():
    from cxsms_site.asgi import application

    return application


async def open_socket(path, client=None, token=None):
    headers = [ORIGIN]
    if client is not None:
        headers.append((b"cookie", ("sessionid=" + client.cookies["sessionid"].value).encode()))
    if token is not None:
        headers.append((b"authorization", b"Token " + token.encode()))
    comm = WebsocketCommunicator(app(), path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    assert (await comm.receive_json_from(timeout=5))["type"] == "snapshot"
    return comm


async def closed_with(comm, code, within=1.0):
    """The socket says why and closes with `code`, within `within` seconds."""
    started = time.monotonic()
    frame = await comm.receive_json_from(timeout=within)
    while frame["type"] != "closing":  # a snapshot or event that was already on its way
        frame = await comm.receive_json_from(timeout=within)
    close = await comm.receive_output(timeout=within)
    assert close == {"type": "websocket.close", "code": code}
    assert frame["code"] == code and frame["detail"]
    assert time.monotonic() - started < within
    return frame


async def still_open(comm):
    await comm.send_json_to({"type": "ping"})
    frame = await comm.receive_json_from(timeout=2)
    while frame["type"] in ("agent.state", "snapshot"):  # events already on their way
        frame = await comm.receive_json_from(timeout=2)
    assert frame["type"] == "pong", frame


# --- each trigger closes the socket ----------------------------------------------------------

async def test_logout_closes_that_sessions_sockets_but_not_another_session():
    w = await world()
    browser, other_browser = await db(_signed_in)(w["agent"]), await db(_signed_in)(w["agent"])
    comm = await open_socket("/ws/agent/", client=browser)
    other = await open_socket("/ws/agent/", client=other_browser)
    assert (await db(browser.post)("/logout/")).status_code == 302
    frame = await closed_with(comm, CLOSE_UNAUTHENTICATED)
    assert "sign in again" in frame["detail"]
    await still_open(other)
    await other.disconnect()
    await comm.disconnect()


async def test_supervisor_socket_closes_on_logout():
    w = await world()
    browser = await db(_signed_in)(w["supervisor"])
    comm = await open_socket("/ws/supervisor/", client=browser)
    await db(browser.post)("/logout/")
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await comm.disconnect()


async def test_drf_create_token_regenerate_closes_the_token_socket():
    w = await world()
    key = (await db(services.token_create)(user=w["agent"])).key
    comm = await open_socket("/ws/agent/", token=key)
    await db(call_command)("drf_create_token", "-r", w["agent"].username)
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await comm.disconnect()
    assert await db(lambda: Token.objects.get(user=w["agent"]).key)() != key


async def test_token_revoked_in_the_console_closes_the_token_socket_only():
    w = await world()
    key = (await db(services.token_create)(user=w["agent"])).key
    comm = await open_socket("/ws/agent/", token=key)
    session_socket = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))
    console = await db(_signed_in)(w["admin"])
    response = await db(console.post)(f"/console/api-tokens/{w['agent'].pk}/revoke/")
    assert response.status_code == 302
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await still_open(session_socket)
    await session_socket.disconnect()
    await comm.disconnect()


async def test_deactivation_through_the_api_closes_the_socket():
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))
    api = APIClient()
    await db(api.force_authenticate)(w["admin"])
    response = await db(api.patch)(f"/api/v1/users/{w['agent'].pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    frame = await closed_with(comm, CLOSE_FORBIDDEN)
    assert "no longer" in frame["detail"]
    await comm.disconnect()


@pytest.mark.parametrize("path,who,new_role", [("/ws/agent/", "agent", Role.SUPERVISOR), ("/ws/supervisor/", "supervisor", Role.AGENT),
                                               ("/ws/supervisor/", "admin", Role.SUPERVISOR)])
async def test_role_change_closes_the_socket(path, who, new_role):
    w = await world()
    comm = await open_socket(path, client=await db(_signed_in)(w[who]))
    api = APIClient()
    await db(api.force_authenticate)(w["admin2"])
    response = await db(api.patch)(f"/api/v1/users/{w[who].pk}/", {"role": new_role}, format="json")
    assert response.status_code == 200, response.content
    await closed_with(comm, CLOSE_FORBIDDEN)
    await comm.disconnect()


async def test_deletion_in_the_django_admin_closes_the_socket():
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))

    def delete_in_admin():
        operator = Client()
        operator.force_login(factories.operator())
        return operator.post("/admin/routing/user/", {"action": "delete_selected", "_selected_action": [w["agent"].pk], "post": "yes"})

    assert (await db(delete_in_admin)()).status_code == 302
    await closed_with(comm, CLOSE_FORBIDDEN)
    await comm.disconnect()


async def test_password_change_closes_session_sockets():
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))

    def change_password():
        agent = User.objects.get(pk=w["agent"].pk)
        services.user_save(user=agent, password="A-brand-new-porridge-77")

    await db(change_password)()
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await comm.disconnect()


async def test_deleted_session_closes_its_sockets():
    w = await world()
    browser = await db(_signed_in)(w["agent"])
    comm = await open_socket("/ws/agent/", client=browser)
    key = browser.cookies["sessionid"].value
    await db(lambda: Session.objects.filter(session_key=key).delete())()
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await comm.disconnect()


async def test_unrelated_changes_keep_the_socket_open():
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))

    def rename():
        agent = User.objects.get(pk=w["agent"].pk)
        agent.first_name = "Mama"
        services.user_save(user=agent)
        agents.agent_set_state(agent=agent, state=AgentState.UNAVAILABLE)

    await db(rename)()
    await still_open(comm)
    await comm.disconnect()


# --- the per-action check, without the push ----------------------------------------------------

def revoke_right(user_id, how, browser=None):
    """End a user's right to their socket as `how` says: token_deleted, session_deleted (a sign-out:
    `browser` is the signed-in test client), deactivated, or demoted (made a supervisor)."""
    user = User.objects.get(pk=user_id)
    if how == "token_deleted":
        Token.objects.filter(user=user).delete()
    elif how == "session_deleted":
        Session.objects.filter(session_key=browser.cookies["sessionid"].value).delete()
    elif how == "deactivated":
        user.is_active = False
        services.user_save(user=user)
    else:
        user.role = Role.SUPERVISOR
        services.user_save(user=user)


def _quietly(fn):
    """Revoke without the signals (as a second process whose push was lost would look): only the
    socket's own re-check can notice."""
    from django.db.models.signals import post_delete, post_save

    from routing import signals

    post_delete.disconnect(signals.rights_after_token_delete, sender=Token)
    post_delete.disconnect(signals.rights_after_session_delete, sender=Session)
    post_save.disconnect(signals.rights_after_save, sender=User)
    try:
        return fn()
    finally:
        post_delete.connect(signals.rights_after_token_delete, sender=Token)
        post_delete.connect(signals.rights_after_session_delete, sender=Session)
        post_save.connect(signals.rights_after_save, sender=User)


@pytest.mark.parametrize("how", ["token_deleted", "session_deleted", "deactivated", "demoted"])
async def test_message_send_after_rights_ended_is_refused_and_nothing_is_stored(how):
    w = await world()
    room = await db(_active_room)(w)
    if how == "token_deleted":
        comm = await open_socket("/ws/agent/", token=(await db(services.token_create)(user=w["agent"])).key)
    else:
        browser = await db(_signed_in)(w["agent"])
        comm = await open_socket("/ws/agent/", client=browser)

    await db(_quietly)(lambda: revoke_right(w["agent"].pk, how, browser=None if how == "token_deleted" else browser))
    before = await db(lambda: Message.objects.filter(room=room).count())()
    await comm.send_json_to({"type": "message.send", "ref": "r1", "room": room.pk, "body": "Are you still there?"})
    reply = await comm.receive_json_from(timeout=2)
    expected = CLOSE_FORBIDDEN if how in ("deactivated", "demoted") else CLOSE_UNAUTHENTICATED
    assert reply["type"] == "reply" and reply["ref"] == "r1" and not reply["ok"]
    assert reply["status"] == (403 if expected == CLOSE_FORBIDDEN else 401)
    await closed_with(comm, expected)
    await comm.disconnect()
    assert await db(lambda: Message.objects.filter(room=room).count())() == before
    assert await db(lambda: Message.objects.filter(room=room, direction=Direction.OUTBOUND).exists())() is False


async def test_resync_after_session_ended_sends_no_snapshot():
    w = await world()
    browser = await db(_signed_in)(w["supervisor"])
    comm = await open_socket("/ws/supervisor/", client=browser)
    await db(_quietly)(lambda: Session.objects.filter(session_key=browser.cookies["sessionid"].value).delete())
    await comm.send_json_to({"type": "resync"})
    await closed_with(comm, CLOSE_UNAUTHENTICATED)
    await comm.disconnect()


async def test_actions_still_work_while_rights_hold():
    w = await world()
    room = await db(_active_room)(w)
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))
    await comm.send_json_to({"type": "message.send", "ref": "r1", "room": str(room.pk), "body": "Yes, still here."})
    while True:
        frame = await comm.receive_json_from(timeout=5)
        if frame["type"] == "reply":
            break
    assert frame["status"] == 201, frame
    await comm.disconnect()


# --- bad input and races (issue 12, item 6) ----------------------------------------------------

@pytest.mark.parametrize("room", ["²", "١٢", "12a", -3, 1.5, [], {"id": 1}])
async def test_a_room_that_is_not_a_number_is_answered_with_what_is_wrong(room):
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))
    await comm.send_json_to({"type": "message.send", "ref": "x", "room": room, "body": "Hi"})
    reply = await comm.receive_json_from(timeout=2)
    assert reply["type"] == "reply" and reply["ref"] == "x" and reply["status"] == 404
    assert reply["data"] == {"detail": NOT_A_ROOM} and "number" in NOT_A_ROOM
    await still_open(comm)
    await comm.disconnect()


async def test_not_json_is_still_answered_as_not_json():
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))
    await comm.send_to(text_data="{nope")
    assert (await comm.receive_json_from(timeout=2))["detail"] == "Messages are JSON objects."
    await comm.send_to(text_data="[" * 5000 + "]" * 5000)
    assert (await comm.receive_json_from(timeout=2))["detail"] == "Messages are JSON objects."
    await comm.disconnect()


async def test_a_push_while_the_client_is_closing_ends_quietly(caplog):
    """daphne between a client's close frame and the end of the connection: sending raises
    autobahn's Disconnected (what daphne's WebSocketProtocol does then). The push that races the
    disconnect is dropped; the consumer ends cleanly when the disconnect arrives, no traceback."""
    import asyncio

    from autobahn.exception import Disconnected

    from routing import events

    w = await world()
    browser = await db(_signed_in)(w["supervisor"])
    inbox, sent, closing = asyncio.Queue(), [], asyncio.Event()

    async def send(message):
        if closing.is_set() and message["type"] == "websocket.send":
            raise Disconnected("Attempt to send on a closed protocol")
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws/supervisor/", "raw_path": b"/ws/supervisor/", "query_string": b"", "subprotocols": [],
             "headers": [ORIGIN, (b"cookie", ("sessionid=" + browser.cookies["sessionid"].value).encode())], "client": ["127.0.0.1", 1],
             "server": ["testserver", 80]}
    caplog.set_level(logging.INFO)
    task = asyncio.ensure_future(app()(scope, inbox.get, send))
    await inbox.put({"type": "websocket.connect"})
    for _ in range(100):
        if any(m["type"] == "websocket.send" for m in sent):
            break
        await asyncio.sleep(0.05)
    assert sent[0]["type"] == "websocket.accept" and json.loads(sent[1]["text"])["type"] == "snapshot"
    closing.set()
    await db(lambda: events.to_supervisors(w["tenant"].pk, {"type": "room.updated", "room": {"id": 0}}))()
    await asyncio.sleep(0.5)  # the push and the throttled snapshot after it hit the closing socket
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 5)  # ends without an exception
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


# --- the periodic checks: a safety net should the push be lost -------------------------------

async def test_agent_socket_closes_at_the_periodic_check_without_the_push(settings):
    settings.CXSMS_WS_AGENT_CHECK_INTERVAL = 0.2
    w = await world()
    comm = await open_socket("/ws/agent/", client=await db(_signed_in)(w["agent"]))

    def deactivate():
        agent = User.objects.get(pk=w["agent"].pk)
        agent.is_active = False
        services.user_save(user=agent)

    await db(_quietly)(deactivate)
    await closed_with(comm, CLOSE_FORBIDDEN, within=1.5)
    await comm.disconnect()


async def test_supervisor_socket_closes_at_the_periodic_refresh_without_the_push(settings):
    settings.CXSMS_WS_SUPERVISOR_REFRESH = 0.4
    w = await world()
    browser = await db(_signed_in)(w["supervisor"])
    comm = await open_socket("/ws/supervisor/", client=browser)
    await db(_quietly)(lambda: Session.objects.filter(session_key=browser.cookies["sessionid"].value).delete())
    await closed_with(comm, CLOSE_UNAUTHENTICATED, within=1.5)
    await comm.disconnect()
