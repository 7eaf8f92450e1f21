"""The contact card (name, tags, notes) is routing's, one per tenant and number: the same card in the ACD
workspace (/api/v1/contacts/) and the Digital inbox (/api/v1/digital/contacts/, a case's contact), across
rooms and cases. Through HTTP, with texts arriving through the signed webhook."""
import pytest
from django.test import Client

from routing.models import Contact
from tests import factories as f
from tests.digital.world import digital_world
from tests.hub import post_inbound

pytestmark = pytest.mark.django_db
API = "/api/v1/contacts/"


def as_user(user):
    c = Client()
    c.force_login(user)
    return c


def post(c, path, body):
    return c.post(path, body, content_type="application/json")


def patch(c, path, body):
    return c.patch(path, body, content_type="application/json")


def test_an_agent_keeps_a_card_and_notes_say_who_and_when():
    tenant = f.tenant()
    ann = f.agent(tenant, username="ann-card")
    bob = f.agent(tenant, username="bob-card")
    r = post(as_user(ann), API, {"number": "(212) 555-0301", "name": "Rita", "tags": "vip,  camper, vip", "notes": "Prefers mornings"})
    assert r.status_code == 201, r.content
    card = r.json()
    assert card["number"] == "+12125550301" and card["tags"] == "vip, camper" and card["notes_by"] == "ann-card" and card["notes_at"]
    found = as_user(bob).get(API, {"number": "+1 212 555 0301"}).json()["results"]
    assert [c["id"] for c in found] == [card["id"]]

    # A name change leaves the notes' author; changed notes name their new author.
    r = patch(as_user(bob), API + f"{card['id']}/", {"name": "Rita Moreno"})
    assert r.status_code == 200 and r.json()["notes_by"] == "ann-card" and r.json()["notes_at"] == card["notes_at"]
    r = patch(as_user(bob), API + f"{card['id']}/", {"notes": "Prefers evenings now"})
    assert r.status_code == 200 and r.json()["notes_by"] == "bob-card" and r.json()["notes_at"] > card["notes_at"]


def test_the_digital_inbox_and_the_acd_api_show_the_same_card():
    w = digital_world()
    assert post_inbound(Client(), w.poc, "+12125550311", "Hi #ADVENTUREME").status_code == 200
    inbox = as_user(w.tommy)
    r = post(inbox, "/api/v1/digital/contacts/", {"number": "+12125550311", "name": "Sam", "tags": "camper", "notes": "Allergic to nuts"})
    assert r.status_code == 201, r.content
    shared = as_user(w.supervisor).get(API, {"number": "+12125550311"}).json()["results"]
    assert [(c["id"], c["name"], c["notes"], c["notes_by"]) for c in shared] == [
        (r.json()["id"], "Sam", "Allergic to nuts", w.tommy.username)]
    case = inbox.get("/api/v1/digital/cases/", {"assigned": "me"}).json()["results"][0]
    detail = inbox.get(f"/api/v1/digital/cases/{case['id']}/").json()
    card = detail["contact"]
    assert card["name"] == "Sam" and card["tags"] == ["camper"] and card["notes_by"] == w.tommy.username
    # Edited on the ACD side: the inbox shows the change.
    assert patch(as_user(w.supervisor), API + f"{r.json()['id']}/", {"tags": "camper, vip"}).status_code == 200
    assert inbox.get(f"/api/v1/digital/cases/{case['id']}/").json()["contact"]["tags"] == ["camper", "vip"]


def test_saving_a_card_keeps_the_numbers_opt_out():
    tenant = f.tenant()
    poc = f.sms_poc(tenant)
    agent = f.agent(tenant)
    assert post_inbound(Client(), poc, "+12125550321", "STOP").status_code == 200
    assert Contact.objects.get(tenant=tenant, number="+12125550321").opted_out
    r = post(as_user(agent), API, {"number": "+12125550321", "name": "Lee", "notes": "Asked to stop texts"})
    assert r.status_code in (200, 201), r.content
    assert r.json()["opted_out"] is True
    row = Contact.objects.get(tenant=tenant, number="+12125550321")
    assert row.opted_out and row.name == "Lee" and Contact.objects.filter(tenant=tenant, number="+12125550321").count() == 1
    # opted_out is the number's, not the card's: a client cannot clear it.
    patch(as_user(agent), API + f"{row.pk}/", {"opted_out": False, "name": "Lee K"})
    row.refresh_from_db()
    assert row.opted_out and row.name == "Lee K"


def test_cards_are_tenant_scoped_and_bad_input_changes_nothing():
    mine, other = f.tenant(), f.tenant()
    agent, stranger = f.agent(mine), f.agent(other)
    admin = f.admin(mine)
    card = post(as_user(agent), API, {"number": "+12125550331", "name": "Kim"}).json()
    assert as_user(stranger).get(API + f"{card['id']}/").status_code == 404
    assert as_user(stranger).get(API, {"number": "+12125550331"}).json()["results"] == []
    assert patch(as_user(stranger), API + f"{card['id']}/", {"name": "Mallory"}).status_code == 404
    assert post(as_user(stranger), API, {"number": "+12125550332", "tenant": mine.pk}).status_code == 400
    before = list(Contact.objects.values_list("tenant_id", "number", "name", "notes"))
    bad = ({"number": "not a number"}, {"number": "+12125550333", "notes": "x" * 4001}, {"number": "+12125550334", "name": "n" * 101})
    for body in bad:
        r = post(as_user(agent), API, body)
        assert r.status_code == 400, (body, r.status_code)
    assert patch(as_user(agent), API + f"{card['id']}/", {"number": "+12125550399"}).status_code == 400
    assert list(Contact.objects.values_list("tenant_id", "number", "name", "notes")) == before
    # Agents edit cards; deleting one is for administrators.
    assert as_user(agent).delete(API + f"{card['id']}/").status_code == 403
    assert as_user(admin).delete(API + f"{card['id']}/").status_code == 204
