"""Erasing a contact (REST contacts/erase/, the console): the number is gone from every table,
counts stay, the opt-out survives as a hash, a live conversation blocks it, only administrators may."""
import html
import re

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from routing.acd.offers import room_accept
from routing.audit.models import AuditEntry
from routing.choices import Direction, RoomState
from routing.hub.outbound import message_send
from routing.hub.rooms import room_end
from routing.models import Contact, Message, Room
from routing.ops.erasure import contact_unhash, number_hash, opt_out_keys
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
NUMBER = "+12025550123"
SPELLINGS = [NUMBER, "2025550123", "202-555-0123", "(202) 555-0123", "202 555 0123"]


@pytest.fixture
def line():
    t = f.tenant(slug="erasure-porridge")
    sms, out = f.skill(t, "SMS"), f.skill(t, "SMS out", direction="outbound")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agent = f.agent(t, team=f.team(t), skills=[sms, out], state="available")
    admin = f.admin(t)
    return t, poc, agent, admin


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def history(client, poc, agent, number=NUMBER, stop=True):
    """Two conversations with the contact (the second ends with STOP), and one with somebody else."""
    post_inbound(client, poc, number, "Hi, my number is 202-555-0123, call me")
    room = room_accept(room=Room.objects.get(contact_number=number, state=RoomState.OFFERED), agent=agent)
    message_send(room=room, author=agent, body="Sure")
    room_end(room=Room.objects.get(pk=room.pk), actor=agent)
    post_inbound(client, poc, number, "Again")
    room = room_accept(room=Room.objects.get(contact_number=number, state=RoomState.OFFERED), agent=agent)
    if stop:
        post_inbound(client, poc, number, "STOP")
    room_end(room=Room.objects.get(pk=room.pk), actor=agent)
    post_inbound(client, poc, "+12025550199", "Someone else")
    room_end(room=room_accept(room=Room.objects.get(contact_number="+12025550199"), agent=agent), actor=agent)


