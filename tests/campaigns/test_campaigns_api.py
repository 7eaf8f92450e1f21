"""Campaigns through the REST API and the task engine (jobs run when enqueued; the sweep is fired with a
chosen moment, so send windows are tested at known local times)."""
import datetime

import pytest

from campaigns import selectors, services
from campaigns.models import Campaign
from routing import jobs
from routing.choices import Direction, RoomState
from routing.hub import optout
from routing.models import Message, Room
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

from .conftest import API, upload

pytestmark = [pytest.mark.django_db]
UTC = datetime.UTC
# A Tuesday in January: New York is UTC-5, Honolulu UTC-10, Anchorage UTC-9 and Adak UTC-10.
DAY = datetime.datetime(2030, 1, 15, tzinfo=UTC)
NY, HONOLULU, ALASKA = "+12125550101", "+18085550102", "+19075550103"  # +1 907: Anchorage and Adak both


@pytest.fixture
def line(world):
    sms = f.skill(world.tenant, "SMS")
    world.poc.skill = sms
    world.poc.save()
    world.agent = f.agent(world.tenant, username="tuppence", skills=[sms], state="available")
    services.send_rate_set(point_of_contact=world.poc, rate=200)  # fast tests; the throttle has its own
    return world


def make_list(world, rows, columns="phone,first_name"):
    r = upload(world.api, columns + "\n" + "\n".join(rows) + "\n")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def make_campaign(world, list_id, template="Hi {first_name|there}, Lisbon in May!", start_at=DAY - datetime.timedelta(hours=1), **extra):
    data = {"name": "Lisbon announcement", "point_of_contact": world.poc.pk, "contact_list": list_id, "template": template,
            "start_at": start_at.isoformat() if start_at else None, **extra}
    r = world.api.post(API + "campaigns/", data, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def act(world, campaign_id, action):
    return world.api.post(API + f"campaigns/{campaign_id}/{action}/")


def recipients(world, campaign_id, **params):
    return {r["number"]: r for r in world.api.get(API + f"campaigns/{campaign_id}/recipients/", params).json()["results"]}


def test_an_unknown_merge_field_is_refused_with_its_name(line):
    list_id = make_list(line, [f"{NY},Ann"])
    r = line.api.post(API + "campaigns/", {"name": "x", "point_of_contact": line.poc.pk, "contact_list": list_id,
                                           "template": "Hi {frist_name}"}, format="json")
    assert r.status_code == 400
    assert "frist_name" in r.json()["template"][0] and "first_name" in r.json()["template"][0]


def test_a_window_wider_than_the_quiet_hours_is_refused(line):
    list_id = make_list(line, [f"{NY},Ann"])
    r = line.api.post(API + "campaigns/", {"name": "x", "point_of_contact": line.poc.pk, "contact_list": list_id, "template": "Hi",
                                           "window_start": "07:00"}, format="json")
    assert r.status_code == 400 and "08:00 and 21:00" in r.json()["window_start"][0]
    narrower = make_campaign(line, list_id, window_start="09:30", window_end="17:00")
    assert (narrower["window_start"], narrower["window_end"]) == ("09:30", "17:00")


def test_preview_renders_fallbacks_and_counts_segments(line):
    list_id = make_list(line, [f"{NY},Ann", f"{HONOLULU},"])
    r = line.api.post(API + "campaigns/preview/", {"contact_list": list_id, "template": "Hi {first_name|there} 🌍", "append_opt_out": True},
                      format="json")
    texts = r.json()["texts"]
    assert [t["body"] for t in texts] == ["Hi Ann 🌍\nReply STOP to opt out", "Hi there 🌍\nReply STOP to opt out"]
    assert texts[0]["encoding"] == "ucs2" and texts[0]["segments"] == 1
    long = line.api.post(API + "campaigns/preview/", {"contact_list": list_id, "template": "x" * 161, "append_opt_out": False},
                         format="json")
    assert (long.json()["texts"][0]["encoding"], long.json()["texts"][0]["segments"]) == ("gsm7", 2)
    bad = line.api.post(API + "campaigns/preview/", {"contact_list": list_id, "template": "{nope}"}, format="json")
    assert bad.status_code == 400 and "nope" in bad.json()["template"][0]


def test_each_recipient_is_texted_once_inside_their_own_window(line):
    list_id = make_list(line, [f"{NY},Ann", f"{HONOLULU},Bob", f"{ALASKA},Cy"])
    c = make_campaign(line, list_id)
    assert act(line, c["id"], "start").json()["state"] == "scheduled"
    # 17:30 UTC: New York 12:30 (open), Honolulu 07:30 (closed), Anchorage 08:30 but Adak 07:30 (closed in one of its zones)
    jobs.sweep(DAY.replace(hour=17, minute=30))
    got = recipients(line, c["id"])
    assert got[NY]["state"] in ("sent", "delivered") and got[HONOLULU]["state"] == "pending" and got[ALASKA]["state"] == "pending"
    progress = line.api.get(API + f"campaigns/{c['id']}/").json()["progress"]
    assert progress["state"] == "running" and progress["pending"] + progress["waiting_window"] == 2
    assert progress["sent"] + progress["delivered"] == 1
    # counted at that moment, both that wait are outside their window
    at_1730 = selectors.progress(Campaign.objects.get(pk=c["id"]), now=DAY.replace(hour=17, minute=30))
    assert (at_1730["pending"], at_1730["waiting_window"]) == (0, 2)
    # 18:30 UTC: Honolulu 08:30, Adak 08:30, Anchorage 09:30: everyone's window is open
    jobs.sweep(DAY.replace(hour=18, minute=30))
    jobs.sweep(DAY.replace(hour=19))  # a second sweep sends nothing twice
    got = recipients(line, c["id"])
    assert all(r["state"] in ("sent", "delivered") for r in got.values())
    bodies = sorted(Message.objects.filter(direction=Direction.OUTBOUND, point_of_contact=line.poc).values_list("contact_number", "body"))
    assert bodies == [(NY, "Hi Ann, Lisbon in May!\nReply STOP to opt out"), (HONOLULU, "Hi Bob, Lisbon in May!\nReply STOP to opt out"),
                      (ALASKA, "Hi Cy, Lisbon in May!\nReply STOP to opt out")]
    assert line.api.get(API + f"campaigns/{c['id']}/").json()["state"] == "completed"


def test_opted_out_numbers_are_skipped_also_when_they_opt_out_mid_campaign(line):
    optout.contact_set_opt_out(tenant_id=line.tenant.pk, number=NY, opted_out=True)
    list_id = make_list(line, [f"{NY},Ann", f"{HONOLULU},Bob", "+12125550105,Dee"])
    c = make_campaign(line, list_id)
    act(line, c["id"], "start")
    jobs.sweep(DAY.replace(hour=17, minute=30))  # New York's window only
    optout.contact_set_opt_out(tenant_id=line.tenant.pk, number=HONOLULU, opted_out=True)  # STOP while Honolulu waits
    jobs.sweep(DAY.replace(hour=18, minute=30))
    got = recipients(line, c["id"])
    assert got[NY]["state"] == got[HONOLULU]["state"] == "skipped_opted_out" and "opted out" in got[NY]["error"]
    assert got["+12125550105"]["state"] in ("sent", "delivered")
    assert not Message.objects.filter(contact_number__in=[NY, HONOLULU]).exists()
    progress = line.api.get(API + f"campaigns/{c['id']}/").json()["progress"]
    assert progress["skipped_opted_out"] == 2 and progress["pending"] == 0
    assert list(recipients(line, c["id"], state="skipped_opted_out")) == [NY, HONOLULU]


def test_a_reply_reaches_an_agent_with_the_campaign_text_in_the_thread(line, client):
    list_id = make_list(line, [f"{NY},Ann"])
    c = make_campaign(line, list_id)
    act(line, c["id"], "start")
    jobs.sweep(DAY.replace(hour=17, minute=30))
    post_inbound(client, line.poc, NY, "Tell me more about Lisbon")
    room = Room.objects.get(contact_number=NY)
    assert room.state == RoomState.OFFERED and room.agent == line.agent
    r = client_for(line.agent).get(f"/api/v1/rooms/{room.pk}/messages/")
    assert [(m["direction"], m["body"]) for m in r.json()["results"]] == [
        ("outbound", "Hi Ann, Lisbon in May!\nReply STOP to opt out"), ("inbound", "Tell me more about Lisbon")]


def test_pause_resume_cancel_and_what_each_state_allows(line):
    list_id = make_list(line, [f"{NY},Ann", f"{HONOLULU},Bob"])
    c = make_campaign(line, list_id)
    assert act(line, c["id"], "resume").status_code == 409  # a draft is not paused
    act(line, c["id"], "start")
    assert act(line, c["id"], "pause").json()["state"] == "paused"
    jobs.sweep(DAY.replace(hour=18, minute=30))  # paused: nothing goes out
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert line.api.patch(API + f"campaigns/{c['id']}/", {"template": "changed"}, format="json").status_code == 400
    assert act(line, c["id"], "resume").json()["state"] == "scheduled"  # its start is still to come
    r = act(line, c["id"], "cancel")
    assert r.json()["state"] == "cancelled"
    jobs.sweep(DAY.replace(hour=18, minute=30))
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert {r["state"] for r in recipients(line, c["id"]).values()} == {"cancelled"}
    assert act(line, c["id"], "start").status_code == 409
    assert line.api.delete(API + f"contact-lists/{list_id}/").status_code == 409  # a campaign uses it


def test_supervisors_read_agents_do_not_and_other_tenants_see_nothing(line):
    list_id = make_list(line, [f"{NY},Ann"])
    c = make_campaign(line, list_id)
    sup = client_for(f.supervisor(line.tenant)) if hasattr(f, "supervisor") else client_for(f.user(line.tenant, role="supervisor"))
    assert sup.get(API + f"campaigns/{c['id']}/").status_code == 200
    assert sup.post(API + f"campaigns/{c['id']}/start/").status_code == 403
    assert client_for(line.agent).get(API + "campaigns/").status_code == 403
    other = client_for(f.admin(f.tenant()))
    assert other.get(API + f"campaigns/{c['id']}/").status_code == 404
    assert other.post(API + f"campaigns/{c['id']}/start/").status_code == 404
    r = other.post(API + "campaigns/", {"name": "x", "point_of_contact": line.poc.pk, "contact_list": list_id, "template": "Hi"},
                   format="json")
    assert r.status_code == 400 and set(r.json()) == {"point_of_contact", "contact_list"}



def test_send_rates_per_point_of_contact(world):
    short = f.sms_poc(world.tenant, "12345", code_type="short")
    rates = {r["number"]: r for r in world.api.get(API + "send-rates/").json()}
    assert (rates["+12125550199"]["effective_rate"], rates["12345"]["default_rate"]) == (1.0, 100.0)
    r = world.api.put(API + f"send-rates/{world.poc.pk}/", {"rate": 2.5}, format="json")
    assert r.status_code == 200 and (r.json()["rate"], r.json()["effective_rate"]) == (2.5, 2.5)
    assert world.api.put(API + f"send-rates/{world.poc.pk}/", {"rate": -1}, format="json").status_code == 400
    assert world.api.put(API + f"send-rates/{world.poc.pk}/", {"rate": None}, format="json").json()["effective_rate"] == 1.0
    assert client_for(f.admin(f.tenant())).put(API + f"send-rates/{short.pk}/", {"rate": 5}, format="json").status_code == 404
