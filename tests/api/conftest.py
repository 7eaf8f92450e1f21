"""Two fully configured tenants and authenticated API clients for the REST API tests."""
import importlib.util
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routing.choices import Channel, CloseReason, Direction, MessageStatus, Role, RoomState, RuleKind
from routing.models import CannedResponse, Disposition, Message, Room, RoutingDecision, RoutingRule, UnavailableReason
from routing import services
from tests import factories as f

API = "/api/v1/"


def texthub_ready():
    """The interaction endpoints call routing.texthub, written in parallel; their tests wait for it."""
    return importlib.util.find_spec("routing.texthub") is not None


needs_texthub = pytest.mark.skipif(not texthub_ready(), reason="routing/texthub.py does not exist yet")


def client_for(user=None):
    c = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        c.credentials(HTTP_AUTHORIZATION="Token " + token.key)
    return c


def make_room(tenant, poc, *, state=RoomState.QUEUED, agent=None, skill=None, contact="+12125550101", messages=(), closed=False):
    """A room as the text hub would leave it (test data only; the product opens rooms through texthub)."""
    now = timezone.now()
    room = Room.objects.create(
        tenant=tenant, channel=poc.channel, state=RoomState.CLOSED if closed else state, point_of_contact=poc,
        contact_number=contact if poc.channel == Channel.SMS else "", contact_name="" if poc.channel == Channel.SMS else "Goldi",
        poc_number=poc.number, skill=skill or poc.skill, agent=agent,
        offered_at=now if state in (RoomState.OFFERED, RoomState.ACTIVE) else None,
        accepted_at=now if state == RoomState.ACTIVE else None,
        expires_at=now + timezone.timedelta(hours=2) if state == RoomState.ACTIVE else None,
        closed_at=now if closed else None, close_reason=CloseReason.ENDED_BY_AGENT if closed else "")
    for i, body in enumerate(messages):
        inbound = i % 2 == 0
        Message.objects.create(room=room, tenant=tenant, direction=Direction.INBOUND if inbound else Direction.OUTBOUND, body=body,
                               status=MessageStatus.RECEIVED if inbound else MessageStatus.DELIVERED, author=None if inbound else agent)
    RoutingDecision.objects.create(room=room, outcome="offered" if agent else "queued", agent=agent, skill=room.skill, rule="default",
                                   skipped=[{"agent": 0, "username": "nobody", "reason": "logged_out"}], trigger="test")
    return room


@dataclass
class TenantWorld:
    tenant: object
    admin: object
    supervisor: object
    agent: object
    agent2: object
    team: object
    sms_skill: object
    out_skill: object
    chat_skill: object
    carrier: object
    sms_poc: object
    chat_poc: object
    rule: object
    rooms: dict = field(default_factory=dict)
    canned: object = None  # a tenant-wide canned response
    disposition: object = None
    reason: object = None  # an unavailable reason

    def client(self, role):
        return client_for(getattr(self, role))


def build_tenant(label, number_base):
    t = f.tenant(f"Tenant {label}", slug=f"tenant-{label.lower()}")
    team = f.team(t, f"Team {label}", session_limit=5)
    sms = f.skill(t, f"SMS {label}")
    out = f.skill(t, f"SMS out {label}", direction=Direction.OUTBOUND)
    chat = f.skill(t, f"Chat {label}", channel=Channel.CHAT)
    carrier = f.carrier(t)
    sms_poc = f.sms_poc(t, number=f"+1212555{number_base:04d}", skill=sms, carrier_account=carrier)
    chat_poc = f.chat_poc(t, slug=f"chat-{label.lower()}", skill=chat)
    rule = services.object_save(instance=RoutingRule(point_of_contact=sms_poc, position=1, kind=RuleKind.KEYWORD, pattern="#VIP",
                                                     skill=sms, priority=8))
    admin = f.admin(t, username=f"admin-{label.lower()}")
    supervisor = f.user(t, username=f"super-{label.lower()}", role=Role.SUPERVISOR)
    agent = f.agent(t, username=f"agent-{label.lower()}", team=team, skills=[sms, out, chat])
    agent2 = f.agent(t, username=f"agent2-{label.lower()}", team=team, skills=[sms])
    w = TenantWorld(t, admin, supervisor, agent, agent2, team, sms, out, chat, carrier, sms_poc, chat_poc, rule)
    w.canned = services.object_save(instance=CannedResponse(tenant=t, name=f"Welcome {label}", shortcut="hi", body="Hello!"))
    w.disposition = services.disposition_save(disposition=Disposition(tenant=t, name=f"Resolved {label}"), skills=[sms])
    w.reason = services.object_save(instance=UnavailableReason(tenant=t, name=f"Lunch {label}"))
    w.rooms = {
        "queued": make_room(t, sms_poc, contact="+12125550111", messages=["Queued hello"]),
        "offered": make_room(t, sms_poc, state=RoomState.OFFERED, agent=agent, contact="+12125550112", messages=["Offered hello"]),
        "active": make_room(t, sms_poc, state=RoomState.ACTIVE, agent=agent, contact="+12125550113",
                            messages=["Active hello", "Hi, how can I help?"]),
        "closed": make_room(t, sms_poc, agent=agent, contact="+12125550113", messages=["Old hello", "Old reply"], closed=True),
        "other_agent": make_room(t, sms_poc, state=RoomState.ACTIVE, agent=agent2, contact="+12125550114", messages=["Hey"]),
    }
    return w


@pytest.fixture
def world_a(db):
    return build_tenant("A", 160)


@pytest.fixture
def world_b(db):
    return build_tenant("B", 170)


@pytest.fixture
def operator(db):
    return f.operator()


def changed(before, after):
    """{model: {"added": [rows], "removed": [rows], "changed": {id: (old row, new row)}}} for the models that changed."""
    out = {}
    for label in before:
        old, new = before[label], after[label]
        diff = {"added": [new[k] for k in new.keys() - old.keys()], "removed": [old[k] for k in old.keys() - new.keys()],
                "changed": {k: (old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]}}
        if any(diff.values()):
            out[label] = diff
    return out
