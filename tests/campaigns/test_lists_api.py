"""Contact lists through the REST API: upload in every supported shape, refusals with lines, appends, download."""
import csv
import io

import pytest

from campaigns.models import ContactListEntry
from routing.hub import optout
from tests import factories as f

from .conftest import API, api_client, csv_file, upload

pytestmark = [pytest.mark.django_db]
GOOD = "phone,first_name,city\n(212) 555-0101,Ann,NYC\n+1 646 555 0102,Bob,\n212-555-0101,Ann again,NYC\n"


def test_upload_normalises_numbers_drops_duplicates_and_keeps_columns(world):
    r = upload(world.api, GOOD)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["rows"], body["accepted"], body["duplicates"], body["rejected"]) == (3, 2, 1, 0)
    assert body["columns"] == ["first_name", "city"]
    entries = world.api.get(API + f"contact-lists/{body['id']}/entries/").json()["results"]
    assert [(e["number"], e["fields"]) for e in entries] == [("+12125550101", {"first_name": "Ann", "city": "NYC"}),
                                                             ("+16465550102", {"first_name": "Bob", "city": ""})]


def test_every_bad_row_is_reported_with_its_line_and_reason(world):
    text = "name;phone\nA;+12125550101\nB;\nC;hello\nD;+442071838750\nE;+12125550\nF;+1 800 555 0100\n\nG;+12125550103\n"
    body = upload(world.api, text).json()
    assert body["accepted"] == 2 and body["rejected"] == 5
    lines = {e["line"]: e["reason"] for e in body["errors"]}
    assert set(lines) == {3, 4, 5, 6, 7}
    assert "empty" in lines[3]
    assert "not a phone number" in lines[4]
    assert "another country" in lines[5]
    assert "not a valid" in lines[6]
    assert "cannot receive texts" in lines[7]  # a toll-free number


def test_encodings_and_delimiters(world):
    text = "phone\tprénom\n2125550101\tZoë\n"
    for encoding, extra in [("utf-8", b""), ("utf-8-sig", b""), ("utf-16", b""), ("cp1252", b"")]:
        r = upload(world.api, text, name=f"enc {encoding}", encoding=encoding)
        assert r.status_code == 201, (encoding, r.content)
        body = r.json()
        assert body["columns"] == ["prénom"], encoding
        entry = world.api.get(API + f"contact-lists/{body['id']}/entries/").json()["results"][0]
        assert entry["fields"] == {"prénom": "Zoë"}, encoding


def test_phone_column_chosen_by_the_uploader(world):
    r = upload(world.api, "Mobile,Name\n2125550101,Ann\n", phone_column="mobile")
    assert r.status_code == 201 and r.json()["accepted"] == 1
    missing = upload(world.api, "Mobile,Name\n2125550101,Ann\n", name="other")
    assert missing.status_code == 400
    assert "no column “phone”" in missing.json()["phone_column"][0]
    assert world.api.get(API + "contact-lists/").json()["count"] == 1  # nothing kept from the refused file


def test_country_default_comes_from_the_point_of_contact(world):
    uk = f.sms_poc(world.tenant, "+447400123456", country="GB")
    body = upload(world.api, "phone\n07400 123457\n2125550101\n", point_of_contact=uk.pk).json()
    assert body["country"] == "GB" and body["accepted"] == 1 and body["rejected"] == 1
    assert ContactListEntry.objects.get(contact_list_id=body["id"]).number == "+447400123457"


def test_bad_uploads_are_400_not_500(world):
    assert world.api.post(API + "contact-lists/", {"name": "x"}, format="multipart").status_code == 400
    assert upload(world.api, "").status_code == 400
    assert upload(world.api, b"\x00\xff\xfe garbage").status_code == 400
    r = upload(world.api, "phone,a,a\n2125550101,1,2\n")
    assert r.status_code == 400 and "same name" in r.json()["file"][0]


def test_append_counts_numbers_already_in_the_list_as_duplicates(world):
    first = upload(world.api, GOOD).json()
    r = world.api.post(API + f"contact-lists/{first['id']}/append/",
                       {"file": csv_file("phone,first_name,city\n2125550101,A,B\n2125550104,C,D\n")},
                       format="multipart")
    assert r.status_code == 200, r.content
    assert (r.json()["accepted"], r.json()["duplicates"], r.json()["rows"]) == (3, 2, 5)
    wrong = world.api.post(API + f"contact-lists/{first['id']}/append/", {"file": csv_file("phone,x\n2125550105,1\n")}, format="multipart")
    assert wrong.status_code == 400


def test_opted_out_numbers_stay_in_the_list_and_are_marked(world):
    optout.contact_set_opt_out(tenant_id=world.tenant.pk, number="+16465550102", opted_out=True)
    body = upload(world.api, GOOD).json()
    assert body["accepted"] == 2
    entries = world.api.get(API + f"contact-lists/{body['id']}/entries/?opted_out=true").json()["results"]
    assert [e["number"] for e in entries] == ["+16465550102"]


def test_download_escapes_formula_cells(world):
    body = upload(world.api, "phone,note\n2125550101,=HYPERLINK(\"http://x\")\n2125550102,@SUM(A1)\n2125550103,plain\n").json()
    r = world.api.get(API + f"contact-lists/{body['id']}/download/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["phone", "note", "opted_out"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "plain"]
    assert rows[1][0] == "'+12125550101"


def test_other_tenants_list_is_404_and_agents_cannot_upload(world):
    body = upload(world.api, GOOD).json()
    other = f.tenant()
    other_api = api_client(f.admin(other))
    assert other_api.get(API + f"contact-lists/{body['id']}/").status_code == 404
    assert other_api.get(API + f"contact-lists/{body['id']}/entries/").status_code == 404
    agent_api = api_client(f.agent(world.tenant))
    assert upload(agent_api, GOOD).status_code == 403
