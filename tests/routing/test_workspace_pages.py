"""The agent workspace and supervisor pages through HTTP: who may open them and what the shell carries."""
import json
import re

import pytest
from django.test import Client

from routing.choices import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    t = factories.tenant()
    return {
        "agent": factories.agent(t),
        "supervisor": factories.user(t, role=Role.SUPERVISOR),
        "admin": factories.admin(t),
    }


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def config(response, element_id):
    m = re.search(r'<script id="%s" type="application/json">(.*?)</script>' % element_id, response.content.decode(), re.S)
    return json.loads(m.group(1))


def test_anonymous_goes_to_login():
    for path in ("/agent/", "/supervisor/"):
        r = Client().get(path)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), path


def test_agent_workspace_for_agents_only(people):
    r = client_for(people["agent"]).get("/agent/")
    assert r.status_code == 200
    cfg = config(r, "workspace-config")
    assert cfg["ws"] == "/ws/agent/" and cfg["user"]["username"] == people["agent"].username
    assert cfg["labels"]["close_reason"]["expired"] == "Inactivity timeout"
    html = r.content.decode()
    for piece in ("js/live.js", "js/agent.js", "css/workspace.css", 'data-set-state="available"', 'id="composer"', 'id="outbound-dialog"',
                  "data-live-status"):
        assert piece in html, piece
    assert "csrftoken" in r.cookies  # the page's REST calls send it back as X-CSRFToken
    for role in ("supervisor", "admin"):
        r = client_for(people[role]).get("/agent/")
        assert r.status_code == 403 and "not for your role" in r.content.decode(), role


def test_supervisor_view_for_supervisors_and_admins(people):
    r = client_for(people["supervisor"]).get("/supervisor/")
    assert r.status_code == 200
    cfg = config(r, "supervisor-config")
    assert cfg["ws"] == "/ws/supervisor/" and cfg["is_admin"] is False
    assert 'id="forced-disconnect"' not in r.content.decode()  # administrators only

    r = client_for(people["admin"]).get("/supervisor/")
    assert r.status_code == 200 and config(r, "supervisor-config")["is_admin"] is True
    assert 'id="forced-disconnect"' in r.content.decode() and 'id="fd-dialog"' in r.content.decode()

    assert client_for(people["agent"]).get("/supervisor/").status_code == 403


def test_operator_and_tenantless_users_are_refused():
    op = factories.operator()
    for path in ("/agent/", "/supervisor/"):
        assert client_for(op).get(path).status_code == 403


def test_home_sends_each_role_to_its_page(people):
    assert client_for(people["agent"]).get("/")["Location"] == "/agent/"
    assert client_for(people["supervisor"]).get("/")["Location"] == "/supervisor/"


@pytest.mark.django_db
def test_an_agent_who_logs_out_gets_no_more_offers(client):
    from routing.models import User
    from tests import factories as fac

    t = fac.tenant()
    agent = fac.agent(t, state="available")
    client.force_login(agent)
    client.post("/logout/")
    assert User.objects.get(pk=agent.pk).state == "logged_out"
