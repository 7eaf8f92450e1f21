"""A tenant keeps at least one active administrator, whatever the entry point: the REST API
(PATCH role, PATCH is_active, DELETE), the operator's Django admin and the service itself refuse to
demote, deactivate, move or delete the last one, with the same message, and change nothing."""
import html

import pytest
from django.core.exceptions import ValidationError

from routing import services
from routing.choices import Role
from routing.models import User
from routing.rules import LAST_ADMIN
from tests import factories as f
from tests.api.conftest import API, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return f.tenant("Bears", slug="bears")


@pytest.mark.parametrize("change", [{"role": "agent"}, {"role": "supervisor"}, {"is_active": False}])
def test_last_admin_cannot_change_themself_away(tenant, change):
    admin = f.admin(tenant, username="mama")
    response = client_for(admin).patch(f"{API}users/{admin.pk}/", change, format="json")
    assert response.status_code == 400, response.content
    assert LAST_ADMIN in str(response.json())
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)


def test_last_admin_cannot_delete_themself(tenant):
    admin = f.admin(tenant, username="mama")
    response = client_for(admin).delete(f"{API}users/{admin.pk}/")
    assert 400 <= response.status_code < 500
    assert LAST_ADMIN in response.json()["detail"]
    assert User.objects.filter(pk=admin.pk).exists()


def test_operator_cannot_demote_or_delete_a_tenants_last_admin_through_the_api(tenant):
    admin = f.admin(tenant, username="mama")
    operator = client_for(f.operator())
    assert operator.patch(f"{API}users/{admin.pk}/", {"role": "agent"}, format="json").status_code == 400
    assert 400 <= operator.delete(f"{API}users/{admin.pk}/").status_code < 500
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_with_a_second_active_admin_an_admin_may_step_down(tenant):
    mama, papa = f.admin(tenant, username="mama"), f.admin(tenant, username="papa")
    response = client_for(mama).patch(f"{API}users/{mama.pk}/", {"role": "supervisor"}, format="json")
    assert response.status_code == 200, response.content
    # Now papa is the last one.
    response = client_for(papa).patch(f"{API}users/{papa.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 400 and LAST_ADMIN in str(response.json())


def test_an_inactive_admin_does_not_count(tenant):
    mama = f.admin(tenant, username="mama")
    papa = f.admin(tenant, username="papa")
    papa.is_active = False
    services.user_save(user=papa)
    response = client_for(mama).delete(f"{API}users/{mama.pk}/")
    assert 400 <= response.status_code < 500 and LAST_ADMIN in response.json()["detail"]


def test_another_tenants_admins_do_not_count(tenant):
    mama = f.admin(tenant, username="mama")
    f.admin(f.tenant("Wolves", slug="wolves"), username="wolf")
    response = client_for(mama).patch(f"{API}users/{mama.pk}/", {"role": "agent"}, format="json")
    assert response.status_code == 400 and LAST_ADMIN in str(response.json())


def test_the_service_refuses_moving_the_last_admin_to_another_tenant(tenant):
    mama = f.admin(tenant, username="mama")
    mama.tenant = f.tenant("Wolves", slug="wolves")
    with pytest.raises(ValidationError) as info:
        services.user_save(user=mama)
    assert info.value.message_dict == {"tenant": [LAST_ADMIN]}


def test_django_admin_shows_the_rule_as_a_form_error_and_refuses_the_delete(client, tenant):
    mama = f.admin(tenant, username="mama")
    client.force_login(f.operator())
    page = client.get(f"/admin/routing/user/{mama.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "skills", "groups", "user_permissions")}
    data.update({"tenant": tenant.pk, "role": "agent", "is_active": "on", "date_joined_0": mama.date_joined.strftime("%Y-%m-%d"),
                 "date_joined_1": mama.date_joined.strftime("%H:%M:%S"), "agent_skills-TOTAL_FORMS": 0, "agent_skills-INITIAL_FORMS": 0})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/routing/user/{mama.pk}/change/", data)
    assert response.status_code == 200
    assert LAST_ADMIN in html.unescape(response.content.decode())
    mama.refresh_from_db()
    assert mama.role == Role.ADMIN

    response = client.post(f"/admin/routing/user/{mama.pk}/delete/", {"post": "yes"}, follow=True)
    assert LAST_ADMIN in html.unescape(response.content.decode())
    assert User.objects.filter(pk=mama.pk).exists()
