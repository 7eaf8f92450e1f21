"""The opt-out line campaign texts end with is the tenant's setting (on by default, its text editable) in the console's
settings and the tenants/ REST settings; every campaign of the tenant uses it, and a campaign can leave it off."""
import pytest

from routing import jobs
from routing.models import Message, Tenant

from .conftest import API
from .test_campaigns_api import DAY, NY, act, line, make_campaign, make_list  # noqa: F401 (line: the fixture)

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def operator_api():
    from tests import factories as f

    from .conftest import api_client

    return api_client(f.operator())  # REST writes to tenants/ are the operator's; a tenant's administrator uses Settings


def sent_bodies(campaign_id):
    jobs.sweep(DAY.replace(hour=17, minute=30))
    return list(Message.objects.filter(contact_number__startswith="+1212").order_by("pk").values_list("body", flat=True))


def test_it_is_on_by_default_and_ends_every_campaign_text(line):  # noqa: F811
    assert (line.tenant.campaign_opt_out_enabled, line.tenant.campaign_opt_out_line) == (True, "Reply STOP to opt out")
    list_id = make_list(line, [f"{NY},Ann"])
    c = make_campaign(line, list_id, template="Hi {first_name}!")
    act(line, c["id"], "start")
    assert sent_bodies(c["id"]) == ["Hi Ann!\nReply STOP to opt out"]


def test_the_tenants_own_line_is_used_in_preview_and_sends_and_a_campaign_can_leave_it_off(line, operator_api):  # noqa: F811
    r = operator_api.patch(API + f"tenants/{line.tenant.pk}/", {"campaign_opt_out_line": "Text STOP to end these."}, format="json")
    assert r.status_code == 200 and r.json()["campaign_opt_out_line"] == "Text STOP to end these."
    list_id = make_list(line, [f"{NY},Ann", "+12125550177,Bob"])
    preview = line.api.post(API + "campaigns/preview/", {"contact_list": list_id, "template": "Hi {first_name}!", "append_opt_out": True},
                            format="json").json()["texts"]
    assert preview[0]["body"] == "Hi Ann!\nText STOP to end these."
    with_line = make_campaign(line, list_id, template="Hi {first_name}!")
    without = make_campaign(line, list_id, template="Bye {first_name}!", append_opt_out=False)
    act(line, with_line["id"], "start")
    act(line, without["id"], "start")
    bodies = sorted(sent_bodies(with_line["id"]))
    assert bodies == ["Bye Ann!", "Bye Bob!", "Hi Ann!\nText STOP to end these.", "Hi Bob!\nText STOP to end these."]


def test_switched_off_for_the_tenant_no_campaign_adds_it(line, operator_api):  # noqa: F811
    r = operator_api.patch(API + f"tenants/{line.tenant.pk}/", {"campaign_opt_out_enabled": False}, format="json")
    assert r.status_code == 200 and r.json()["campaign_opt_out_enabled"] is False
    list_id = make_list(line, [f"{NY},Ann"])
    c = make_campaign(line, list_id, template="Hi {first_name}!")
    assert c["append_opt_out"] is True
    act(line, c["id"], "start")
    assert sent_bodies(c["id"]) == ["Hi Ann!"]


def test_an_empty_line_that_is_switched_on_is_refused_and_changes_nothing(line, operator_api, client):  # noqa: F811
    r = operator_api.patch(API + f"tenants/{line.tenant.pk}/", {"campaign_opt_out_line": "  "}, format="json")
    assert r.status_code == 400
    assert r.json() == {"campaign_opt_out_line": ["Write the line campaign texts end with, or switch it off."]}
    assert Tenant.objects.get(pk=line.tenant.pk).campaign_opt_out_line == "Reply STOP to opt out"
    too_long = operator_api.patch(API + f"tenants/{line.tenant.pk}/", {"campaign_opt_out_line": "x" * 161}, format="json")
    assert too_long.status_code == 400 and "160" in too_long.json()["campaign_opt_out_line"][0]


def test_the_console_settings_page_edits_it_and_the_campaign_form_names_it(line, client):  # noqa: F811
    client.force_login(line.admin)
    page = client.get("/console/settings/").content.decode()
    assert 'name="campaign_opt_out_line"' in page and 'value="Reply STOP to opt out"' in page
    t = line.tenant
    data = {"time_zone": t.time_zone, "save_transcripts": "on", "sms_delivery": t.sms_delivery, "help_reply": t.help_reply,
            "opt_out_reply": t.opt_out_reply, "opt_in_reply": t.opt_in_reply, "auto_reply_window_minutes": 60, "case_limit": 5,
            "campaign_opt_out_enabled": "on", "campaign_opt_out_line": ""}
    r = client.post("/console/settings/", data)
    assert r.status_code == 200 and "Write the line campaign texts end with, or switch it off." in r.content.decode()
    assert Tenant.objects.get(pk=t.pk).campaign_opt_out_line == "Reply STOP to opt out"
    r = client.post("/console/settings/", {**data, "campaign_opt_out_line": "STOP to quit"})
    assert r.status_code == 302 and Tenant.objects.get(pk=t.pk).campaign_opt_out_line == "STOP to quit"
    assert "Adds “STOP to quit”" in client.get("/console/campaigns/new/").content.decode()
    r = client.post("/console/settings/", {k: v for k, v in data.items() if k != "campaign_opt_out_enabled"})
    assert r.status_code == 302 and Tenant.objects.get(pk=t.pk).campaign_opt_out_enabled is False
    assert "switched off for every campaign in Settings" in client.get("/console/campaigns/new/").content.decode()


def test_tenant_users_read_it_over_rest_and_cannot_write_it_there(line):  # noqa: F811
    from routing.choices import Role
    from tests import factories as f

    from .conftest import api_client

    assert line.api.get(API + f"tenants/{line.tenant.pk}/").json()["campaign_opt_out_line"] == "Reply STOP to opt out"
    for who in (line.api, api_client(f.user(line.tenant, role=Role.SUPERVISOR))):
        r = who.patch(API + f"tenants/{line.tenant.pk}/", {"campaign_opt_out_line": "Nope"}, format="json")
        assert r.status_code == 403
    assert Tenant.objects.get(pk=line.tenant.pk).campaign_opt_out_line == "Reply STOP to opt out"
