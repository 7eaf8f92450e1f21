"""Pages and settings through HTTP: where a Digital agent lands, who may see the inbox, the console's
queues and filters with "try it", R2 and R5 for a Digital tenant."""
import pytest
from digital.models import Case, Filter, Queue

from tests import factories as f
from tests.digital.world import digital_world
from tests.hub import post_inbound

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=f.PASSWORD)
    return client


def test_a_digital_agent_lands_in_the_inbox_not_the_acd_workspace(client):
    w = digital_world()
    c = login(client, w.tommy)
    r = c.get("/")
    assert r.status_code == 302 and r["Location"] == "/inbox/"
    assert c.get("/agent/")["Location"] == "/inbox/"
    page = c.get("/inbox/")
    assert page.status_code == 200 and b'id="inbox-config"' in page.content and b"Give me more" in page.content


def test_an_acd_agent_keeps_the_workspace_and_cannot_open_the_inbox(client):
    t = f.tenant()
    agent = f.agent(t)
    c = login(client, agent)
    assert c.get("/")["Location"] == "/agent/"
    r = c.get("/inbox/")
    assert r.status_code == 403 and b"agent workspace" in r.content


def test_supervisor_sees_the_inbox_with_queues_and_agents_overview(client):
    w = digital_world(case_limit=1)
    for i in range(3):
        post_inbound(client, w.poc, f"+1212555300{i}", "hello")
    c = login(client, w.supervisor)
    assert b'data-testid="overview"' in c.get("/inbox/").content
    data = c.get("/api/v1/digital/cases/overview/").json()
    general = next(q for q in data["queues"] if q["name"] == "General")
    assert general["waiting"] == 1 and general["oldest_seconds"] is not None
    assert {a["username"]: (a["load"], a["limit"]) for a in data["agents"]} == {w.tommy.username: (1, 1), w.ann.username: (1, 1)}
    assert data["states"] == {"new": 3}
    agent = login(client, w.tommy)
    assert agent.get("/api/v1/digital/cases/overview/").status_code == 403


def test_console_queues_and_filters_and_try_it(client):
    w = digital_world()
    c = login(client, w.admin)
    page = c.get("/console/digital/queues/")
    assert page.status_code == 200 and b"Prospects" in page.content and b"fallback" in page.content
    r = c.post("/console/digital/queues/add/", {"name": "VIP", "priority": "1", "agents": [w.tommy.id], "is_fallback": "on"})
    assert r.status_code == 200 and b"fallback already" in r.content  # one fallback per tenant
    r = c.post("/console/digital/queues/add/", {"name": "VIP", "priority": "1", "agents": [w.tommy.id]})
    assert r.status_code == 302
    vip = Queue.objects.get(name="VIP")
    assert list(vip.agents.all()) == [w.tommy]
    r = c.post("/console/digital/filters/add/", {"name": "Bad", "queue": vip.id, "position": "5", "pattern": "(a*)*b{1000}{1000}"})
    assert r.status_code == 200 and not Filter.objects.filter(name="Bad").exists()
    r = c.post("/console/digital/filters/add/", {"name": "Order numbers", "queue": vip.id, "position": "5", "pattern": r"\bORD-\d{6}\b"})
    assert r.status_code == 302
    r = c.get("/console/digital/filters/try/", {"body": "Where is ORD-123456?"})
    assert r.status_code == 200
    text = r.content.decode()
    assert "Order numbers" in text and "matches the regular expression" in text and "<strong>VIP</strong>" in text
    r = c.get("/console/digital/filters/try/", {"body": "just saying hi"})
    text = r.content.decode()
    assert "does not match the regular expression" in text and "has none of the keywords #ADVENTUREME" in text
    assert "no filter matched: the fallback queue" in text and "<strong>General</strong>" in text
    api = c.post("/api/v1/digital/filters/try/", {"body": "I want #adventureme"}, content_type="application/json").json()
    assert api["queue"] == "Prospects" and [ch["matched"] for ch in api["checks"]] == [False, True]


