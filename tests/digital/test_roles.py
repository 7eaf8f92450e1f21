"""The Digital Experience's role matrix: every role x every /api/v1/digital/ operation -> the expected
status, on a Digital tenant's own objects with a valid body, and what an allowed write changed.
tests/api/test_roles.py checks that this matrix and its own list exactly the schema's operations."""
import pytest
from digital import services as digital_services
from digital.models import Filter, Queue
from routing.models import Contact
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from routing import services

from tests import factories as f
from tests.api.conftest import API, client_for
from tests.api.conftest import changed
from tests.digital.world import digital_world

ROLES = ("operator", "admin", "supervisor", "agent", "anonymous")
CRUD = {"GET": (200, 200, 200, 200, 401), "POST": (201, 201, 403, 403, 401), "GET1": (200, 200, 200, 200, 401),
        "PUT": (200, 200, 403, 403, 401), "PATCH": (200, 200, 403, 403, 401), "DELETE": (204, 204, 403, 403, 401)}

#         method    path                                       operator admin supervisor agent anonymous
DIGITAL_MATRIX = [
    *[(m if m != "GET1" else "GET", p, CRUD[m]) for r, key in (("queues", "queue"), ("filters", "filter"))
      for m, p in (("GET", f"digital/{r}/"), ("POST", f"digital/{r}/"), ("GET1", f"digital/{r}/{{{key}}}/"),
                   ("PUT", f"digital/{r}/{{{key}}}/"), ("PATCH", f"digital/{r}/{{{key}}}/"), ("DELETE", f"digital/{r}/{{{key}}}/"))],
    ("POST", "digital/filters/try/", (400, 200, 200, 403, 401)),  # the operator belongs to no company
    ("GET", "digital/contacts/", (200, 200, 200, 200, 401)),
    ("POST", "digital/contacts/", (201, 201, 201, 201, 401)),
    ("GET", "digital/contacts/{contact}/", (200, 200, 200, 200, 401)),
    ("PUT", "digital/contacts/{contact}/", (200, 200, 200, 200, 401)),
    ("PATCH", "digital/contacts/{contact}/", (200, 200, 200, 200, 401)),
    ("DELETE", "digital/contacts/{contact}/", (204, 204, 403, 403, 401)),
    ("GET", "digital/cases/", (200, 200, 200, 200, 401)),
    ("GET", "digital/cases/{open}/", (200, 200, 200, 200, 401)),
    ("POST", "digital/cases/{offered}/accept/", (403, 403, 403, 200, 401)),
    ("POST", "digital/cases/{offered}/reject/", (403, 403, 403, 200, 401)),
    ("POST", "digital/cases/{open}/assign/", (200, 200, 200, 200, 401)),
    ("POST", "digital/cases/{open}/state/", (200, 200, 200, 200, 401)),
    ("GET", "digital/cases/{open}/messages/", (200, 200, 200, 200, 401)),
    ("POST", "digital/cases/{open}/messages/", (403, 403, 403, 201, 401)),
    ("GET", "digital/cases/{open}/notes/", (200, 200, 200, 200, 401)),
    ("POST", "digital/cases/{open}/notes/", (201, 201, 201, 201, 401)),
    ("GET", "digital/cases/{open}/history/", (200, 200, 200, 200, 401)),
    ("POST", "digital/cases/outbound/", (403, 403, 403, 201, 401)),
    ("POST", "digital/cases/pull/", (403, 403, 403, 200, 401)),
    ("GET", "digital/cases/counts/", (200, 200, 200, 200, 401)),
    ("GET", "digital/cases/overview/", (400, 200, 200, 403, 401)),  # per company: the operator names none
]
PLACEHOLDERS = {"{queue}", "{filter}", "{contact}", "{open}", "{offered}"}


def body_for(method, path, ids, role):
    tenant = {"tenant": ids["tenant"]} if role == "operator" else {}
    n = f"{role}-{method.lower()}"
    resource = path.split("/")[1]
    if path.startswith("digital/cases/"):
        return {"digital/cases/{open}/assign/": {"queue": ids["general"], "note": "over to you"},
                "digital/cases/{open}/state/": {"state": "pending"}, "digital/cases/{open}/messages/": {"body": "On our way"},
                "digital/cases/{open}/notes/": {"body": "Prefers mornings"},
                "digital/cases/outbound/": {"point_of_contact": ids["poc"], "contact_number": "+12025550177", "body": "Hello from us"},
                }.get(path) if method == "POST" else None
    if path == "digital/filters/try/":
        return {"body": "#ADVENTUREME please"}
    if method == "PATCH":
        return {"queues": {"priority": 7}, "filters": {"position": 42}, "contacts": {"name": "Renamed " + n}}[resource]
    if method not in ("POST", "PUT"):
        return None
    return {"queues": {**tenant, "name": "Queue " + n, "priority": 4, "agents": [ids["agent"]]},
            "filters": {**tenant, "queue": ids["general"], "position": 3, "keywords": "#ROLE", "name": "Filter " + n},
            # PUT: a card's number is the row's identity (its opt-out's too): it does not change.
            "contacts": {**tenant, "number": "+12025550171" if method == "PUT" else "+1202555%04d" % (len(n) * 37 % 10000),
                         "name": "Contact " + n, "tags": "vip"}}[resource]


