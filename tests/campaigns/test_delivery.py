"""Delivery through the outbox and Twilio's protocol: the recipients' states follow the texts' status callbacks
(never backwards); a carrier failure is retried without a second SMS."""
import datetime

import pytest

from campaigns import services
from routing import jobs
from routing.models import Message
from tests import factories as f
from tests.hub import FakeTwilio, post_status

from .conftest import API, api_client, upload

pytestmark = [pytest.mark.django_db]
SID = "AC" + "4" * 32
DAY = datetime.datetime(2030, 1, 15, 17, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture
def fake(settings):
    fake = FakeTwilio()
    settings.CXSMS_TWILIO_API_BASE = fake.url
    settings.CXSMS_PUBLIC_URL = "https://cxsms.example.com"
    yield fake
    fake.close()


def test_status_callbacks_move_recipients_forward_only(client, fake):
    t = f.tenant()
    poc = f.sms_poc(t, "+12125550170", carrier_account=f.carrier(t, provider="twilio", account_sid=SID, auth_token="tok"))
    api = api_client(f.admin(t))
    services.send_rate_set(point_of_contact=poc, rate=100)
    list_id = upload(api, "phone,name\n2125550101,Ann\n2125550102,Bob\n").json()["id"]
    data = {"name": "Lisbon", "point_of_contact": poc.pk, "contact_list": list_id, "template": "Hi {name}", "append_opt_out": False,
            "start_at": (DAY - datetime.timedelta(hours=1)).isoformat()}
    c = api.post(API + "campaigns/", data, format="json").json()
    api.post(API + f"campaigns/{c['id']}/start/")
    fake.script = ["500"]  # the first carrier call fails: the outbox retries it, one SMS in the end
    jobs.sweep(DAY)
    jobs.sweep(DAY + datetime.timedelta(minutes=5))  # the outbox's retry is due
    assert sorted(m["To"] for m in fake.sent) == ["+12125550101", "+12125550102"]
    ann = Message.objects.get(contact_number="+12125550101")
    bob = Message.objects.get(contact_number="+12125550102")
    assert post_status(client, poc, ann.carrier_sid, "delivered").status_code in (200, 204)
    assert post_status(client, poc, bob.carrier_sid, "undelivered", error_code="30003").status_code in (200, 204)
    post_status(client, poc, ann.carrier_sid, "sent")  # late and out of order: ignored
    states = {r["number"]: r["state"] for r in api.get(API + f"campaigns/{c['id']}/recipients/").json()["results"]}
    assert states == {"+12125550101": "delivered", "+12125550102": "undelivered"}
    progress = api.get(API + f"campaigns/{c['id']}/").json()["progress"]
    assert (progress["delivered"], progress["failed"]) == (1, 1)
    assert list(api.get(API + f"campaigns/{c['id']}/recipients/",
                        {"state": "undelivered"}).json()["results"][0].values())[1] == "+12125550102"
