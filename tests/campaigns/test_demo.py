"""The demo: Young Adventurers' prospects (bad rows, an opted-out number, several time zones) and a draft campaign."""
import pytest
from django.core.management import call_command

from campaigns import rules
from campaigns.models import Campaign, ContactList
from campaigns.selectors import entries_of

pytestmark = [pytest.mark.django_db]


def test_demo_list_and_draft_campaign_load_once():
    call_command("load_demo")
    call_command("load_demo")  # idempotent
    contact_list = ContactList.objects.get(name="Prospects (trade fair)")
    assert contact_list.accepted == 32 and contact_list.duplicates == 1 and contact_list.rejected == 4
    assert {e["line"] for e in contact_list.errors} == {10, 15, 21, 26}
    assert [e.number for e in entries_of(contact_list) if e.opted_out] == ["+13125550103"]
    assert len({rules.number_zones(e.number) for e in contact_list.entries.all()}) >= 5
    campaign = Campaign.objects.get(name="New itinerary: Lisbon & Sintra")
    assert campaign.state == "draft" and campaign.contact_list == contact_list
