"""Large uploads: stored by the request, imported by a job on the campaigns queue, their progress readable while
they import (console JSON and REST), a lost job picked up by the sweep; through HTTP and the task engine."""
import datetime

import pytest
from django.utils import timezone

from campaigns.models import ContactList, ContactListEntry, UploadChunk
from routing import jobs

from .conftest import API, csv_file, upload

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def small_inline(settings):
    settings.CXSMS_CAMPAIGN_IMPORT_INLINE_BYTES = 100  # every file below is "large": it goes through the job


def big_csv(rows, bad_every=50):
    lines = ["phone,first_name"]
    for i in range(rows):
        lines.append("not a number,X" if i % bad_every == 7 else f"+1 212 {2000000 + i:07d},Name{i}")
    lines.append(f"+1 212 {2000000:07d},Again")  # a duplicate of the first row
    return "\n".join(lines) + "\n"


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_a_large_rest_upload_is_imported_by_the_job_and_its_file_is_dropped(world, small_inline):
    r = upload(world.api, big_csv(5000))
    assert r.status_code == 201
    body = r.json()
    # Jobs run when enqueued here: the list is imported by the time the response is built.
    assert (body["state"], body["rows"], body["accepted"], body["duplicates"], body["rejected"]) == ("ready", 5001, 4900, 1, 100)
    assert body["errors"][0] == {"line": 9, "reason": "“not a number” is not a phone number."}
    assert ContactListEntry.objects.filter(contact_list_id=body["id"]).count() == 4900
    assert not UploadChunk.objects.exists()
    shown = world.api.get(API + f"contact-lists/{body['id']}/").json()
    assert (shown["state"], shown["percent"], shown["file_done"]) == ("ready", 100, shown["file_size"])
    assert shown["file_size"] == len(big_csv(5000).encode())


def test_the_console_upload_answers_its_script_with_json_and_the_progress_lists_refusals_by_line(admin_client, small_inline):
    r = admin_client.post("/console/contact-lists/", {"name": "Big", "phone_column": "phone", "file": csv_file(big_csv(3000))},
                          HTTP_ACCEPT="application/json")
    assert r.status_code == 201
    d = r.json()
    assert d["url"] == f"/console/contact-lists/{d['id']}/" and d["progress_url"] == f"/console/contact-lists/{d['id']}/progress.json"
    p = admin_client.get(d["progress_url"]).json()
    assert (p["done"], p["state"], p["percent"], p["rows"], p["accepted"], p["duplicates"], p["rejected"]) == (True, "ready", 100, 3001,
                                                                                                               2940, 1, 60)
    assert [e["line"] for e in p["errors"][:3]] == [9, 59, 109]
    # The list's page no longer shows the progress panel's polling once imported.
    assert b"data-reload-when-done" not in admin_client.get(d["url"]).content


def test_a_bad_header_is_refused_at_upload_and_nothing_is_stored(admin_client, world, small_inline):
    r = admin_client.post("/console/contact-lists/", {"name": "Bad", "phone_column": "mobile", "file": csv_file(big_csv(100))},
                          HTTP_ACCEPT="application/json")
    assert r.status_code == 400
    assert r.json() == {"errors": ["The header row has no column “mobile” (its columns: phone, first_name)."]}
    assert not ContactList.objects.exists() and not UploadChunk.objects.exists()
    r = upload(world.api, big_csv(100), phone_column="mobile")
    assert r.status_code == 400 and "no column “mobile”" in r.json()["phone_column"][0]
    assert not ContactList.objects.exists() and not UploadChunk.objects.exists()


def test_a_list_still_importing_shows_its_progress_and_refuses_an_append(admin_client, world, small_inline):
    jobs.run_immediately(False)  # the job waits in its queue, as on a busy worker
    try:
        r = upload(world.api, big_csv(2000))
    finally:
        jobs.run_immediately(True)
    d = r.json()
    assert r.status_code == 201 and d["state"] == "importing" and d["rows"] == 0
    p = admin_client.get(f"/console/contact-lists/{d['id']}/progress.json").json()
    assert (p["done"], p["percent"], p["rows"], p["errors"]) == (False, 0, 0, [])
    page = admin_client.get(f"/console/contact-lists/{d['id']}/").content.decode()
    assert "data-reload-when-done" in page and "Append rows" not in page
    r = world.api.post(API + f"contact-lists/{d['id']}/append/", {"file": csv_file("phone,first_name\n2125550101,Ann\n")},
                       format="multipart")
    assert r.status_code == 400 and r.json() == {"file": ["The list is still importing: append when it is ready."]}
    r = world.api.post(API + "campaigns/", {"name": "Too early", "point_of_contact": world.poc.pk, "contact_list": d["id"],
                                            "template": "Hi"}, format="json")
    assert r.status_code == 400 and "still importing" in r.json()["contact_list"][0]


def test_a_lost_import_job_is_picked_up_by_the_sweep(world, small_inline):
    jobs.run_immediately(False)  # the job is lost (its worker was killed before running it)
    try:
        list_id = upload(world.api, big_csv(1000)).json()["id"]
    finally:
        jobs.run_immediately(True)
    assert jobs.sweep(timezone.now())["campaigns.import_sweep"] == 0  # too early to call it lost
    assert ContactList.objects.get(pk=list_id).state == "importing"
    assert jobs.sweep(timezone.now() + datetime.timedelta(seconds=31))["campaigns.import_sweep"] == 1
    cl = ContactList.objects.get(pk=list_id)
    assert (cl.state, cl.rows, cl.accepted, cl.rejected) == ("ready", 1001, 980, 20)
    assert not UploadChunk.objects.exists()


def test_a_large_append_goes_through_the_job_too(world, small_inline):
    list_id = upload(world.api, "phone,first_name\n+1 212 200 0000,Ann\n").json()["id"]
    r = world.api.post(API + f"contact-lists/{list_id}/append/", {"file": csv_file(big_csv(1000))}, format="multipart")
    assert r.status_code == 200
    d = r.json()
    assert (d["state"], d["rows"], d["accepted"], d["duplicates"], d["rejected"]) == ("ready", 1002, 980, 2, 20)


def test_progress_is_the_callers_own(client, world, small_inline):
    from tests import factories as f

    list_id = upload(world.api, big_csv(100)).json()["id"]
    other = f.tenant()
    client.force_login(f.admin(other))
    assert client.get(f"/console/contact-lists/{list_id}/progress.json").status_code == 404
