"""Console pages for the workspace: tenant-wide canned responses and dispositions, through HTTP as
an administrator (agents and supervisors are kept out, another tenant's objects are 404)."""
import pytest
from django.urls import reverse

from routing.models import CannedResponse, Disposition
from tests import factories as f
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant_admin(client):
    t = f.tenant()
    sms = f.skill(t, "Porridge")
    client.force_login(f.admin(t))
    return t, sms, client


def test_an_admin_adds_a_canned_response_for_everyone(tenant_admin):
    t, _, client = tenant_admin
    page = client.post(reverse("console:canned_add"), {"name": "Welcome", "shortcut": "hi", "body": "Hello {contact_name}!"}, follow=True)
    assert page.status_code == 200
    r = CannedResponse.objects.get(tenant=t)
    assert (r.name, r.shortcut, r.owner) == ("Welcome", "hi", None)
    listing = client.get(reverse("console:canned_list")).content.decode()
    assert "Welcome" in listing and "/hi" in listing
    empty = client.post(reverse("console:canned_add"), {"name": "", "shortcut": "", "body": ""})
    assert empty.status_code == 200 and CannedResponse.objects.count() == 1
    # An agent's own responses are theirs: not listed (nor editable) here.
    mine = CannedResponse.objects.create(tenant=t, owner=f.agent(t), name="Mine", body="x")
    assert "Mine" not in client.get(reverse("console:canned_list")).content.decode()
    assert client.get(reverse("console:canned_edit", args=[mine.pk])).status_code == 404


def test_an_admin_configures_a_required_disposition_for_a_skill(tenant_admin):
    t, sms, client = tenant_admin
    client.post(reverse("console:disposition_add"), {"name": "Resolved", "skills": [sms.pk], "required": "on", "is_active": "on"})
    d = Disposition.objects.get(tenant=t)
    assert d.required and list(d.skills.all()) == [sms]
    dup = client.post(reverse("console:disposition_add"), {"name": "resolved", "is_active": "on"})
    assert "already exists" in dup.content.decode() and Disposition.objects.count() == 1
    other = f.tenant()
    foreign = f.skill(other, "Theirs")
    client.post(reverse("console:disposition_add"), {"name": "Sneaky", "skills": [foreign.pk], "is_active": "on"})
    assert not Disposition.objects.filter(name="Sneaky").exists()
    assert "Porridge" in client.get(reverse("console:disposition_list")).content.decode()


def test_agents_do_not_get_in(client):
    t = f.tenant()
    client.force_login(f.agent(t))
    assert client.get(reverse("console:disposition_list")).status_code == 403
    assert client.get(reverse("console:canned_list")).status_code == 403


def test_team_and_skill_names_are_unique_in_any_case(client):
    from tests.api.conftest import client_for

    t = f.tenant()
    api = client_for(f.admin(t))
    assert api.post("/api/v1/teams/", {"name": "Night Shift", "session_limit": 3}, format="json").status_code == 201
    dup = api.post("/api/v1/teams/", {"name": "night shift", "session_limit": 3}, format="json")
    assert dup.status_code == 400 and dup.json()["name"] == ["A team with this name already exists."]
    assert api.post("/api/v1/skills/", {"name": "Billing", "channel": "sms", "direction": "inbound"}, format="json").status_code == 201
    dup = api.post("/api/v1/skills/", {"name": "BILLING", "channel": "sms", "direction": "inbound"}, format="json")
    assert dup.status_code == 400 and "already exists" in str(dup.json())
    # Another tenant may use the same name.
    elsewhere = client_for(f.admin(f.tenant()))
    assert elsewhere.post("/api/v1/teams/", {"name": "night shift", "session_limit": 3}, format="json").status_code == 201


def test_the_delivery_mode_message_says_conversations_in_plain_words():
    from django.core.exceptions import ValidationError

    from routing.choices import RoomState
    from routing.models import Room

    t = f.tenant(digital=True)
    poc = f.sms_poc(t, "+12125550160", skill=f.skill(t))
    Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, contact_number="+12025550123", state=RoomState.QUEUED)
    t.sms_delivery = "digital"
    with pytest.raises(ValidationError) as exc:
        t.full_clean()
    assert "while 1 conversation is open" in str(exc.value) and "(s)" not in str(exc.value)


