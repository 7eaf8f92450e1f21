"""A week of the demo tenant's floor, played through the services at past times (for the report
pages in the browser). Run inside a live server's database:

    python manage.py shell -c "from tests.reports.week import play; play()"

with CXSMS_OFFER_TIMEOUT and CXSMS_SMS_SESSION_TIMEOUT large, so the running server's timers
leave the past offers and rooms to this script."""
import random
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from routing.acd import agents as availability
from routing.acd import offers
from routing.choices import AgentState
from routing.hub import inbound, outbound, rooms
from routing.models import PointOfContact, Room, Tenant, UnavailableReason, User
from routing.reports import periods


def play(tenant_name="Three Bears Porridge", days=7):
    rng = random.Random(18)
    tenant = Tenant.objects.get(name=tenant_name)
    tz = periods.tz_of(tenant)
    today = timezone.now().astimezone(tz).date()
    poc = inbound.poc_for_number(PointOfContact.objects.filter(tenant=tenant, channel="sms", skill__isnull=False).first().number)
    agents = list(User.objects.filter(tenant=tenant, role="agent", agent_skills__skill=poc.skill_id).distinct().order_by("username"))
    reasons = {r.name: r for r in UnavailableReason.objects.filter(tenant=tenant)}  # the demo's: Break, Lunch, …
    n = 0
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        with time_machine.travel(datetime(day.year, day.month, day.day, 8, 30, tzinfo=tz), tick=False) as clock:
            for a in agents:
                availability.agent_set_state(agent=a, state=AgentState.AVAILABLE)
            for hour in range(9, 17):
                if back == 0 and hour >= 13:
                    break  # today is still going on
                if hour == 12:
                    clock.move_to(datetime(day.year, day.month, day.day, 12, 0, tzinfo=tz))
                    availability.agent_set_state(agent=agents[0], state=AgentState.UNAVAILABLE, reason=reasons.get("Lunch"))

                if hour == 13:
                    clock.move_to(datetime(day.year, day.month, day.day, 13, 0, tzinfo=tz))
                    availability.agent_set_state(agent=agents[0], state=AgentState.AVAILABLE)
                for k in range(rng.randint(1, 5 if hour in (10, 11, 14) else 3)):
                    n += 1
                    start = datetime(day.year, day.month, day.day, hour, rng.randint(0, 11) * 5, tzinfo=tz)
                    clock.move_to(start)
                    number = f"+1202555{9000 + n:04d}"
                    inbound.inbound_sms(poc=poc, message_sid=f"SMweek{n:06d}{day:%Y%m%d}", from_number=number,
                                        body="Is the porridge ready?")
                    room = Room.objects.filter(contact_number=number).latest("id")
                    if room.agent_id is None or rng.random() < 0.08:
                        clock.move_to(start + timedelta(minutes=3))
                        rooms.room_end(room=room, actor=User.objects.get(tenant=tenant, role="admin", username="tiffany"))
                        continue
                    agent = room.agent
                    clock.move_to(start + timedelta(seconds=rng.choice([8, 15, 25, 40, 55, 75, 110])))
                    room = offers.room_accept(room=room, agent=agent)
                    clock.move_to(start + timedelta(seconds=rng.randint(90, 200)))
                    outbound.message_send(room=room, author=agent, body="Just right. What else can I do for you?")
                    clock.move_to(start + timedelta(seconds=rng.choice([240, 420, 600, 900, 1500, 2400])))
                    rooms.room_end(room=room, actor=agent)
            if back:
                if len(agents) > 1:  # a quarter-hour break for the second agent, after the day's texts
                    clock.move_to(datetime(day.year, day.month, day.day, 17, 0, tzinfo=tz))
                    availability.agent_set_state(agent=agents[1], state=AgentState.UNAVAILABLE, reason=reasons.get("Break"))
                    clock.move_to(datetime(day.year, day.month, day.day, 17, 15, tzinfo=tz))
                    availability.agent_set_state(agent=agents[1], state=AgentState.AVAILABLE)
                clock.move_to(datetime(day.year, day.month, day.day, 17, 30, tzinfo=tz))
                for a in agents:
                    availability.agent_set_state(agent=a, state=AgentState.LOGGED_OUT)
    return n
