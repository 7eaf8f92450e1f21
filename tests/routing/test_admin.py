"""The operator's Django admin refuses what the services refuse, with the same messages."""
import html

import pytest
from django.core.exceptions import ValidationError

from routing import services
from routing.choices import Channel, RoomState, SmsDelivery
from routing.models import CarrierAccount, Country, Message, PointOfContact, Room, Tenant, User
from tests import factories as f

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def service_message(instance):
    with pytest.raises(ValidationError) as info:
        services.object_save(instance=instance)
    return info.value


@pytest.fixture
def operator(client):
    client.force_login(f.operator())
    return client


def tenant_data(**kw):
    data = {"name": "Young Adventurers", "slug": "young-adventurers", "time_zone": "America/New_York", "sms_messaging_enabled": "on",
            "sms_delivery": "acd", "save_transcripts": "on", "case_limit": 5, "help_reply": "Help",
            "opt_out_reply": "Bye", "opt_in_reply": "Hi"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def poc_data(tenant, carrier, **kw):
    data = {"tenant": tenant.pk, "name": "London", "channel": "sms", "number": "72345", "country": "GB", "code_type": "short",
            "carrier_account": carrier.pk, "skill": "", "slug": "", "after_hours_reply": "", "is_active": "on",
            "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0, "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    data.update(kw)
    return data


def test_admin_refuses_a_short_code_in_gb_with_the_service_message(operator):
    t = f.tenant()
    carrier = f.carrier(t)
    expected = service_message(PointOfContact(tenant=t, channel=Channel.SMS, number="72345", country=Country.objects.get(code="GB"),
                                              code_type="short", carrier_account=carrier)).message_dict["code_type"][0]
    assert expected == "United Kingdom allows long codes only: a short code is not supported there."
    response = operator.post("/admin/routing/pointofcontact/add/", poc_data(t, carrier))
    assert response.status_code == 200
    assert expected in text(response)
    assert not PointOfContact.objects.exists()
    response = operator.post("/admin/routing/pointofcontact/add/", poc_data(t, carrier, code_type="long", number="+44 20 7183 8750"))
    assert response.status_code == 302
    assert PointOfContact.objects.get().number == "+442071838750"


def test_admin_refuses_digital_mode_without_digital_experience(operator):
    expected = service_message(Tenant(name="X", slug="x", sms_messaging_enabled=True,
                                      sms_delivery=SmsDelivery.DIGITAL)).message_dict["sms_delivery"][0]
    response = operator.post("/admin/routing/tenant/add/", tenant_data(sms_delivery="digital"))
    assert response.status_code == 200
    assert expected in text(response)
    assert not Tenant.objects.filter(slug="young-adventurers").exists()
    response = operator.post("/admin/routing/tenant/add/", tenant_data(sms_delivery="digital", digital_experience_enabled="on"))
    assert response.status_code == 302
    assert Tenant.objects.get(slug="young-adventurers").sms_delivery == SmsDelivery.DIGITAL


def test_admin_refuses_delivery_switch_while_rooms_are_active(operator):
    t = f.tenant(sms=True, digital=True, slug="three-bears", name="Three Bears Porridge")
    poc = f.sms_poc(t, "+12125550100")
    Room.objects.create(tenant=t, channel=Channel.SMS, point_of_contact=poc, state=RoomState.ACTIVE, contact_number="+12125550111")
    response = operator.post(f"/admin/routing/tenant/{t.pk}/change/", tenant_data(name=t.name, slug=t.slug, sms_delivery="digital",
                                                                                 digital_experience_enabled="on"))
    assert response.status_code == 200
    assert "cannot change while 1 conversation is open" in text(response)
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.ACD


def test_admin_refuses_session_limit_out_of_range(operator):
    t = f.tenant()
    response = operator.post("/admin/routing/team/add/", {"tenant": t.pk, "name": "The Bears", "session_limit": 13})
    assert response.status_code == 200
    assert "The chat/SMS session limit is 1 to 12." in text(response)


def test_admin_carrier_token_is_write_only(operator):
    t = f.tenant()
    sid = "AC" + "2" * 32
    response = operator.post("/admin/routing/carrieraccount/add/", {"tenant": t.pk, "name": "Twilio", "provider": "twilio",
                                                                   "account_sid": sid, "auth_token": "very-secret-token"})
    assert response.status_code == 302
    carrier = CarrierAccount.objects.get(account_sid=sid)
    page = text(operator.get(f"/admin/routing/carrieraccount/{carrier.pk}/change/"))
    assert "very-secret-token" not in page and 'type="password"' in page
    operator.post(f"/admin/routing/carrieraccount/{carrier.pk}/change/", {"tenant": t.pk, "name": "Twilio prod", "provider": "twilio",
                                                                          "account_sid": sid, "auth_token": ""})
    carrier.refresh_from_db()
    assert carrier.name == "Twilio prod" and carrier.auth_token == "very-secret-token"
    assert "very-secret-token" not in text(operator.get("/admin/routing/carrieraccount/"))


def test_admin_carrier_refused_without_sms_messaging(operator):
    t = f.tenant(sms=False)
    response = operator.post("/admin/routing/carrieraccount/add/", {"tenant": t.pk, "name": "Sim", "provider": "simulator",
                                                                   "account_sid": "", "auth_token": ""})
    assert response.status_code == 200
    assert "SMS Messaging is not enabled on this tenant: carrier accounts cannot be configured." in text(response)
    assert not CarrierAccount.objects.exists()


def test_admin_country_table_is_editable(operator):
    gb = Country.objects.get(code="GB")
    response = operator.post(f"/admin/routing/country/{gb.pk}/change/",
                             {"code": "gb", "name": "United Kingdom", "long": "on", "short": "on"})
    assert response.status_code == 302
    gb.refresh_from_db()
    assert gb.short and gb.code == "GB"
    response = operator.post("/admin/routing/country/add/", {"code": "ZZZ", "name": "Nowhere", "long": "on"})
    assert "Use the two-letter ISO 3166 code" in text(response)


def test_admin_user_add_and_skills(operator):
    t = f.tenant()
    team = f.team(t, "The Bears")
    sms = f.skill(t, "Porridge SMS")
    response = operator.post("/admin/routing/user/add/", {"username": "mama", "tenant": t.pk, "role": "agent", "team": team.pk,
                                                         "usable_password": "true", "password1": "Porridge-pass-99",
                                                         "password2": "Porridge-pass-99",
                                                         "agent_skills-TOTAL_FORMS": 1, "agent_skills-INITIAL_FORMS": 0,
                                                         "agent_skills-0-skill": sms.pk, "agent_skills-0-proficiency": 4})
    assert response.status_code == 302, text(response)[-3000:]
    mama = User.objects.get(username="mama")
    assert (mama.tenant, mama.role, mama.team) == (t, "agent", team) and mama.check_password("Porridge-pass-99")
    assert list(mama.agent_skills.values_list("skill__name", "proficiency")) == [("Porridge SMS", 4)]


def test_admin_user_needs_a_tenant_and_role(operator):
    response = operator.post("/admin/routing/user/add/", {"username": "nobody", "usable_password": "true", "password1": "Porridge-pass-99",
                                                         "password2": "Porridge-pass-99", "agent_skills-TOTAL_FORMS": 0,
                                                         "agent_skills-INITIAL_FORMS": 0})
    assert response.status_code == 200
    assert "A user belongs to exactly one tenant." in text(response)
    assert not User.objects.filter(username="nobody").exists()


def test_rooms_and_messages_are_read_only(operator):
    t = f.tenant()
    poc = f.sms_poc(t, "+12125550100")
    room = Room.objects.create(tenant=t, channel=Channel.SMS, point_of_contact=poc, state=RoomState.ACTIVE, contact_number="+12125550111")
    message = Message.objects.create(room=room, tenant=t, direction="inbound", body="My porridge is too hot", status="received")
    assert operator.get("/admin/routing/room/").status_code == 200
    assert operator.get("/admin/routing/room/add/").status_code == 403
    page = operator.get(f"/admin/routing/room/{room.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in text(page)
    assert operator.post(f"/admin/routing/room/{room.pk}/change/", {"state": "closed"}).status_code == 403
    assert operator.post(f"/admin/routing/room/{room.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Room.objects.get(pk=room.pk).state == RoomState.ACTIVE
    assert "My porridge is too hot" in text(operator.get("/admin/routing/message/"))
    assert operator.get("/admin/routing/message/add/").status_code == 403
    assert operator.post(f"/admin/routing/message/{message.pk}/change/", {"body": "x"}).status_code == 403


@pytest.mark.parametrize("path", ["tenant", "country", "user", "team", "skill", "carrieraccount", "pointofcontact", "room", "message"])
def test_admin_pages_load(operator, path):
    t = f.tenant()
    f.sms_poc(t, "+12125550100")
    assert operator.get(f"/admin/routing/{path}/").status_code == 200


def test_tenant_admins_cannot_use_the_django_admin(client):
    client.force_login(f.admin(f.tenant()))
    response = client.get("/admin/routing/tenant/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