# --- an agent's own canned responses, from the workspace (/canned-responses/) -----------------------

def test_an_agent_keeps_their_own_canned_responses_on_their_page(client):
    t = f.tenant()
    mama, baby = f.agent(t, username="mama"), f.agent(t, username="baby")
    CannedResponse.objects.create(tenant=t, name="Welcome", shortcut="hi", body="Hello for everyone")
    theirs = CannedResponse.objects.create(tenant=t, owner=baby, name="Baby's", shortcut="bb", body="Baby's own")
    client.force_login(mama)
    page = client.get(reverse("own-canned")).content.decode()
    assert "Welcome" in page and "None yet" in page and "Baby's" not in page  # the tenant's listed; another agent's never

    added = client.post(reverse("own-canned"), {"name": "Honey", "shortcut": "honey", "body": "Honey is on the house, {contact_name}."},
                        follow=True)
    mine = CannedResponse.objects.get(owner=mama)
    assert (mine.tenant, mine.shortcut) == (t, "honey")
    assert "Type /honey in the reply box to use it." in added.content.decode()
    # The REST API (what "/" in the reply box reads) has it for mama, not for baby.
    assert "Honey" in [c["name"] for c in client_for(mama).get("/api/v1/canned-responses/").json()["results"]]
    assert "Honey" not in [c["name"] for c in client_for(baby).get("/api/v1/canned-responses/").json()["results"]]

    # Every missing field at once; a shortcut she already uses, next to the shortcut; nothing saved.
    empty = client.post(reverse("own-canned"), {"name": "", "shortcut": "", "body": ""})
    assert empty.status_code == 400 and 'id="id_name_errors"' in empty.content.decode() and 'id="id_body_errors"' in empty.content.decode()
    again = client.post(reverse("own-canned"), {"name": "Honey 2", "shortcut": "HONEY", "body": "More honey"})
    assert again.status_code == 400 and "This shortcut is already used." in again.content.decode()
    assert CannedResponse.objects.filter(owner=mama).count() == 1

    client.post(reverse("own-canned-edit", args=[mine.pk]), {"name": "Honey", "shortcut": "honey", "body": "Honey, free today."})
    mine.refresh_from_db()
    assert mine.body == "Honey, free today."
    # The tenant's and another agent's are not hers to change or delete.
    shared = CannedResponse.objects.get(owner__isnull=True)
    for other in (shared, theirs):
        assert client.post(reverse("own-canned-edit", args=[other.pk]), {"delete": "1"}).status_code == 404
    assert CannedResponse.objects.count() == 3
    client.post(reverse("own-canned-edit", args=[mine.pk]), {"delete": "1"})
    assert not CannedResponse.objects.filter(owner=mama).exists()


def test_own_canned_responses_are_an_agents_page(client):
    t = f.tenant()
    client.force_login(f.admin(t))
    assert client.get(reverse("own-canned")).status_code == 403  # administrators keep the tenant's in the console
    client.force_login(f.user(t, username="sam", role="supervisor"))
    assert client.get(reverse("own-canned")).status_code == 403  # supervisors do not reply to contacts
    client.logout()
    assert client.get(reverse("own-canned")).status_code == 302


def test_the_django_admin_says_conversations_in_plain_words(client):
    """The operator switching a tenant's delivery in the Django admin while a conversation is open."""
    from routing.choices import RoomState
    from routing.models import Room, Tenant

    t = f.tenant(digital=True)
    poc = f.sms_poc(t, "+12125550161", skill=f.skill(t))
    Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, contact_number="+12025550124", state=RoomState.QUEUED)
    client.force_login(f.operator())
    data = {"name": t.name, "slug": t.slug, "time_zone": t.time_zone, "sms_messaging_enabled": "on", "digital_experience_enabled": "on",
            "sms_delivery": "digital", "save_transcripts": "on", "case_limit": t.case_limit, "help_reply": t.help_reply,
            "opt_out_reply": t.opt_out_reply, "opt_in_reply": t.opt_in_reply}
    response = client.post(f"/admin/routing/tenant/{t.pk}/change/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "The delivery mode cannot change while 1 conversation is open" in page
    assert "(s)" not in page and "interactions are active" not in page
    assert Tenant.objects.get(pk=t.pk).sms_delivery == "acd"
