"""R11: an agent with an outbound SMS skill texts a contact: a room assigned to them, counted
against their limit, its timer started, the text sent like any other (routing.hub.outbound)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .. import events, jobs, rules
from ..choices import OPEN_ROOM_STATES, Channel, Direction, Role, RoomState
from ..hub import outbound
from ..hub.rooms import session_timeout
from ..models import Room, Skill
from . import capacity


@transaction.atomic
def room_open_outbound(*, agent, point_of_contact, contact_number, body):
    body = outbound.validate_body(body)
    poc = point_of_contact
    if agent.role != Role.AGENT or poc.tenant_id != agent.tenant_id:
        raise PermissionDenied("Only an agent of this tenant can start a text from this number.")
    if poc.channel != Channel.SMS:
        raise ValidationError({"point_of_contact": "Choose an SMS point of contact."})
    if not poc.tenant.sms_messaging_enabled:
        raise outbound.sms_off_error("point_of_contact")
    skill = (Skill.objects.filter(agent_skills__agent=agent, channel=Channel.SMS, direction="outbound")
             .order_by("agent_skills__proficiency").first())
    if skill is None:
        raise ValidationError({"point_of_contact": "You need an outbound SMS skill to start a text."})
    number = rules.contact_normalize_number(contact_number)
    if refused := outbound.send_refusal(poc.tenant, number):
        raise ValidationError({"contact_number": refused.message_dict["body"]})
    agent_row, held = capacity.recount(agent.pk)
    if held >= agent_row.effective_session_limit:
        raise ValidationError({"contact_number": f"You hold {held} of your {agent_row.effective_session_limit} chat/SMS sessions: "
                                                 "end one first."})
    open_room = Room.objects.filter(point_of_contact=poc, contact_number=number, state__in=OPEN_ROOM_STATES).first()
    if open_room:
        raise ValidationError({"contact_number": f"There is already an open conversation with {number} on this number "
                                                 f"(room {open_room.pk})."})
    now = timezone.now()
    try:
        with transaction.atomic():
            room = Room.objects.create(tenant_id=agent.tenant_id, channel=Channel.SMS, direction=Direction.OUTBOUND, state=RoomState.ACTIVE,
                                       point_of_contact=poc, contact_number=number, poc_number=poc.number, skill=skill, agent=agent,
                                       opened_at=now, queued_at=now, offered_at=now, accepted_at=now, last_message_at=now,
                                       expires_at=now + session_timeout(), routed_by="started by the agent")
    except IntegrityError:
        raise ValidationError({"contact_number": f"There is already an open conversation with {number} on this number."})
    with connection.cursor() as writes, connection.cursor() as agent_cursor:
        capacity.take_slot((writes, agent_cursor), agent_row, held, now)
        (seq,) = agent_cursor.fetchone()
    room.tenant = poc.tenant
    events.room_assigned(room, agent_seq=seq)
    jobs.enqueue_at("rooms.expire_room", room.expires_at, room.pk)
    outbound.store_outbound(room, body, author=agent, now=now)
    return room

