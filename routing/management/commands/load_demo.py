"""Load the demo tenants of the product brief (Three Bears Porridge, Young Adventurers) and an operator.

Idempotent: objects are looked up by their natural key and only created or changed when they
differ from the demo, so running it twice changes nothing. Everything goes through routing.services.
"""
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from routing import services
from routing.choices import Channel, CodeType, Direction, Provider, Role, SmsDelivery
from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant, UnavailableReason, User

DEMO_PASSWORD = "demo-pass-1234"

# (username, first name, last name, role, skills) per tenant; the operator is a superuser of no tenant.
THREE_BEARS_USERS = [
    ("tiffany", "Tiffany", "Goldilocks", Role.ADMIN, []),
    ("sam", "Sam", "Bruin", Role.SUPERVISOR, []),
    ("mama", "Mama", "Bear", Role.AGENT, ["Porridge Chat", "Porridge SMS", "Porridge SMS outbound"]),
    ("papa", "Papa", "Bear", Role.AGENT, ["Porridge Chat"]),
    ("baby", "Baby", "Bear", Role.AGENT, ["Porridge SMS", "Porridge SMS outbound"]),
]
YOUNG_ADVENTURERS_USERS = [
    ("tuppence", "Tuppence", "Beresford", Role.ADMIN, []),
    ("tommy", "Tommy", "Beresford", Role.AGENT, []),
    ("albert", "Albert", "Batt", Role.AGENT, []),
]
# What agents may say when going unavailable (administrators change them in the console).
DEMO_UNAVAILABLE_REASONS = ("Break", "Lunch", "Training", "Meeting")

# For demo_banner: who logs in where.
DEMO_ACCOUNTS = [
    ("operator", "Platform operator", "all tenants (Django admin)"),
    *[(u[0], u[3].label, "Three Bears Porridge") for u in THREE_BEARS_USERS],
    *[(u[0], u[3].label, "Young Adventurers") for u in YOUNG_ADVENTURERS_USERS],
]


class Loader:
    def __init__(self):
        self.created = self.changed = 0

    def ensure(self, model, lookup, **values):
        """The object matching `lookup`, created or updated through services.object_save when it differs from the demo."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            self.created += 1
        elif all(getattr(obj, k) == v for k, v in values.items()):
            return obj
        else:
            for k, v in values.items():
                setattr(obj, k, v)
            self.changed += 1
        return services.object_save(instance=obj)

    def ensure_user(self, tenant, username, first, last, role, skills=(), team=None, superuser=False):
        user = User.objects.filter(username=username).first()
        values = dict(tenant=tenant, first_name=first, last_name=last, role=role, team=team, is_superuser=superuser, is_staff=superuser,
                      email=f"{username}@example.com")
        fresh = user is None
        if fresh:
            user = User(username=username)
        differs = fresh or any(getattr(user, k) != v for k, v in values.items())
        for k, v in values.items():
            setattr(user, k, v)
        password = DEMO_PASSWORD if fresh or not user.check_password(DEMO_PASSWORD) else None
        wanted = {s.pk: 1 for s in skills}
        held = dict(user.agent_skills.values_list("skill_id", "proficiency")) if not fresh else {}
        if fresh:
            self.created += 1
        elif differs or password or held != wanted:
            self.changed += 1
        else:
            return user
        return services.user_save(user=user, password=password, skills=list(skills))

    @transaction.atomic
    def run(self):
        us = Country.objects.get(code="US")
        bears = self.ensure(Tenant, {"slug": "three-bears"}, name="Three Bears Porridge", sms_messaging_enabled=True,
                            digital_experience_enabled=False, sms_delivery=SmsDelivery.ACD, save_transcripts=True,
                            time_zone="America/New_York")
        team = self.ensure(Team, {"tenant": bears, "name": "The Bears"}, session_limit=5)
        skills = {
            "Porridge SMS": self.ensure(Skill, {"tenant": bears, "name": "Porridge SMS"}, channel=Channel.SMS, direction=Direction.INBOUND),
            "Porridge SMS outbound": self.ensure(Skill, {"tenant": bears, "name": "Porridge SMS outbound"}, channel=Channel.SMS,
                                                 direction=Direction.OUTBOUND),
            "Porridge Chat": self.ensure(Skill, {"tenant": bears, "name": "Porridge Chat"}, channel=Channel.CHAT,
                                         direction=Direction.INBOUND),
        }
        for username, first, last, role, skill_names in THREE_BEARS_USERS:
            self.ensure_user(bears, username, first, last, role, [skills[n] for n in skill_names], team=team)
        for name in DEMO_UNAVAILABLE_REASONS:
            self.ensure(UnavailableReason, {"tenant": bears, "name": name}, is_active=True)
        carrier = self.ensure(CarrierAccount, {"tenant": bears, "name": "Simulator"}, provider=Provider.SIMULATOR)
        self.ensure(PointOfContact, {"channel": Channel.SMS, "number": "+12125550100"}, tenant=bears, name="Porridge line", country=us,
                    code_type=CodeType.LONG, carrier_account=carrier, skill=skills["Porridge SMS"])
        self.ensure(PointOfContact, {"channel": Channel.CHAT, "slug": "porridge"}, tenant=bears, name="Porridge web chat",
                    skill=skills["Porridge Chat"])

        adventurers = self.ensure(Tenant, {"slug": "young-adventurers"}, name="Young Adventurers", sms_messaging_enabled=True,
                                  digital_experience_enabled=True, sms_delivery=SmsDelivery.DIGITAL, save_transcripts=True,
                                  time_zone="America/Los_Angeles")
        for username, first, last, role, _ in YOUNG_ADVENTURERS_USERS:
            self.ensure_user(adventurers, username, first, last, role)
        carrier = self.ensure(CarrierAccount, {"tenant": adventurers, "name": "Simulator"}, provider=Provider.SIMULATOR)
        self.ensure(PointOfContact, {"channel": Channel.SMS, "number": "+14155550199"}, tenant=adventurers, name="#ADVENTUREME line",
                    country=us, code_type=CodeType.LONG, carrier_account=carrier)

        self.ensure_user(None, "operator", "Platform", "Operator", "", superuser=True)


class Command(BaseCommand):
    help = "Load the demo tenants Three Bears Porridge and Young Adventurers (idempotent). All passwords: " + DEMO_PASSWORD

    def handle(self, *args, **options):
        loader = Loader()
        loader.run()
        if apps.is_installed("digital"):  # its queues and filters live in the app (no import from routing)
            call_command("load_demo_digital", stdout=self.stdout, stderr=self.stderr)
        if loader.created or loader.changed:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {loader.created} created, {loader.changed} updated."))
        else:
            self.stdout.write("Demo data already loaded: nothing changed.")
        # Young Adventurers' campaign demo, from the campaigns app (by name: routing does not import it).
        call_command("load_campaigns_demo", stdout=self.stdout)
