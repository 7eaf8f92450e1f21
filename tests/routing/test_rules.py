"""R1, R2, R3, R5 through the service layer: every refusal names its field and changes nothing."""
import pytest
from django.core.exceptions import ValidationError

from routing import services
from routing.acd import agents
from routing.choices import AgentState, Channel, CodeType, Provider, Role, RoomState, SmsDelivery
from routing.models import CarrierAccount, Country, PointOfContact, Room, Skill, Team, Tenant, User
from tests import factories as f

pytestmark = pytest.mark.django_db


def refused(field, call, *counted_models):
    """Run `call`, expect a ValidationError on `field`, and check no row of `counted_models` appeared or vanished."""
    before = [m.objects.count() for m in counted_models]
    with pytest.raises(ValidationError) as info:
        call()
    assert field in info.value.message_dict, info.value.message_dict
    assert [m.objects.count() for m in counted_models] == before
    return " ".join(info.value.message_dict[field])


def sms_poc(tenant, number, country="US", code_type=CodeType.LONG, carrier=None, **kw):
    return PointOfContact(tenant=tenant, channel=Channel.SMS, number=number, country=Country.objects.get(code=country),
                          code_type=code_type, carrier_account=carrier or f.carrier(tenant), **kw)


# --- R1: SMS Messaging must be enabled ---------------------------------------------------------

def test_sms_skill_refused_without_sms_messaging():
    t = f.tenant(sms=False)
    msg = refused("channel", lambda: services.object_save(instance=Skill(tenant=t, name="Texts", channel=Channel.SMS)), Skill)
    assert "SMS Messaging is not enabled" in msg


def test_chat_skill_allowed_without_sms_messaging():
    t = f.tenant(sms=False)
    assert f.skill(t, "Chat", channel=Channel.CHAT).pk


def test_carrier_account_refused_without_sms_messaging():
    t = f.tenant(sms=False)
    msg = refused("provider", lambda: services.object_save(instance=CarrierAccount(tenant=t, provider=Provider.SIMULATOR)), CarrierAccount)
    assert "carrier accounts cannot be configured" in msg


def test_sms_poc_refused_once_sms_messaging_is_disabled():
    t = f.tenant(sms=True)
    carrier = f.carrier(t)
    t.sms_messaging_enabled = False
    services.object_save(instance=t)
    msg = refused("channel", lambda: services.object_save(instance=sms_poc(t, "+12125550100", carrier=carrier)), PointOfContact)
    assert "SMS points of contact cannot be configured" in msg


@pytest.mark.parametrize("sms,digital", [(False, False), (True, False), (False, True)])
def test_digital_delivery_needs_both_features(sms, digital):
    tenant = Tenant(name="Young Adventurers", slug="young-adventurers", sms_messaging_enabled=sms, digital_experience_enabled=digital,
                    sms_delivery=SmsDelivery.DIGITAL)
    msg = refused("sms_delivery", lambda: services.object_save(instance=tenant), Tenant)
    assert "needs both SMS Messaging and Digital Experience" in msg


def test_digital_delivery_with_both_features():
    t = f.tenant(sms=True, digital=True, delivery=SmsDelivery.DIGITAL)
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.DIGITAL


# --- R2: one delivery mode, not switched while interactions are active ------------------------

@pytest.mark.parametrize("state", [RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE])
def test_delivery_switch_refused_while_rooms_are_open(state):
    t = f.tenant(sms=True, digital=True)
    poc = f.sms_poc(t, "+12125550100")
    Room.objects.create(tenant=t, channel=Channel.SMS, point_of_contact=poc, state=state, contact_number="+12125550177",
                        poc_number=poc.number)
    t.sms_delivery = SmsDelivery.DIGITAL
    msg = refused("sms_delivery", lambda: services.object_save(instance=t))
    assert "cannot change while 1 conversation is open" in msg
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.ACD


def test_delivery_switch_allowed_once_rooms_are_closed():
    t = f.tenant(sms=True, digital=True)
    poc = f.sms_poc(t, "+12125550100")
    Room.objects.create(tenant=t, channel=Channel.SMS, point_of_contact=poc, state=RoomState.CLOSED, contact_number="+12125550177")
    t.sms_delivery = SmsDelivery.DIGITAL
    services.object_save(instance=t)
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.DIGITAL


