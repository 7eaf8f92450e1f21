"""Young Adventurers' prospects and a draft announcement campaign (idempotent; run by load_demo)."""
from pathlib import Path

from django.core.management.base import BaseCommand

from campaigns import services
from campaigns.models import Campaign, ContactList
from routing.hub import optout
from routing.models import PointOfContact, Tenant

PROSPECTS = Path(__file__).resolve().parents[2] / "demo" / "prospects.csv"
OPTED_OUT = "+13125550103"  # Dee in Chicago texted STOP once
TEMPLATE = ("Hi {first_name|there}! Young Adventurers has a new itinerary: Lisbon & Sintra, 8 days in May, "
            "with {interest|guided walks} on the way. Reply to ask us anything.")


class Command(BaseCommand):
    help = "Load Young Adventurers' prospect list (a few bad rows, one opted-out number, several time zones) and a draft campaign."

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug="young-adventurers").first()
        poc = PointOfContact.objects.filter(tenant=tenant, number="+14155550199").first() if tenant else None
        if poc is None:
            self.stdout.write("Young Adventurers is not loaded: run load_demo first.")
            return
        optout.contact_set_opt_out(tenant_id=tenant.pk, number=OPTED_OUT, opted_out=True)
        contact_list = ContactList.objects.filter(tenant=tenant, name="Prospects (trade fair)").first()
        if contact_list is None:
            with open(PROSPECTS, "rb") as f:
                contact_list = services.contact_list_import(tenant=tenant, name="Prospects (trade fair)", file=f)
        if not Campaign.objects.filter(tenant=tenant, name="New itinerary: Lisbon & Sintra").exists():
            services.campaign_save(campaign=Campaign(tenant=tenant, name="New itinerary: Lisbon & Sintra", point_of_contact=poc,
                                                     contact_list=contact_list, template=TEMPLATE, rate=1))
        self.stdout.write(f"Campaign demo: list “{contact_list.name}” ({contact_list.accepted} numbers, "
                          f"{contact_list.rejected} refused rows) "
                          "and a draft campaign for Young Adventurers.")
