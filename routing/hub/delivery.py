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
- `forced_disconnect(tenant, now)` (R10), before the hub closes the tenant's open rooms: end the
  mode's own open interactions (a Digital case, with its room or still without one), each with its
  room closed as a forced disconnect (`ending.room_end_for_mode(forced=True)`); returns how many.
  `open_without_room(tenant)`: how many of them have no room yet (the confirmation's count).

Optional attributes of a mode, read by the pages and sockets of routing:
- `agent_home`: the URL name of an agent's home page in this mode (None: the ACD agent workspace).
- `agent_snapshot(agent)`: extra keys for the snapshot of the agent feed `/ws/agent/` (what the
  mode's page shows), so one socket carries both the rooms' and the mode's events.
- `agent_actions`: the mode's page's actions over the agent feed, {frame type: `SocketAction`}
  (a Digital agent's `case.accept`, ...). The feed re-checks the sign-in and the agent's role, reads
  the object's id from the frame, and answers with a `reply` frame (docs/websockets.md); the action
  scopes the object to the agent's tenant and acts through the mode's services.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..choices import Channel, SmsDelivery

log = logging.getLogger("cxsms.delivery")


@dataclass(frozen=True)
class Opening:
    """What a delivery mode decides before a new room is stored."""
    room_fields: dict = field(default_factory=dict)
    after_hours: bool = False
    skill: object = None  # the chosen Skill when the mode read it anyway (payloads want its name)


@dataclass(frozen=True)
class SocketAction:
    """One action of a mode's page over `/ws/agent/`. `run(agent, object_id, frame)` returns (HTTP-like
    status, reply data) and may raise ValidationError (Django's or DRF's: 400) or PermissionDenied
    (403), as the REST API's views answer them; `key` is the frame's field that names the object ("case"), given to
    `run` as a checked positive integer (any other value is refused before `run`). `model`: the
    object's model (it has a `tenant`): an object of another tenant, or none, is answered 404 before
    `run`, checked in the statement that re-checks the sign-in."""
    run: Callable
    key: str
    model: type


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

    def forced_disconnect(self, tenant, now):
        return 0

    def open_without_room(self, tenant):
        return 0

    agent_home = None

    def agent_snapshot(self, agent):
        return {}

    agent_actions = {}


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


def agent_action(kind):
    """The SocketAction of any installed mode for a frame type, or None. Not by the agent's tenant's
    mode: each action scopes its object to the agent's tenant itself, as the REST API does."""
    for mode in _modes.values():
        action = mode.agent_actions.get(kind)
        if action is not None:
            return action
    return None


def agent_action_names():
    return [name for mode in _modes.values() for name in mode.agent_actions]


def mode_for(tenant, channel):
    """Web chat is always an ACD channel (R14); texts go the tenant's way (R2). None when no installed
    app delivers that way: the hub then keeps the text and its room waits (nothing is lost)."""
    return _modes.get(SmsDelivery.ACD if channel == Channel.CHAT else tenant.sms_delivery)
