"""On PostgreSQL with two `manage.py run_worker` processes: every recipient is texted exactly once, counted
at a fake Twilio, also when one worker is killed with SIGKILL in the middle of the dispatch."""
import collections
import csv
import datetime
import io
import json
import os
import signal
import time

import pytest
import requests
from django.utils import timezone

from campaigns import rules
from tests.hub import FakeTwilio
from tests.pg.cluster import Cluster

pytestmark = pytest.mark.pg
RECIPIENTS = 600
# Numbers of several parts of the world: at any hour one of them is inside 08:00-21:00 for a while.
REGIONS = [("+1212555", 4), ("+447400", 6), ("+9198765", 5), ("+8190123", 5), ("+1808555", 4), ("+4915112", 6), ("+5511987", 6)]


def open_region():
    now = timezone.now()
    for prefix, digits in REGIONS:
        zones = rules.number_zones(prefix + "0" * digits)
        if all(rules.window_open(zones, now + datetime.timedelta(minutes=m), datetime.time(8), datetime.time(21)) for m in (0, 15)):
            return prefix, digits
    raise AssertionError("no region inside its window: add one to REGIONS")


SETUP = """
import json
from rest_framework.authtoken.models import Token
from routing import services as rs
from routing.models import CarrierAccount, Country, PointOfContact, Tenant, User
from campaigns import services
from campaigns.models import Campaign, ContactList, ContactListEntry
t = rs.object_save(instance=Tenant(name="Young Adventurers", slug="ya", sms_messaging_enabled=True))
admin = User.objects.create_user(username="tuppence", password="x", tenant=t, role="admin")
acc = rs.object_save(instance=CarrierAccount(tenant=t, provider="twilio", name="tw", account_sid="AC" + "1" * 32, auth_token="tok"))
poc = rs.object_save(instance=PointOfContact(tenant=t, channel="sms", number="+12125550100", country=Country.objects.get(code="US"),
                                             code_type="long", carrier_account=acc))
services.send_rate_set(point_of_contact=poc, rate=RATE)
cl = ContactList.objects.create(tenant=t, name="prospects", columns=["name"], state="ready", accepted=len(NUMBERS))
ContactListEntry.objects.bulk_create([ContactListEntry(contact_list=cl, number=n, fields={"name": "P%d" % i}, line=i + 2)
                                      for i, n in enumerate(NUMBERS)])
c = services.campaign_save(campaign=Campaign(tenant=t, name="Lisbon", point_of_contact=poc, contact_list=cl, template="Hi {name}: Lisbon!"))
print(json.dumps({"campaign": c.pk, "token": Token.objects.create(user=admin).key}))
"""


SECOND = """
import json
from campaigns import services
from campaigns.models import Campaign, ContactList, ContactListEntry
first = Campaign.objects.get()
cl = ContactList.objects.create(tenant=first.tenant, name="more", columns=["name"], state="ready", accepted=len(NUMBERS))
ContactListEntry.objects.bulk_create([ContactListEntry(contact_list=cl, number=n, fields={"name": "Q%d" % i}, line=i + 2)
                                      for i, n in enumerate(NUMBERS)])
c = services.campaign_save(campaign=Campaign(tenant=first.tenant, name="Porto", point_of_contact=first.point_of_contact, contact_list=cl,
                                             template="Porto {name}", rate=20))
print(json.dumps({"campaign": c.pk}))
"""


def results(url, headers):
    """(number, state, sent_at) of every recipient, from the results CSV."""
    rows = list(csv.DictReader(io.StringIO(requests.get(url + "results/", headers=headers, timeout=30).content.decode("utf-8-sig"))))
    return [(r["number"].lstrip("'"), r["state"], datetime.datetime.fromisoformat(r["sent_at"]) if r["sent_at"] else None) for r in rows]


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := fn():
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen in {timeout} s")


def test_two_workers_and_a_kill_9_text_each_recipient_exactly_once():
    prefix, digits = open_region()
    numbers = [f"{prefix}{i:0{digits}d}" for i in range(1, RECIPIENTS + 1)]
    fake = FakeTwilio()
    try:
        with Cluster(processes=1, workers=2, demo=False, name="campaign", env={"CXSMS_TWILIO_API_BASE": fake.url}) as cluster:
            setup = json.loads(cluster.shell(SETUP.replace("RATE", "100").replace("NUMBERS", repr(numbers))).strip().splitlines()[-1])
            api = f"{cluster.urls[0]}/api/v1/campaigns/{setup['campaign']}/"
            headers = {"Authorization": "Token " + setup["token"]}
            assert requests.post(api + "start/", headers=headers, timeout=30).json()["state"] == "running"
            # kill -9 one worker once sending is under way (100 texts/s: about 6 s for all)
            wait_for(lambda: len(fake.sent) >= RECIPIENTS // 5, 60, "the first sends")
            victim = cluster.worker_procs[0]
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            cluster.worker_procs.remove(victim)

            def done():
                body = requests.get(api, headers=headers, timeout=10).json()
                return body["state"] == "completed" and len(fake.sent) >= RECIPIENTS and body

            body = wait_for(done, 120, "the campaign's completion")
            time.sleep(3)  # a late duplicate (a retried batch, an outbox retry) would arrive now
            counts = collections.Counter(m["To"] for m in fake.sent)
            assert set(counts) == set(numbers)
            assert [n for n, k in counts.items() if k > 1] == []
            assert body["progress"]["pending"] == 0 and body["progress"]["sent"] + body["progress"]["delivered"] == RECIPIENTS
            assert all(m["Body"].startswith("Hi P") and m["Body"].endswith("Reply STOP to opt out") for m in fake.sent)

            # A campaign throttled to 20 texts/s keeps its pace, and pause takes effect within a second.
            more = [f"{prefix}{i:0{digits}d}" for i in range(RECIPIENTS + 1, RECIPIENTS + 401)]
            second = json.loads(cluster.shell(SECOND.replace("NUMBERS", repr(more))).strip().splitlines()[-1])
            api2 = f"{cluster.urls[0]}/api/v1/campaigns/{second['campaign']}/"
            assert requests.post(api2 + "start/", headers=headers, timeout=30).json()["state"] == "running"
            wait_for(lambda: len(fake.sent) >= RECIPIENTS + 100, 60, "100 sends of the paced campaign")
            assert requests.post(api2 + "pause/", headers=headers, timeout=30).json()["state"] == "paused"
            paused_at = datetime.datetime.now(datetime.timezone.utc)
            time.sleep(3)
            sent = sorted(at for _, state, at in results(api2, headers) if at)
            assert sent and max(sent) <= paused_at + datetime.timedelta(seconds=1), (max(sent), paused_at)
            # A batch (half a second's worth) is claimed at the start of its slot and its texts share that
            # time: the pace is the texts of every batch but the last over the time from the first to the last.
            seconds = (sent[-1] - sent[0]).total_seconds()
            before_last = sum(1 for at in sent if at < sent[-1])
            assert seconds >= 4 and abs(before_last / seconds - 20) <= 20 * 0.05, (before_last, seconds)
            counts = collections.Counter(m["To"] for m in fake.sent)
            assert [n for n, k in counts.items() if k > 1] == []
            assert requests.post(api2 + "resume/", headers=headers, timeout=30).json()["state"] == "running"
    finally:
        fake.close()
