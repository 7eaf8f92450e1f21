"""Campaigns in the contact's erasure (REST contacts/erase/) and in the report pages' Campaigns section."""
import csv
import datetime
import io

import pytest
from django.utils import timezone

from campaigns.models import Campaign, ContactListEntry, Recipient
from routing import jobs

from .conftest import API, upload

pytestmark = [pytest.mark.django_db]
NUMBER = "+12125550101"


@pytest.fixture
def sent_campaign(world):
    list_id = upload(world.api, f"phone,first_name\n{NUMBER},Ann\n+12125550102,Bob\n").json()["id"]
    day = datetime.datetime(2030, 1, 15, 17, 30, tzinfo=datetime.timezone.utc)
    c = world.api.post(API + "campaigns/", {"name": "Lisbon", "point_of_contact": world.poc.pk, "contact_list": list_id,
                                            "template": "Hi {first_name}",
                                            "start_at": (day - datetime.timedelta(hours=1)).isoformat()}, format="json").json()
    world.api.post(API + f"campaigns/{c['id']}/start/")
    jobs.sweep(day)
    return c


def test_erasing_a_contact_removes_them_from_lists_and_campaigns(world, sent_campaign):
    r = world.api.post(API + "contacts/erase/", {"number": "(212) 555-0101"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["erased"]["campaign_list_entries"] == 1 and r.json()["erased"]["campaign_recipients"] == 1
    assert not ContactListEntry.objects.filter(number=NUMBER).exists() and not Recipient.objects.filter(number=NUMBER).exists()
    assert not ContactListEntry.objects.filter(fields__first_name="Ann").exists()
    assert ContactListEntry.objects.count() == 2 and Recipient.objects.count() == 2  # the counts stay


def test_the_reports_campaigns_section(client, world, sent_campaign):
    Campaign.objects.filter(pk=sent_campaign["id"]).update(started_at=timezone.now())  # started today, for the default period
    client.force_login(world.admin)
    r = client.get("/console/reports/campaigns.csv")
    assert r.status_code == 200
    text = (b"".join(r.streaming_content) if r.streaming else r.content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["Campaign"], row["Recipients"], row["Delivered"]) for row in rows] == [("Lisbon", "2", "2")]
