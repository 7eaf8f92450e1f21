"""The production webhook path under parallel clients on PostgreSQL (R6, R13, the webhook contract).

The texts go through the ASGI application daphne serves (cxsms_site.asgi), so through the carrier
webhooks' short way (routing/hub_asgi.py: no Django middleware, the view in one of the event
loop's worker threads, which keep their database connections between requests), all at once on
one event loop, as daphne would take them from many carrier connections. Every distinct text is a
MessageSid sent three times (a carrier retrying), contacts text twice, and there are more contacts
than free slots: each MessageSid is stored once, each text once, in one room per contact, and no
agent goes over their limit.
"""
import asyncio
import logging
import random
import urllib.parse
from collections import Counter

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db.models import Count
from twilio.request_validator import RequestValidator

from cxsms_site.asgi import application
from routing import threads
from routing.choices import CAPACITY_ROOM_STATES, AgentState, RoomState
from routing.models import Message, Room, RoutingDecision, User
from tests import factories as f
from tests.hub import SMS_URL, inbound_params, new_sid

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]

AGENTS, LIMIT, CONTACTS, TEXTS_EACH, COPIES = 4, 3, 20, 2, 3


async def _post(params, signature):
    body = urllib.parse.urlencode(params).encode()
    headers = [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
               (b"x-twilio-signature", signature.encode())]
    communicator = HttpCommunicator(application, "POST", "/hooks/twilio/sms/", body=body, headers=headers)
    try:
        return (await communicator.get_response(timeout=60))["status"]
    finally:
        await communicator.wait()


def test_parallel_carrier_requests_through_the_asgi_app(caplog):
    caplog.set_level(logging.WARNING)
    tenant = f.tenant("Webhook Co")
    team = f.team(tenant, session_limit=LIMIT)
    sms = f.skill(tenant)
    poc = f.sms_poc(tenant, number="+12125552000", skill=sms,
                    carrier_account=f.carrier(tenant, provider="twilio", account_sid="AC" + "5" * 32, auth_token="hook-token"))
    agents = [f.agent(tenant, team=team, skills=[sms], state=AgentState.AVAILABLE) for _ in range(AGENTS)]

    texts = [inbound_params(poc, f"+1415555{c:04d}", f"text {n} of contact {c}", sid=new_sid())
             for c in range(CONTACTS) for n in range(TEXTS_EACH)]
    requests = [(p, RequestValidator("hook-token").compute_signature(SMS_URL, p)) for p in texts for _ in range(COPIES)]
    random.Random(20).shuffle(requests)
    kept_threads = set()

    async def send_all():
        statuses = await asyncio.gather(*[_post(p, s) for p, s in requests])
        kept_threads.update(thread.name for thread, _alias in threads._kept)  # connections the loop's worker threads kept
        return statuses

    statuses = async_to_sync(send_all)()
    assert Counter(statuses) == {200: len(requests)}
    assert len(kept_threads) > 1  # the requests really ran in several worker threads, each on its own connection

    messages = Message.objects.filter(tenant=tenant)
    assert messages.count() == len(texts)  # each MessageSid once
    assert sorted(messages.values_list("carrier_sid", flat=True)) == sorted(p["MessageSid"] for p in texts)
    assert sorted(messages.values_list("body", flat=True)) == sorted(p["Body"] for p in texts)  # each text once
    rooms = Room.objects.filter(tenant=tenant)
    assert rooms.count() == CONTACTS  # a contact's second text joined its first one's room
    for room in rooms.annotate(n=Count("messages")):
        assert room.n == TEXTS_EACH
        assert set(room.messages.values_list("body", flat=True)) == {p["Body"] for p in texts if p["From"] == room.contact_number}

    assert Counter(rooms.values_list("state", flat=True)) == {RoomState.OFFERED: AGENTS * LIMIT,
                                                              RoomState.QUEUED: CONTACTS - AGENTS * LIMIT}
    for agent in User.objects.filter(pk__in=[a.pk for a in agents]):
        held = rooms.filter(agent=agent, state__in=CAPACITY_ROOM_STATES).count()
        assert held == agent.held == LIMIT  # everyone filled, nobody over the limit
    offers = Counter(RoutingDecision.objects.filter(room__tenant=tenant, outcome="offered").values_list("room_id", flat=True))
    assert len(offers) == AGENTS * LIMIT and max(offers.values()) == 1  # no room offered twice
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