def test_other_tenants_rooms_do_not_block_the_switch():
    t, other = f.tenant(sms=True, digital=True), f.tenant()
    poc = f.sms_poc(other, "+12125550100")
    Room.objects.create(tenant=other, channel=Channel.SMS, point_of_contact=poc, state=RoomState.ACTIVE, contact_number="+12125550177")
    t.sms_delivery = SmsDelivery.DIGITAL
    services.object_save(instance=t)
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.DIGITAL


# --- R3: session limit 1 to 12, on the team and per user --------------------------------------

@pytest.mark.parametrize("limit", [0, 13, 99])
def test_team_limit_out_of_range(limit):
    t = f.tenant()
    msg = refused("session_limit", lambda: services.object_save(instance=Team(tenant=t, name="The Bears", session_limit=limit)), Team)
    assert "1 to 12" in msg


@pytest.mark.parametrize("limit", [1, 12])
def test_team_limit_bounds_accepted(limit):
    assert f.team(f.tenant(), session_limit=limit).session_limit == limit


def test_team_limit_change_refused_keeps_old_value():
    team = f.team(f.tenant(), session_limit=5)
    team.session_limit = 13
    refused("session_limit", lambda: services.object_save(instance=team))
    assert Team.objects.get(pk=team.pk).session_limit == 5


@pytest.mark.parametrize("limit", [0, 13])
def test_user_override_out_of_range(limit):
    t = f.tenant()
    user = User(tenant=t, username="mama", role=Role.AGENT, session_limit=limit)
    msg = refused("session_limit", lambda: services.user_save(user=user, password=f.PASSWORD), User)
    assert "1 to 12" in msg


def test_user_override_and_effective_limit():
    t = f.tenant()
    team = f.team(t, session_limit=5)
    mama = f.agent(t, team=team)
    assert mama.effective_session_limit == 5
    mama.session_limit = 12
    services.user_save(user=mama)
    assert User.objects.get(pk=mama.pk).effective_session_limit == 12
    mama.session_limit = None
    services.user_save(user=mama)
    assert User.objects.get(pk=mama.pk).effective_session_limit == 5


def test_user_team_of_another_tenant_refused():
    t, other = f.tenant(), f.tenant()
    user = User(tenant=t, username="papa", role=Role.AGENT, team=f.team(other))
    refused("team", lambda: services.user_save(user=user, password=f.PASSWORD), User)


def test_user_without_role_refused():
    refused("role", lambda: services.user_save(user=User(tenant=f.tenant(), username="nobody"), password=f.PASSWORD), User)


def test_weak_password_refused():
    refused("password", lambda: services.user_save(user=User(tenant=f.tenant(), username="baby", role=Role.AGENT), password="short"), User)


def test_skills_of_another_tenant_refused():
    t, other = f.tenant(), f.tenant()
    agent = f.agent(t)
    refused("skills", lambda: services.user_set_skills(user=agent, skills=[f.skill(other)]))
    assert agent.agent_skills.count() == 0


def test_proficiency_is_1_to_20():
    t = f.tenant()
    sms = f.skill(t)
    agent = f.agent(t, skills=[(sms, 3)])
    refused("proficiency", lambda: services.user_set_skills(user=agent, skills=[(sms, 21)]))
    assert agent.agent_skills.get().proficiency == 3


def test_agent_state_rules():
    t = f.tenant()
    refused("state", lambda: agents.agent_set_state(agent=f.admin(t), state=AgentState.AVAILABLE))
    agent = f.agent(t)
    refused("state", lambda: agents.agent_set_state(agent=agent, state="asleep"))
    assert User.objects.get(pk=agent.pk).state == AgentState.LOGGED_OUT
    assert agents.agent_set_state(agent=agent, state=AgentState.AVAILABLE).state == AgentState.AVAILABLE


# --- R5: numbers, code types and the country table --------------------------------------------

