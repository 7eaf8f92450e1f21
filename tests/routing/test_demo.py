"""`manage.py load_demo` builds the brief's two tenants through the services and is idempotent; `demo_banner` prints the accounts."""
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from routing.choices import Channel, CodeType, Direction, Role, SmsDelivery
from routing.models import CarrierAccount, PointOfContact, Skill, Team, Tenant, User

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-1234"


def row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_app_config("routing").get_models()}


def load():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_three_bears():
    load()
    bears = Tenant.objects.get(slug="three-bears")
    assert (bears.name, bears.sms_messaging_enabled, bears.sms_delivery, bears.save_transcripts, bears.time_zone) == (
        "Three Bears Porridge", True, SmsDelivery.ACD, True, "America/New_York")
    team = Team.objects.get(tenant=bears)
    assert (team.name, team.session_limit) == ("The Bears", 5)
    skills = {s.name: (s.channel, s.direction) for s in Skill.objects.filter(tenant=bears)}
    assert skills == {"Porridge SMS": (Channel.SMS, Direction.INBOUND), "Porridge SMS outbound": (Channel.SMS, Direction.OUTBOUND),
                      "Porridge Chat": (Channel.CHAT, Direction.INBOUND)}
    people = {u.username: u for u in User.objects.filter(tenant=bears)}
    assert {n: u.role for n, u in people.items()} == {"tiffany": Role.ADMIN, "sam": Role.SUPERVISOR, "mama": Role.AGENT, "papa": Role.AGENT,
                                                       "baby": Role.AGENT}
    assert people["tiffany"].get_full_name() == "Tiffany Goldilocks"
    assert all(u.team == team and u.check_password(PASSWORD) for u in people.values())

    def held(name):
        return set(people[name].agent_skills.values_list("skill__name", flat=True))

    assert held("mama") == {"Porridge Chat", "Porridge SMS", "Porridge SMS outbound"}
    assert held("papa") == {"Porridge Chat"}
    assert held("baby") == {"Porridge SMS", "Porridge SMS outbound"}

    sms = PointOfContact.objects.get(number="+12125550100")
    assert (sms.tenant, sms.country_id, sms.code_type, sms.skill.name, sms.carrier_account.provider) == (
        bears, "US", CodeType.LONG, "Porridge SMS", "simulator")
    chat = PointOfContact.objects.get(channel=Channel.CHAT, slug="porridge")
    assert (chat.tenant, chat.skill.name) == (bears, "Porridge Chat")


def test_young_adventurers_and_operator():
    load()
    ya = Tenant.objects.get(slug="young-adventurers")
    assert (ya.name, ya.sms_messaging_enabled, ya.digital_experience_enabled, ya.sms_delivery) == (
        "Young Adventurers", True, True, SmsDelivery.DIGITAL)
    assert dict(User.objects.filter(tenant=ya).values_list("username", "role")) == {"tuppence": Role.ADMIN, "tommy": Role.AGENT,
                                                                                     "albert": Role.AGENT}
    poc = PointOfContact.objects.get(tenant=ya)
    assert (poc.number, poc.name, poc.country_id, poc.code_type) == ("+14155550199", "#ADVENTUREME line", "US", CodeType.LONG)
    assert CarrierAccount.objects.get(tenant=ya).provider == "simulator"
    operator = User.objects.get(username="operator")
    assert operator.is_superuser and operator.is_staff and operator.tenant is None and operator.check_password(PASSWORD)


def test_load_demo_twice_changes_nothing():
    first = load()
    counts = row_counts()
    passwords = dict(User.objects.values_list("username", "password"))
    second = load()
    assert row_counts() == counts
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "created" in first and "nothing changed" in second


def test_load_demo_repairs_changed_demo_data():
    load()
    Team.objects.filter(name="The Bears").update(session_limit=9)
    mama = User.objects.get(username="mama")
    mama.agent_skills.all().delete()
    counts = row_counts()
    out = load()
    assert "1 created" not in out and "updated" in out
    assert Team.objects.get(name="The Bears").session_limit == 5
    assert mama.agent_skills.count() == 3
    assert row_counts()["routing.Team"] == counts["routing.Team"]


def test_demo_banner():
    out = StringIO()
    call_command("demo_banner", "--url", "http://127.0.0.1:8000/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/login/" in text and PASSWORD in text
    for name in ("operator", "tiffany", "sam", "mama", "papa", "baby", "tuppence", "tommy"):
        assert name in text
    assert "Tenant administrator" in text and "Supervisor" in text and "Agent" in text