@pytest.fixture(scope="module")
def targets(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = digital_world()
            open_case = digital_services.case_outbound(agent=w.tommy, point_of_contact=w.poc, contact_number="+12025550171", body="Hi")
            offered = digital_services.case_outbound(agent=w.ann, point_of_contact=w.poc, contact_number="+12025550172", body="Hi")
            digital_services.case_assign(case=offered, actor=w.supervisor, agent=w.tommy)
            spare_queue = digital_services.queue_save(instance=Queue(tenant=w.tenant, name="Spare", priority=9), agents=[])
            spare_filter = services.object_save(instance=Filter(tenant=w.tenant, queue=w.general, position=99, keywords="#SPARE"))
            contact = services.contact_save(instance=Contact(tenant=w.tenant, number="+12025550171", name="Jo"))
            ids = {"tenant": w.tenant.id, "queue": spare_queue.id, "filter": spare_filter.id, "contact": contact.id, "open": open_case.id,
                   "offered": offered.id, "general": w.general.id, "agent": w.ann.id, "poc": w.poc.id}
            users = {"operator": f.operator(username="digital-operator"), "admin": w.admin, "supervisor": w.supervisor, "agent": w.tommy,
                     "anonymous": None}
            yield ids, users
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def database():
    shared = ("routing.Message", "routing.Room", "routing.User", "routing.Contact")  # the contact card is routing's
    models = [*apps.get_app_config("digital").get_models(), *[m for m in apps.get_app_config("routing").get_models()
                                                               if m._meta.label in shared]]
    return {m._meta.label: {row[m._meta.pk.attname]: row for row in m.objects.values()} for m in models}




MODELS = {"queues": "digital.Queue", "filters": "digital.Filter", "contacts": "routing.Contact"}


def assert_effect(method, path, ids, user, body, changes):
    resource = path.split("/")[1]
    if resource in MODELS and "{" in path or (resource in MODELS and method == "POST" and not path.endswith("try/")):
        mine = changes.get(MODELS[resource], {})
        if method == "POST":
            assert len(mine.get("added", [])) == 1, changes
        elif method == "DELETE":
            assert [r["id"] for r in mine.get("removed", [])] == [ids[path.split("{")[1].split("}")[0]]], changes
        else:
            assert mine.get("changed"), changes
        return
    cases = changes.get("digital.Case", {})
    entries = [e["kind"] for e in changes.get("digital.CaseEntry", {}).get("added", [])]
    if path.endswith("accept/"):
        assert cases["changed"][ids["offered"]][1]["state"] == "open"
    elif path.endswith("reject/"):
        assert cases["changed"][ids["offered"]][1]["agent_id"] is None and entries == ["rejected"]
    elif path.endswith("assign/"):
        assert cases["changed"][ids["open"]][1]["queue_id"] == ids["general"] and "transferred" in entries
    elif path.endswith("state/"):
        assert cases["changed"][ids["open"]][1]["state"] == "pending" and entries == ["state"]
    elif path.endswith("messages/"):
        assert [m["body"] for m in changes["routing.Message"]["added"]] == [body["body"]]
    elif path.endswith("notes/"):
        assert entries == ["note"] and not changes.get("routing.Message")
    elif path == "digital/cases/outbound/":
        assert [c["contact_number"] for c in cases["added"]] == [body["contact_number"]]
    elif path == "digital/cases/pull/":
        assert changes == {} or cases.get("changed")  # nothing waits in the agent's queues here
    elif path == "digital/filters/try/":
        assert changes == {}
    else:
        raise AssertionError(f"no expected effect written for {method} {path}")


CASES = [pytest.param(role, method, path, expected[i], id=f"{role}-{method}-{path}")
         for method, path, expected in DIGITAL_MATRIX for i, role in enumerate(ROLES)]


@pytest.mark.parametrize("role, method, path, expected", CASES)
def test_digital_role_matrix(targets, db, role, method, path, expected):
    ids, users = targets
    url = API + path.format(**ids)
    body = body_for(method, path, ids, role)
    client = client_for(users[role])
    before = database()
    resp = getattr(client, method.lower())(url, body, format="json") if body is not None else getattr(client, method.lower())(url)
    assert resp.status_code == expected, (role, method, url, resp.content[:300])
    changes = changed(before, database())
    if method == "GET" or expected >= 400:
        assert changes == {}, (role, method, url, changes)
    else:
        assert_effect(method, path, ids, users[role], body, changes)