@pytest.mark.parametrize("country,code_type,number,stored", [
    ("US", CodeType.LONG, "(212) 555-0100", "+12125550100"),
    ("US", CodeType.TOLL_FREE, "+1 888 234 5678", "+18882345678"),
    ("US", CodeType.SHORT, "72345", "72345"),
    ("CA", CodeType.LONG, "+1 416 555 0123", "+14165550123"),
    ("CA", CodeType.SHORT, "345-678", "345678"),
    ("GB", CodeType.LONG, "+44 20 7183 8750", "+442071838750"),
    ("DE", CodeType.LONG, "+49 30 901820", "+4930901820"),
])
def test_allowed_code_types_are_stored_normalised(country, code_type, number, stored):
    poc = services.object_save(instance=sms_poc(f.tenant(), number, country, code_type))
    assert PointOfContact.objects.get(pk=poc.pk).number == stored


@pytest.mark.parametrize("country,code_type,number", [
    ("GB", CodeType.SHORT, "72345"),
    ("GB", CodeType.TOLL_FREE, "+448001234567"),
    ("DE", CodeType.SHORT, "72345"),
    ("MX", CodeType.TOLL_FREE, "+528001234567"),
])
def test_long_codes_only_outside_us_and_canada(country, code_type, number):
    t = f.tenant()
    carrier = f.carrier(t)
    msg = refused("code_type", lambda: services.object_save(instance=sms_poc(t, number, country, code_type, carrier)), PointOfContact)
    assert "long codes only" in msg


def test_country_table_has_at_least_15_long_code_countries_and_us_canada_allow_all():
    assert Country.objects.filter(long=True).count() >= 17
    for code in ("US", "CA"):
        assert Country.objects.get(code=code).allowed_code_types() == [CodeType.LONG, CodeType.TOLL_FREE, CodeType.SHORT]
    assert Country.objects.get(code="GB").allowed_code_types() == [CodeType.LONG]


def test_operator_edits_the_country_table():
    gb = Country.objects.get(code="GB")
    gb.short = True
    services.object_save(instance=gb)
    poc = services.object_save(instance=sms_poc(f.tenant(), "60123", "GB", CodeType.SHORT))
    assert poc.number == "60123"


def test_country_code_must_be_two_letters():
    refused("code", lambda: services.object_save(instance=Country(code="USA", name="Nowhere")), Country)


@pytest.mark.parametrize("country,code_type,number", [
    ("US", CodeType.TOLL_FREE, "+18882345678"),
    ("US", CodeType.SHORT, "72345"),
    ("CA", CodeType.LONG, "+14165550123"),
    ("GB", CodeType.LONG, "+442071838750"),
])
def test_digital_mode_allows_us_long_codes_only(country, code_type, number):
    t = f.tenant(sms=True, digital=True, delivery=SmsDelivery.DIGITAL)
    carrier = f.carrier(t)
    msg = refused("code_type", lambda: services.object_save(instance=sms_poc(t, number, country, code_type, carrier)), PointOfContact)
    assert "United States long codes only" in msg


def test_digital_mode_accepts_a_us_long_code():
    t = f.tenant(sms=True, digital=True, delivery=SmsDelivery.DIGITAL)
    assert services.object_save(instance=sms_poc(t, "+14155550199")).number == "+14155550199"


@pytest.mark.parametrize("number", ["hello", "+1", "12"])
def test_number_that_does_not_parse(number):
    t = f.tenant()
    carrier = f.carrier(t)
    msg = refused("number", lambda: services.object_save(instance=sms_poc(t, number, carrier=carrier)), PointOfContact)
    assert "phone number" in msg


def test_number_of_another_country():
    t = f.tenant()
    carrier = f.carrier(t)
    msg = refused("number", lambda: services.object_save(instance=sms_poc(t, "+442071838750", "US", carrier=carrier)), PointOfContact)
    assert "is a number of GB, not of US" in msg


def test_toll_free_number_as_long_code_and_long_number_as_toll_free():
    t = f.tenant()
    carrier = f.carrier(t)
    refused("number", lambda: services.object_save(instance=sms_poc(t, "+18882345678", "US", CodeType.LONG, carrier)), PointOfContact)
    refused("number", lambda: services.object_save(instance=sms_poc(t, "+12125550100", "US", CodeType.TOLL_FREE, carrier)), PointOfContact)