def test_filter_on_tags_and_business_hours(client):
    w = digital_world()
    c = login(client, w.admin)
    c.post("/api/v1/digital/contacts/", {"number": "+12125553101", "tags": "vip"}, content_type="application/json")
    r = c.post("/api/v1/digital/filters/", {"queue": w.general.id, "position": 1, "name": "VIP by day", "tags": "VIP",
                                            "hours_start": "09:00", "hours_end": "17:00"}, content_type="application/json")
    assert r.status_code == 201, r.content
    tenant_noon = "2026-12-01T12:00:00-05:00"  # the tenant is in America/New_York
    tried = c.post("/api/v1/digital/filters/try/", {"body": "hi", "contact_number": "+12125553101", "at": tenant_noon},
                   content_type="application/json").json()
    assert tried["checks"][0]["matched"] and "contact is tagged vip" in tried["checks"][0]["reasons"][0].lower()
    night = c.post("/api/v1/digital/filters/try/", {"body": "hi", "contact_number": "+12125553101", "at": "2026-12-01T23:00:00-05:00"},
                   content_type="application/json").json()
    assert not night["checks"][0]["matched"] and "outside business hours" in night["checks"][0]["reasons"][1]
    r = c.post("/api/v1/digital/filters/", {"queue": w.general.id, "hours_start": "09:00"}, content_type="application/json")
    assert r.status_code == 400


def test_queue_api_roles_and_one_fallback(client):
    w = digital_world()
    c = login(client, w.admin)
    r = c.post("/api/v1/digital/queues/", {"name": "Other", "priority": 3, "is_fallback": True}, content_type="application/json")
    assert r.status_code == 400 and "fallback" in str(r.json())
    agent = login(client, w.tommy)
    assert agent.get("/api/v1/digital/queues/").status_code == 200
    assert agent.post("/api/v1/digital/queues/", {"name": "Mine", "priority": 3}, content_type="application/json").status_code == 403
    other = digital_world()
    c = login(client, w.admin)
    r = c.post("/api/v1/digital/queues/", {"name": "X", "priority": 3, "agents": [other.tommy.id]}, content_type="application/json")
    assert r.status_code == 400


def test_switching_delivery_is_refused_while_cases_are_open(client):
    w = digital_world()
    post_inbound(client, w.poc, "+12125553201", "hello")
    op = f.operator()
    c = login(client, op)
    r = c.patch(f"/api/v1/tenants/{w.tenant.id}/", {"sms_delivery": "acd"}, content_type="application/json")
    assert r.status_code == 400 and "1 conversation is open" in str(r.json())
    case = Case.objects.get()
    r = login(client, case.agent).post(f"/api/v1/digital/cases/{case.id}/state/", {"state": "closed"}, content_type="application/json")
    assert r.status_code == 200
    c = login(client, op)
    assert c.patch(f"/api/v1/tenants/{w.tenant.id}/", {"sms_delivery": "acd"}, content_type="application/json").status_code == 200


def test_a_digital_tenant_refuses_a_toll_free_number(client):
    w = digital_world()
    c = login(client, w.admin)
    r = c.post("/api/v1/points-of-contact/", {"channel": "sms", "number": "+18005550100", "country": "US", "code_type": "toll_free",
                                               "carrier_account": w.poc.carrier_account_id}, content_type="application/json")
    assert r.status_code == 400 and "long code" in str(r.json()).lower()


def test_console_user_form_has_the_case_limit_for_a_digital_tenant(client):
    w = digital_world()
    c = login(client, w.admin)
    page = c.get(f"/console/users/{w.tommy.id}/")
    assert page.status_code == 200 and b"Concurrent-case limit override" in page.content
    acd_admin = f.admin(f.tenant())
    page = login(client, acd_admin).get(f"/console/users/{acd_admin.id}/")
    assert page.status_code == 200 and b"Concurrent-case limit override" not in page.content


def test_the_operator_reads_cases_in_the_admin_but_cannot_change_them(client):
    w = digital_world()
    post_inbound(client, w.poc, "+12125553301", "hello")
    case = Case.objects.get()
    c = login(client, f.operator())
    assert c.get("/admin/digital/case/").status_code == 200
    page = c.get(f"/admin/digital/case/{case.id}/change/")
    assert page.status_code == 200 and b"Case opened" in page.content
    assert c.post(f"/admin/digital/case/{case.id}/change/", {"state": "closed"}).status_code == 403
    assert c.get("/admin/digital/queue/add/").status_code == 403