def every_table_text():
    """Every row of every table in the database, as text."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            found[table] = " ".join(repr(row) for row in cursor.fetchall())
    return found


def tables_holding(text_by_table, spellings):
    digits = re.compile(r"\D")
    return sorted(table for table, text in text_by_table.items()
                  if any(s in text for s in spellings) or "2025550123" in digits.sub("", text))


def test_erase_leaves_the_number_nowhere_keeps_counts_and_the_opt_out(client, line):
    t, poc, agent, admin = line
    history(client, poc, agent)
    # The shared contact card too: its name, tags and notes go with the number.
    card = api(agent).post("/api/v1/contacts/", {"number": NUMBER, "name": "Pat", "tags": "vip", "notes": "Call after six"}, format="json")
    assert card.status_code in (200, 201), card.content
    # An internal note in one of the contact's rooms that quotes the number: it goes too.
    note = api(admin).post(f"/api/v1/rooms/{Room.objects.filter(contact_number=NUMBER).first().pk}/notes/",
                           {"body": "Wants a call back on 202-555-0123"}, format="json")
    assert note.status_code == 201, note.content
    assert tables_holding(every_table_text(), SPELLINGS)  # the search finds it before
    messages_before = Message.objects.filter(tenant=t).count()
    rooms_before = list(Room.objects.filter(tenant=t).order_by("pk").values_list("pk", "state", "opened_at", "closed_at"))

    r = api(admin).post("/api/v1/contacts/erase/", {"number": "(202) 555-0123"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {"erased": {"messages": 5, "room_notes": 1, "rooms": 2, "contacts": 1, "campaign_list_entries": 0,
                                   "campaign_recipients": 0}}

    assert tables_holding(every_table_text(), SPELLINGS) == []
    assert Message.objects.filter(tenant=t).count() == messages_before  # counts stay right
    assert list(Room.objects.filter(tenant=t).order_by("pk").values_list("pk", "state", "opened_at", "closed_at")) == rooms_before
    erased_rooms = Room.objects.filter(tenant=t).exclude(contact_number="+12025550199")
    assert len({room.contact_number for room in erased_rooms}) == 1 and erased_rooms[0].contact_number.startswith("erased-")
    assert not Message.objects.filter(room__in=erased_rooms).exclude(body="").exists()
    assert Message.objects.filter(room__contact_number="+12025550199", body="Someone else").exists()  # others untouched
    # The opt-out is kept as the hash only, and the hash finds it.
    contact = Contact.objects.get(tenant=t)
    assert contact.opted_out and contact.number == number_hash(NUMBER) and contact.name == ""
    assert (contact.tags, contact.notes, contact.notes_by_id, contact.notes_at) == ("", "", None, None)
    assert Contact.objects.filter(tenant=t, number__in=opt_out_keys(NUMBER), opted_out=True).exists()
    # Who and when, not the number.
    entry = AuditEntry.objects.get(event="contact_erased")
    assert entry.tenant_id == t.pk and entry.actor_id == admin.pk and entry.changes_dict["rooms"] == [None, "2"]


def test_a_contact_who_never_opted_out_keeps_no_record(client, line):
    t, poc, agent, admin = line
    history(client, poc, agent, stop=False)
    r = api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    assert r.json()["erased"] == {"messages": 3, "room_notes": 0, "rooms": 2, "contacts": 0, "campaign_list_entries": 0,
                                  "campaign_recipients": 0}
    assert not Contact.objects.filter(tenant=t).exists()
    assert tables_holding(every_table_text(), SPELLINGS) == []


def test_a_live_conversation_blocks_erasure_and_nothing_changes(client, line):
    t, poc, agent, admin = line
    post_inbound(client, poc, NUMBER, "still talking")
    r = api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    assert r.status_code == 409 and "has not ended" in r.json()["detail"]
    assert Room.objects.get().contact_number == NUMBER and Message.objects.get().body == "still talking"
    assert not AuditEntry.objects.filter(event="contact_erased").exists()


def test_only_the_tenants_administrators_erase_and_only_their_tenant(client, line):
    t, poc, agent, admin = line
    other = f.tenant(slug="other-erasure")
    other_poc = f.sms_poc(other, "+12125550170", skill=f.skill(other, "SMS"))
    post_inbound(client, poc, NUMBER, "to A")
    post_inbound(client, other_poc, NUMBER, "to B")
    Room.objects.update(state=RoomState.CLOSED)
    for user in (agent, f.user(t, role="supervisor")):
        assert api(user).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json").status_code == 403
    assert APIClient().post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json").status_code in (401, 403)
    assert api(f.operator()).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json").status_code == 403
    assert Message.objects.filter(body__in=["to A", "to B"]).count() == 2

    assert api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json").status_code == 200
    assert Room.objects.get(tenant=other).contact_number == NUMBER and Message.objects.get(tenant=other).body == "to B"


@pytest.mark.parametrize("payload", [{}, {"number": ""}, {"number": "porridge"}, {"number": "+1 202 555"}, {"number": ["+12025550123"]}])
def test_bad_numbers_are_refused_with_400(line, payload):
    _, _, _, admin = line
    r = api(admin).post("/api/v1/contacts/erase/", payload, format="json")
    assert r.status_code == 400 and "number" in r.json()
    assert not AuditEntry.objects.filter(event="contact_erased").exists()


def test_erasing_an_unknown_number_changes_nothing_and_says_so(line):
    _, _, _, admin = line
    r = api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    assert r.status_code == 200 and r.json() == {"erased": {"messages": 0, "room_notes": 0, "rooms": 0, "contacts": 0,
                                                            "campaign_list_entries": 0, "campaign_recipients": 0}}


def test_the_hashed_opt_out_becomes_the_contacts_again_when_they_text(client, line):
    t, poc, agent, admin = line
    post_inbound(client, poc, NUMBER, "STOP")
    assert api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json").status_code == 200
    assert contact_unhash(tenant_id=t.pk, number=NUMBER) is True
    assert Contact.objects.get(tenant=t).number == NUMBER and Contact.objects.get(tenant=t).opted_out
    assert contact_unhash(tenant_id=t.pk, number=NUMBER) is False


# --- the text path (routing/hub/optout.py reads Contact.number; the lead wires opt_out_keys in) ---------



def test_an_erased_contact_who_opted_out_is_never_texted(client, line):
    t, poc, agent, admin = line
    post_inbound(client, poc, NUMBER, "STOP")
    api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    r = api(agent).post("/api/v1/rooms/outbound/", {"point_of_contact": poc.pk, "contact_number": NUMBER, "body": "Hello"},
                        format="json")
    assert r.status_code == 400 and "opted out" in str(r.json())
    assert not Message.objects.filter(direction=Direction.OUTBOUND, body="Hello").exists()


def test_an_erased_contact_can_opt_back_in(client, line):
    t, poc, agent, admin = line
    post_inbound(client, poc, NUMBER, "STOP")
    api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    post_inbound(client, poc, NUMBER, "START")
    assert not Contact.objects.filter(tenant=t, opted_out=True).exists()


# --- console -------------------------------------------------------------------------------------------

def page_text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_console_shows_what_goes_then_erases(client, line):
    t, poc, agent, admin = line
    history(client, poc, agent)
    client.force_login(admin)
    url = reverse("console:erase_contact")
    assert "Erase a contact" in page_text(client.get(url))
    page = page_text(client.post(url, {"number": "202 555 0123"}))
    assert "Erasing +12025550123 changes:" in page
    assert "5 messages" in page and "2 conversations" in page and "1 contact record (an opt-out is kept, as a hash)" in page
    assert Room.objects.filter(contact_number=NUMBER).count() == 2  # nothing happened yet
    page = page_text(client.post(url, {"number": NUMBER, "confirm": "yes"}, follow=True))
    assert "The contact was erased (8 records changed)." in page
    assert not Room.objects.filter(contact_number=NUMBER).exists()
    assert tables_holding(every_table_text(), SPELLINGS) == []


def test_console_refuses_a_live_conversation_and_a_bad_number(client, line):
    t, poc, agent, admin = line
    post_inbound(client, poc, NUMBER, "still talking")
    client.force_login(admin)
    url = reverse("console:erase_contact")
    for data in ({"number": NUMBER}, {"number": NUMBER, "confirm": "yes"}):
        assert "has a conversation that has not ended yet" in page_text(client.post(url, data))
    assert "is not a phone number" in page_text(client.post(url, {"number": "porridge"}))
    assert Message.objects.get().body == "still talking"
    client.force_login(agent)
    assert client.post(url, {"number": NUMBER, "confirm": "yes"}).status_code == 403


def test_texts_sent_without_a_room_are_erased_too(client, line):
    from routing.hub.outbound import text_send
    from routing.models import PointOfContact

    t, poc, agent, admin = line
    text_send(point_of_contact=PointOfContact.objects.select_related("tenant").get(pk=poc.pk), to_number=NUMBER,
              body="Your porridge order is ready")  # a notice, as a campaign sends one: no room
    assert Message.objects.filter(room__isnull=True, contact_number=NUMBER).count() == 1
    r = api(admin).post("/api/v1/contacts/erase/", {"number": NUMBER}, format="json")
    assert r.json()["erased"]["messages"] == 1
    assert tables_holding(every_table_text(), SPELLINGS) == []
    assert Message.objects.filter(tenant=t).count() == 1
