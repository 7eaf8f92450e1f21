"""A scripted day of rooms, played through the product's real entry points (the signed webhook,
the services an agent's clicks call, the timer functions) at fixed times of the tenant's clock."""
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from routing.acd import agents, declines, offers, queues
from routing.choices import AgentState
from routing.hub import outbound, rooms
from routing import services
from routing.models import Disposition, Room
from tests import factories as f
from tests.hub import post_inbound

NY = ZoneInfo("America/New_York")
DAY = datetime(2026, 3, 10, tzinfo=NY).date()


def at(hh, mm, ss=0, day=DAY):
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=NY)


def room_of(number):
    return Room.objects.filter(contact_number=number).latest("id")


def play_day(client, settings):
    """The day of docs/reporting.md's worked example. Returns the objects it made."""
    settings.CXSMS_SMS_SESSION_TIMEOUT = 7200
    settings.CXSMS_REOFFER_AFTER = 120
    with time_machine.travel(at(7, 0), tick=False) as clock:
        t = f.tenant("Porridge Reports", time_zone="America/New_York")
        sms = f.skill(t, "Porridge SMS")
        team = f.team(t, "Bears", session_limit=2)
        poc = f.sms_poc(t, "+12125550199", skill=sms)
        mama = f.agent(t, username="mama", team=team, skills=[sms])
        papa = f.agent(t, username="papa", team=team, skills=[f.skill(t, "Chat", channel="chat")])
        clock.move_to(at(8, 0))
        agents.agent_set_state(agent=mama, state=AgentState.AVAILABLE)
        agents.agent_set_state(agent=papa, state=AgentState.AVAILABLE)

        # A: answered in 30 s, first reply 50 s after the contact's text, ended by the agent at 09:10.
        clock.move_to(at(9, 0))
        post_inbound(client, poc, "+12025550101", "hello")
        clock.move_to(at(9, 0, 30))
        a = offers.room_accept(room=room_of("+12025550101"), agent=mama)
        clock.move_to(at(9, 0, 50))
        outbound.message_send(room=a, author=mama, body="Hi, how can I help?")
        clock.move_to(at(9, 10))
        resolved = services.disposition_save(disposition=Disposition(tenant=t, name="Resolved"))
        rooms.room_end(room=a, actor=mama, disposition=resolved)  # C ends by its timer, with none

        # B: rejected, waits, the contact texts STOP, then a forced disconnect ends it: abandoned.
        clock.move_to(at(10, 0))
        post_inbound(client, poc, "+12025550102", "my order is late")
        clock.move_to(at(10, 0, 10))
        declines.room_reject(room=room_of("+12025550102"), agent=mama)
        clock.move_to(at(10, 5))
        post_inbound(client, poc, "+12025550102", " stop ")
        clock.move_to(at(10, 20))
        admin = f.admin(t, username="goldilocks")
        rooms.forced_disconnect(tenant=t, actor=admin)

        # C: the offer lapses (mama becomes unavailable), she comes back at 11:05 and takes it,
        # replies at 11:06, and the two-hour timer ends it at 13:06.
        clock.move_to(at(11, 0))
        post_inbound(client, poc, "+12025550103", "question about porridge")
        clock.move_to(at(11, 1))
        declines.lapse_offers()
        clock.move_to(at(11, 5))
        agents.agent_set_state(agent=mama, state=AgentState.AVAILABLE)
        queues.dispatch_queued()  # the timer loop's queue sweep: her decline is older than two minutes
        clock.move_to(at(11, 5, 30))
        c = offers.room_accept(room=room_of("+12025550103"), agent=mama)
        clock.move_to(at(11, 6))
        outbound.message_send(room=c, author=mama, body="Porridge is best warm.")
        clock.move_to(at(13, 6))
        rooms.expire_rooms(now=at(13, 6))

        # D: a HELP text alone: answered automatically, never offered to anyone.
        clock.move_to(at(12, 0))
        post_inbound(client, poc, "+12025550104", "HELP")

        clock.move_to(at(17, 0))
        agents.agent_set_state(agent=mama, state=AgentState.LOGGED_OUT)
        agents.agent_set_state(agent=papa, state=AgentState.LOGGED_OUT)
    return {"tenant": t, "sms": sms, "team": team, "poc": poc, "mama": mama, "papa": papa, "admin": admin}
