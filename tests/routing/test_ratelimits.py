"""Rate limits through HTTP: login lockout (django-axes) with its admin reset, API throttles, the
anonymous web chat per address, and carrier webhooks never limited. docs/security.md."""
import uuid

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from routing.models import Room
from tests import factories as f
from tests.hub import post_inbound

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OTHER = "198.51.100.20"
LOCKED = b"Too many failed log-in attempts"


@pytest.fixture
def limits(settings):
    """The limits on (tests/conftest.py switches them off for the rest of the suite), counted in a
    cache of this test's own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    settings.AXES_ENABLED = True
    return settings


def login(client, username, password, address=ATTACKER):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_sixth_wrong_password_locks_even_the_right_one_until_an_admin_resets_it(client, limits):
    t = f.tenant()
    agent = f.agent(t, team=f.team(t))
    for _ in range(5):
        r = login(client, agent.username, "not-the-password")
        assert r.status_code == 200 and b"correct username and password" in r.content
    r = login(client, agent.username, "not-the-password")
    assert r.status_code == 429 and LOCKED in r.content and b"15 minutes" in r.content
    assert r["Retry-After"] == "900"
    r = login(client, agent.username, f.PASSWORD)
    assert r.status_code == 429 and LOCKED in r.content
    assert client.get("/agent/").status_code == 302  # not logged in
    # Locked for that username from anywhere, not only from the attacker's address.
    assert login(client, agent.username, f.PASSWORD, address=OTHER).status_code == 429

    # The platform operator unlocks it in the Django admin (Axes > Access attempts: delete).
    operator = f.operator()
    staff = client.__class__()
    staff.force_login(operator)
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and agent.username.encode() in listing.content
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    r = staff.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert r.status_code == 302
    r = login(client, agent.username, f.PASSWORD)
    assert r.status_code == 302 and client.get("/agent/").status_code == 200


def test_one_address_trying_many_usernames_is_locked_and_axes_reset_unlocks_it(client, limits):
    t = f.tenant()
    agent = f.agent(t, team=f.team(t))
    for i in range(6):
        login(client, f"guess-{i}", "not-the-password")
    assert LOCKED in login(client, agent.username, f.PASSWORD).content
    # The same user from another address is not locked: only the address is.
    assert login(client.__class__(), agent.username, f.PASSWORD, address=OTHER).status_code == 302
    call_command("axes_reset", verbosity=0)
    assert login(client, agent.username, f.PASSWORD).status_code == 302


def api_client(client, user, address=ATTACKER):
    token, _ = Token.objects.get_or_create(user=user)
    return lambda path: client.get(path, HTTP_AUTHORIZATION="Token " + token.key, REMOTE_ADDR=address)


def test_api_answers_429_with_retry_after_per_user(client, limits):
    limits.CXSMS_API_RATE_USER = "3/m"
    t = f.tenant()
    alice, bob = f.admin(t), f.admin(t)
    get_alice, get_bob = api_client(client, alice), api_client(client, bob)
    assert [get_alice("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 200]
    r = get_alice("/api/v1/teams/")
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 60
    assert "throttled" in r.json()["detail"]
    assert get_bob("/api/v1/teams/").status_code == 200  # counted per user, not per address


def test_wrong_api_tokens_are_limited_per_address(client, limits):
    limits.CXSMS_API_RATE_ANON = "3/m"
    t = f.tenant()
    good = api_client(client, f.admin(t))
    for _ in range(3):
        assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION="Token " + "0" * 40, REMOTE_ADDR=ATTACKER).status_code == 401
    r = client.get("/api/v1/teams/", HTTP_AUTHORIZATION="Token " + "1" * 40, REMOTE_ADDR=ATTACKER)
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    # From that address no token is looked up any more, a valid one included; elsewhere it works.
    assert good("/api/v1/teams/").status_code == 429
    assert api_client(client, f.admin(t), address=OTHER)("/api/v1/teams/").status_code == 200


@pytest.fixture
def chat():
    t = f.tenant()
    skill = f.skill(t, "Chat", channel="chat")
    f.chat_poc(t, "porridge", skill=skill)
    f.agent(t, team=f.team(t), skills=[skill], state="available")
    return t


def start_chat(client, address):
    return client.post("/chat/porridge/", {"name": "Goldilocks", "body": "hello"}, content_type="application/json", REMOTE_ADDR=address)


def test_web_chats_started_per_address_are_limited(client, limits, chat):
    limits.CXSMS_CHAT_START_RATE = "3/m"
    assert [start_chat(client, ATTACKER).status_code for _ in range(3)] == [201, 201, 201]
    r = start_chat(client, ATTACKER)
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 60
    assert "Try again in" in r.json()["errors"]["__all__"][0]
    assert Room.objects.filter(channel="chat").count() == 3  # the refused one opened nothing
    assert start_chat(client, OTHER).status_code == 201
    assert client.get("/chat/porridge/", REMOTE_ADDR=ATTACKER).status_code == 200  # the page itself still loads


def test_chat_messages_per_address_are_limited(client, limits, chat):
    limits.CXSMS_CHAT_MESSAGE_RATE = "2/m"
    token = start_chat(client, ATTACKER).json()["token"]
    def post():
        return client.post(f"/chat/porridge/{token}/messages/", {"body": "more"}, content_type="application/json", REMOTE_ADDR=ATTACKER)
    assert [post().status_code for _ in range(2)] == [201, 201]
    r = post()
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert Room.objects.get(chat_token=token).messages.count() == 3  # the first one and two more


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, limits, chat):
    limits.BEHIND_PROXY = True
    limits.CXSMS_CHAT_START_RATE = "1/m"
    # A client forging the first X-Forwarded-For entry is still counted by the entry our proxy added.
    first = client.post("/chat/porridge/", {"name": "A", "body": "hi"}, content_type="application/json",
                        HTTP_X_FORWARDED_FOR="10.0.0.1, " + ATTACKER)
    forged = client.post("/chat/porridge/", {"name": "A", "body": "hi"}, content_type="application/json",
                         HTTP_X_FORWARDED_FOR="10.0.0.2, " + ATTACKER)
    assert (first.status_code, forged.status_code) == (201, 429)
    other = client.post("/chat/porridge/", {"name": "B", "body": "hi"}, content_type="application/json", HTTP_X_FORWARDED_FOR=OTHER)
    assert other.status_code == 201


def test_carrier_webhooks_are_never_limited(client, limits):
    limits.CXSMS_API_RATE_ANON = limits.CXSMS_CHAT_START_RATE = limits.CXSMS_CHAT_MESSAGE_RATE = "1/m"
    t = f.tenant()
    poc = f.sms_poc(t, skill=f.skill(t, "SMS"), carrier_account=f.carrier(t, provider="twilio", account_sid="AC" + "1" * 32,
                                                                           auth_token="secret-token"))
    codes = [post_inbound(client, poc, f"+1202555{i:04d}", "hello").status_code for i in range(20)]
    assert codes == [200] * 20
    assert Room.objects.filter(point_of_contact=poc).count() == 20
