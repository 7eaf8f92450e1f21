"""The console pages through HTTP: upload with refusals, append, download, the campaign form, preview,
confirmations that count what is still to go, progress JSON; administrators only, their own tenant only."""
import datetime

import pytest

from campaigns.models import ContactList
from routing import jobs
from tests import factories as f

from .conftest import csv_file

pytestmark = [pytest.mark.django_db]
DAY = datetime.datetime(2030, 1, 15, 17, 30, tzinfo=datetime.UTC)


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def upload(client, text, name="Prospects"):
    return client.post("/console/contact-lists/", {"name": name, "phone_column": "phone", "file": csv_file(text)})


def test_upload_shows_counts_and_every_refused_row(admin_client):
    r = upload(admin_client, "phone,first_name\n2125550101,Ann\nnope,Bob\n2125550101,Ann\n", name="Lisbon")
    assert r.status_code == 302
    page = admin_client.get(r["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Lisbon" in html
    assert "“nope” is not a phone number." in html and "+12125550101" in html
    lists = admin_client.get("/console/contact-lists/").content.decode()
    assert "Lisbon" in lists


def test_a_file_without_the_phone_column_is_refused_next_to_the_field(admin_client):
    r = upload(admin_client, "mobile,name\n2125550101,Ann\n")
    assert r.status_code == 400
    assert "The header row has no column “phone”" in r.content.decode()
    assert "Prospects" not in admin_client.get("/console/contact-lists/").content.decode().split("</form>")[-1]


def test_campaign_form_preview_confirmation_and_progress(admin_client, world):
    list_url = upload(admin_client, "phone,first_name\n2125550101,Ann\n2125550102,\n")["Location"]
    list_id = int(list_url.rstrip("/").rsplit("/", 1)[1])
    base = {"name": "Lisbon", "point_of_contact": world.poc.pk, "contact_list": list_id, "append_opt_out": "on",
            "window_start": "08:00", "window_end": "21:00", "start_at": "2030-01-15T16:30"}
    refused = admin_client.post("/console/campaigns/new/", {**base, "template": "Hi {frist_name}"})
    assert refused.status_code == 400 and "The list has no column frist_name" in refused.content.decode()
    preview = admin_client.post("/console/campaigns/preview.json", {"contact_list": list_id, "template": "Hi {first_name|there}"}).json()
    assert [t["body"] for t in preview["texts"]] == ["Hi Ann", "Hi there"] and preview["texts"][0]["segments"] == 1
    saved = admin_client.post("/console/campaigns/new/", {**base, "template": "Hi {first_name|there}"})
    assert saved.status_code == 302
    detail = saved["Location"]
    confirm = admin_client.get(detail + "start/").content.decode()
    assert "This texts 2 recipients" in confirm
    assert admin_client.post(detail + "start/").status_code == 302
    assert admin_client.get(detail + "progress.json").json()["state"] == "scheduled"
    assert "2 texts still to go will never be sent" in admin_client.get(detail + "cancel/").content.decode()
    jobs.sweep(DAY)
    progress = admin_client.get(detail + "progress.json").json()
    assert progress["state"] == "completed" and progress["to_go"] == 0 and progress["sent"] + progress["delivered"] == 2
    page = admin_client.get(detail + "?state=delivered").content.decode()
    assert "+12125550101" in page
    refused_again = admin_client.post(detail + "start/")
    assert refused_again.status_code == 409 and "A completed campaign cannot be started." in refused_again.content.decode()
    csv = b"".join(admin_client.get(detail + "results.csv").streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[0] == "number,state,sent_at,error" and "'+12125550102" in csv


def test_only_administrators_of_the_tenant(client, world):
    client.force_login(f.agent(world.tenant))
    assert client.get("/console/campaigns/").status_code == 403
    client.force_login(f.admin(f.tenant()))
    assert upload(client, "phone\n2125550101\n", name="Theirs").status_code == 302
    client.force_login(world.admin)
    assert ">Theirs</a>" not in client.get("/console/contact-lists/").content.decode()
    foreign = ContactList.objects.exclude(tenant=world.tenant).get()
    assert client.get(f"/console/contact-lists/{foreign.pk}/").status_code == 404
    assert client.get(f"/console/contact-lists/{foreign.pk}/download.csv").status_code == 404
    assert client.post("/console/campaigns/preview.json", {"contact_list": foreign.pk, "template": "x"}).json()["texts"] == []