def test_duplicate_number_refused_across_tenants():
    t, other = f.tenant(), f.tenant()
    services.object_save(instance=sms_poc(t, "+12125550100"))
    carrier = f.carrier(other)
    msg = refused("number", lambda: services.object_save(instance=sms_poc(other, "212-555-0100", carrier=carrier)), PointOfContact)
    assert "This number is already a point of contact." in msg


@pytest.mark.parametrize("digits", ["12", "123456789", "7234a", "72-34x"])
def test_short_code_digits(digits):
    t = f.tenant()
    carrier = f.carrier(t)
    msg = refused("number", lambda: services.object_save(instance=sms_poc(t, digits, "US", CodeType.SHORT, carrier)), PointOfContact)
    assert "A short code is 3 to 8 digits" in msg


def test_missing_country_code_type_and_carrier():
    t = f.tenant()
    carrier = f.carrier(t)
    poc = sms_poc(t, "+12125550100", carrier=carrier)
    poc.country = None
    refused("country", lambda: services.object_save(instance=poc), PointOfContact)
    poc = sms_poc(t, "+12125550100", carrier=carrier, code_type="")
    refused("code_type", lambda: services.object_save(instance=poc), PointOfContact)
    poc = sms_poc(t, "+12125550100", carrier=carrier)
    poc.carrier_account = None
    refused("carrier_account", lambda: services.object_save(instance=poc), PointOfContact)


def test_poc_references_must_be_same_tenant_and_channel():
    t, other = f.tenant(), f.tenant()
    carrier = f.carrier(t)
    refused("carrier_account", lambda: services.object_save(instance=sms_poc(t, "+12125550100", carrier=f.carrier(other))), PointOfContact)
    refused("skill", lambda: services.object_save(instance=sms_poc(t, "+12125550100", carrier=carrier, skill=f.skill(other))),
            PointOfContact)
    chat = f.skill(t, channel=Channel.CHAT)
    refused("skill", lambda: services.object_save(instance=sms_poc(t, "+12125550100", carrier=carrier, skill=chat)), PointOfContact)


def test_chat_poc_needs_a_slug_and_a_chat_skill():
    t = f.tenant()
    refused("slug", lambda: services.object_save(instance=PointOfContact(tenant=t, channel=Channel.CHAT)), PointOfContact)
    sms = f.skill(t)
    refused("skill", lambda: services.object_save(instance=PointOfContact(tenant=t, channel=Channel.CHAT, slug="porridge", skill=sms)),
            PointOfContact)


def test_canadian_toll_free_number():
    # North American toll-free numbers are shared by the US and Canada.
    assert services.object_save(instance=sms_poc(f.tenant(), "+18662345678", "CA", CodeType.TOLL_FREE)).pk


def test_switching_to_digital_is_refused_while_the_tenant_has_numbers_digital_mode_does_not_allow():
    """R5 also holds when the tenant changes, not only when a number is saved."""
    t = f.tenant(digital=True)
    f.sms_poc(t, "+18005550100", code_type=CodeType.TOLL_FREE)
    t.sms_delivery = SmsDelivery.DIGITAL
    with pytest.raises(ValidationError) as exc:
        services.object_save(instance=t)
    assert "+18005550100" in exc.value.message_dict["sms_delivery"][0]
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.ACD
    PointOfContact.objects.filter(tenant=t).delete()
    f.sms_poc(t, "+12125550160")
    t.sms_delivery = SmsDelivery.DIGITAL
    assert services.object_save(instance=t).sms_delivery == SmsDelivery.DIGITAL


@pytest.mark.parametrize("zone", ["US", "America", "Porridge/Bowl", "", "../etc"])
def test_a_folder_of_time_zones_or_nonsense_is_not_a_time_zone(zone):
    from routing.rules import tenant_validate_time_zone

    with pytest.raises(ValidationError, match="is not a time zone name"):
        tenant_validate_time_zone(zone)
