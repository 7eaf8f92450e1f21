"""A tenant keeps at least one active administrator under real concurrency on PostgreSQL: two
administrators demote (or deactivate, or delete) themselves at the same moment through the REST
API, each on its own connection; exactly one succeeds and the tenant keeps an active
administrator. Without the tenant-row lock in routing/services.py both requests would pass the
count (READ COMMITTED: neither sees the other's uncommitted change)."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routing.choices import Role
from routing.models import User
from routing.rules import LAST_ADMIN
from tests import factories as f
from tests.pg.test_routing_concurrency import run_parallel

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]

CHANGES = {"demote": ("patch", {"role": Role.AGENT}), "deactivate": ("patch", {"is_active": False}), "delete": ("delete", None)}


@pytest.mark.parametrize("how", ["demote", "deactivate", "delete", "mixed"])
def test_two_admins_stepping_down_at_once_leave_one(how):
    rounds = 6
    for n in range(rounds):
        tenant = f.tenant(f"Race {how} {n}", slug=f"race-{how}-{n}")
        admins = [f.admin(tenant, username=f"{how}-{n}-{k}") for k in range(2)]
        keys = [Token.objects.create(user=a).key for a in admins]
        kinds = ["demote", "delete"] if how == "mixed" else [how, how]

        def step_down(k, keys=keys, kinds=kinds, admins=admins):
            def job():
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION="Token " + keys[k])
                method, body = CHANGES[kinds[k]]
                url = f"/api/v1/users/{admins[k].pk}/"
                response = client.patch(url, body, format="json") if method == "patch" else client.delete(url)
                return response.status_code, response.content.decode()
            return job

        results = run_parallel([step_down(0), step_down(1)], workers=2)
        statuses = sorted(r[0] for r in results)
        assert statuses[0] in (200, 204) and statuses[1] in (400, 409), results
        assert any(LAST_ADMIN in r[1] for r in results), results
        assert User.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).count() == 1
