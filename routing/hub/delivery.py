"""The inbound hand-off by delivery mode (R2): the text hub stores every text, then gives the
thread to the tenant's delivery mode. Public.

An app registers its mode from its `AppConfig.ready()`:

    delivery.register(MyMode())   # MyMode.name == SmsDelivery value, e.g. "acd" or "digital"

The hub never imports a mode's code; it calls these hooks, all inside the transaction that stored
the text (so the hand-off commits with it, or neither does):

- `open_fields(poc, body, now)` before a new room is stored: extra Room fields (skill, priority,
  the rule that chose them) and whether the text came after hours (the hub then sends the point of
  contact's after-hours reply). Return an `Opening`.
- `hand_off(room, message, trigger)` once a new room's first text is stored (not for a bare
  STOP/HELP keyword, nor while SMS Messaging is off on the tenant). Web chats go to `acd` (R14).
- `received(room, message)` when a later text of the contact joins a room that is still open (its
  first text went to `hand_off`), also a STOP/HELP keyword: the mode shows it and reacts (a Digital
  case reopens). Not while SMS Messaging is off on the tenant.
- `released(room, agent_id)` when a room that held an agent's capacity closed.

Optional attributes of a mode, read by the pages and sockets of routing:
- `agent_home`: the URL name of an agent's home page in this mode (None: the ACD agent workspace).
- `agent_snapshot(agent)`: extra keys for the snapshot of the agent feed `/ws/agent/` (what the
  mode's page shows), so one socket carries both the rooms' and the mode's events.
"""
import logging
from dataclasses import dataclass, field

from ..choices import Channel, SmsDelivery

log = logging.getLogger("cxsms.delivery")


@dataclass(frozen=True)
class Opening:
    """What a delivery mode decides before a new room is stored."""
    room_fields: dict = field(default_factory=dict)
    after_hours: bool = False
    skill: object = None  # the chosen Skill when the mode read it anyway (payloads want its name)


class Mode:
    """The hooks a delivery mode implements (a mode overrides what it needs)."""
    name = ""

    def open_fields(self, poc, body, now):
        return Opening()

    def hand_off(self, room, message, trigger):
        raise NotImplementedError

    def received(self, room, message):
        pass

    def released(self, room, agent_id):
        pass

    agent_home = None

    def agent_snapshot(self, agent):
        return {}


_modes = {}


def register(mode):
    if mode.name not in SmsDelivery.values:
        raise ValueError(f"unknown delivery mode {mode.name!r}: add it to SmsDelivery first")
    _modes[mode.name] = mode


def mode_named(name):
    try:
        return _modes[name]
    except KeyError:
        raise LookupError(f"no app registered the delivery mode {name!r} (INSTALLED_APPS?)") from None


def mode_for(tenant, channel):
    """Web chat is always an ACD channel (R14); texts go the tenant's way (R2). None when no installed
    app delivers that way: the hub then keeps the text and its room waits (nothing is lost)."""
    return _modes.get(SmsDelivery.ACD if channel == Channel.CHAT else tenant.sms_delivery)
