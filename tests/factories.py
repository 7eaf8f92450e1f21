"""Test data in one place. Every builder goes through the service layer, like the product does."""
import itertools

from routing import services
from routing.acd import agents
from routing.choices import Channel, CodeType, Direction, Provider, Role
from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant, User

_n = itertools.count(1)
PASSWORD = "Sturdy-pass-1234!"


def tenant(name=None, sms=True, digital=False, delivery="acd", save_transcripts=True, **kw):
    i = next(_n)
    name = name or f"Tenant {i}"
    slug = kw.pop("slug", None) or f"tenant-{i}"
    return services.object_save(instance=Tenant(name=name, slug=slug, sms_messaging_enabled=sms, digital_experience_enabled=digital,
                                                sms_delivery=delivery, save_transcripts=save_transcripts, **kw))


def team(tenant, name=None, session_limit=5):
    return services.object_save(instance=Team(tenant=tenant, name=name or f"Team {next(_n)}", session_limit=session_limit))


def skill(tenant, name=None, channel=Channel.SMS, direction=Direction.INBOUND):
    return services.object_save(instance=Skill(tenant=tenant, name=name or f"Skill {next(_n)}", channel=channel, direction=direction))


def user(tenant, username=None, role=Role.AGENT, team=None, session_limit=None, skills=(), password=PASSWORD, state=None):
    u = User(tenant=tenant, username=username or f"user{next(_n)}", role=role, team=team, session_limit=session_limit)
    u = services.user_save(user=u, password=password, skills=list(skills))
    if state:
        u = agents.agent_set_state(agent=u, state=state)
    return u


def agent(tenant, **kw):
    return user(tenant, role=Role.AGENT, **kw)


def admin(tenant, **kw):
    return user(tenant, role=Role.ADMIN, **kw)


def operator(username="operator"):
    return User.objects.create_superuser(username=username, password=PASSWORD, email=f"{username}@example.com")


def carrier(tenant, provider=Provider.SIMULATOR, account_sid="", auth_token=""):
    return services.object_save(instance=CarrierAccount(tenant=tenant, provider=provider, account_sid=account_sid, auth_token=auth_token,
                                                        name=f"{provider} {next(_n)}"))


def seeded_country(code):
    """The seeded country; re-seeded when a transactional test flushed the table."""
    found = Country.objects.filter(code=code).first()
    if found:
        return found
    import importlib

    seed = importlib.import_module("routing.migrations.0002_seed_countries")
    for c, name, long, toll_free, short, digital in seed.COUNTRIES:
        Country.objects.update_or_create(code=c, defaults=dict(name=name, long=long, toll_free=toll_free, short=short, digital=digital))
    return Country.objects.get(code=code)


def sms_poc(tenant, number=None, country="US", code_type=CodeType.LONG, skill=None, carrier_account=None, **kw):
    number = number or "+1212555%04d" % (100 + next(_n) % 100 + 100 * (next(_n) % 9))
    return services.object_save(instance=PointOfContact(
        tenant=tenant, channel=Channel.SMS, number=number, country=seeded_country(country), code_type=code_type,
        skill=skill, carrier_account=carrier_account or carrier(tenant), **kw))


def chat_poc(tenant, slug=None, skill=None, **kw):
    return services.object_save(instance=PointOfContact(tenant=tenant, channel=Channel.CHAT, slug=slug or f"chat-{next(_n)}",
                                                        skill=skill, **kw))
