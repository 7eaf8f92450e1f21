"""Tenant isolation over the whole API, driven by the generated OpenAPI schema.

For every path x method of /api/schema/, tenant A's users try to reach tenant B: B's ids must answer
exactly like an id that does not exist (404, same body), lists and filters never show B's rows,
creates and updates that point at B's objects are refused as "does not exist", and B's rows are
byte-for-byte the same afterwards. A path or method this test does not know fails it, so a new
route is either covered here or breaks the build.
"""
import io
import json
import re
from collections import Counter

import pytest
from django.apps import apps
from rest_framework.authtoken.models import Token

from campaigns import services as campaigns_services
from campaigns.models import Campaign
from routing.audit.models import AuditEntry
from routing.models import Country, Room, Tenant, User
from tests.api.conftest import API, client_for

pytestmark = pytest.mark.django_db

MISSING = 10**6
# Strings only tenant B's data contains (names, usernames, slugs, its point of contact's number).
B_MARKERS = ["Tenant B", "tenant-b", "admin-b", "super-b", "agent-b", "agent2-b", "Team B", "SMS B", "SMS out B", "Chat B",
             "chat-b", "+12125550170"]


def tenant_rows(tenant):
    """Every row of the routing app (and API tokens) that belongs to `tenant`, as plain data."""
    snap = {}
    for model in apps.get_app_config("routing").get_models():
        if model is Tenant:
            qs = model.objects.filter(pk=tenant.pk)
        elif model is Country:
            qs = model.objects.all()  # shared, operator-only writes
        elif model.__name__ == "WorkerBeat":
            continue  # the workers' own bookkeeping: no tenant's data
        elif any(f.name == "tenant" for f in model._meta.fields):
            qs = model.objects.filter(tenant=tenant)
        else:
            fk = next((f.name for f in model._meta.fields if f.is_relation and f.related_model is not None
                       and any(g.name == "tenant" for g in f.related_model._meta.fields)), None)
            assert fk, f"{model.__name__}: no way to tell its tenant; teach tenant_rows() about it"
            qs = model.objects.filter(**{f"{fk}__tenant": tenant})
        snap[model.__name__] = sorted((json.dumps(row, sort_keys=True, default=str) for row in qs.values()))
    snap["Token"] = sorted(Token.objects.filter(user__tenant=tenant).values_list("key", flat=True))
    return snap


def api_schema():
    return client_for().get("/api/schema/", {"format": "json"}).json()


def norm(body):
    """A body with numbers blanked: B's id and a missing id must give the same message."""
    return re.sub(r"\d+", "#", json.dumps(body, sort_keys=True))


class Probe:
    def __init__(self, a, b, operator_client=None):
        self.a, self.b = a, b
        self.attempts = 0
        self.leaks = []
        self.counter = Counter()
        self.n = 0

    def uniq(self, prefix):
        self.n += 1
        return f"{prefix} iso {self.n}"

    def send(self, client, method, path, body=None, query=None, attempt=True):
        if attempt:
            self.attempts += 1
        kw = {"format": "json"} if body is not None else {}
        if query:
            resp = getattr(client, method)(API + path, query)
        else:
            resp = getattr(client, method)(API + path, body, **kw) if body is not None else getattr(client, method)(API + path)
        text = resp.content.decode(errors="replace")
        for marker in B_MARKERS:
            if marker in text:
                self.leak(f"{method.upper()} {path}: response contains B's {marker!r}")
        return resp

    def leak(self, what):
        self.leaks.append(what)

    def check(self, ok, what):
        if not ok:
            self.leak(what)

    def same_as_missing(self, client, method, template, b_id, body=None, expect=(404,)):
        """B's id answers exactly like a missing id."""
        got = self.send(client, method, template.format(id=b_id), body)
        missing = self.send(client, method, template.format(id=MISSING), body, attempt=False)
        self.check(got.status_code == missing.status_code and norm(_json(got)) == norm(_json(missing)),
                   f"{method.upper()} {template} with B's id {b_id}: {got.status_code} {_json(got)} "
                   f"but a missing id gives {missing.status_code} {_json(missing)}")
        self.check(got.status_code in expect, f"{method.upper()} {template} with B's id: {got.status_code}, expected {expect}")
        return got

    def refused_ref(self, client, method, path, body, field):
        """A write naming B's object in `field` is refused like a missing id, naming the field."""
        got = self.send(client, method, path, body)
        data = _json(got)
        self.check(got.status_code == 400 and isinstance(data, dict) and field in data
                   and "does not exist" in json.dumps(data.get(field)),
                   f"{method.upper()} {path} with B's {field}: {got.status_code} {data}")


def _json(resp):
    try:
        return resp.json()
    except Exception:
        return resp.content.decode(errors="replace")[:200]


# --- what each resource needs -------------------------------------------------------------------

def config_resources(p):
    a, b = p.a, p.b
    us_number = iter("+1212555%04d" % n for n in range(300, 400))
    from routing import services as routing_services
    from routing.models import Contact

    a_card = routing_services.contact_save(instance=Contact(tenant=a.tenant, number="+12125550478", name="A card"))
    b_card = routing_services.contact_save(instance=Contact(tenant=b.tenant, number="+12125550477", name="B card", notes="B's"))
    return {
        "tenants": dict(
            b_ids=[b.tenant.id], a_obj=a.tenant, client="admin", creatable=False, writable=False,
            payload=lambda: {"name": p.uniq("T"), "slug": p.uniq("t").replace(" ", "-")}, refs={}),
        "users": dict(
            b_ids=[b.admin.id, b.agent.id, b.supervisor.id], a_obj=a.agent2,
            payload=lambda: {"username": p.uniq("u").replace(" ", "-"), "password": "Iso-pass-1234!", "role": "agent", "team": a.team.id,
                             "skills": [a.sms_skill.id]},
            refs={"tenant": b.tenant.id, "team": b.team.id, "skills": [b.sms_skill.id],
                  "skill_proficiencies": [{"skill": b.sms_skill.id, "proficiency": 1}]}),
        "teams": dict(b_ids=[b.team.id], a_obj=a.team, payload=lambda: {"name": p.uniq("Team"), "session_limit": 3},
                      refs={"tenant": b.tenant.id}),
        "skills": dict(b_ids=[b.sms_skill.id, b.chat_skill.id], a_obj=a.out_skill,
                       payload=lambda: {"name": p.uniq("Skill"), "channel": "sms", "direction": "outbound"}, refs={"tenant": b.tenant.id}),
        "carrier-accounts": dict(b_ids=[b.carrier.id], a_obj=a.carrier,
                                 payload=lambda: {"name": p.uniq("Carrier"), "provider": "simulator"},
                                 refs={"tenant": b.tenant.id}),
        "points-of-contact": dict(
            b_ids=[b.sms_poc.id, b.chat_poc.id], a_obj=a.sms_poc,
            payload=lambda: {"channel": "sms", "number": next(us_number), "country": "US", "code_type": "long",
                             "carrier_account": a.carrier.id, "skill": a.sms_skill.id},
            refs={"tenant": b.tenant.id, "carrier_account": b.carrier.id, "skill": b.sms_skill.id}),
        "routing-rules": dict(
            b_ids=[b.rule.id], a_obj=a.rule,
            payload=lambda: {"point_of_contact": a.sms_poc.id, "kind": "keyword", "pattern": "#ISO", "skill": a.sms_skill.id,
                             "priority": 5},
            refs={"point_of_contact": b.sms_poc.id, "skill": b.sms_skill.id}),
        "canned-responses": dict(b_ids=[b.canned.id], a_obj=a.canned,
                                 payload=lambda: {"name": p.uniq("Canned"), "body": "Hello there"},
                                 refs={"tenant": b.tenant.id, "owner": b.agent.id}),
        "dispositions": dict(b_ids=[b.disposition.id], a_obj=a.disposition, payload=lambda: {"name": p.uniq("Disposition")},
                             refs={"tenant": b.tenant.id, "skills": [b.sms_skill.id]}),
        "unavailable-reasons": dict(b_ids=[b.reason.id], a_obj=a.reason, payload=lambda: {"name": p.uniq("Reason")},
                                    refs={"tenant": b.tenant.id}),
        "countries": dict(b_ids=[], a_obj=Country.objects.get(code="US"), creatable=False, writable=False,
                          payload=lambda: {"code": "QQ", "name": "Q"}, refs={}),
        # Contact cards (one per number: a create on A's number updates A's card; the number never changes).
        "contacts": dict(b_ids=[b_card.id], a_obj=a_card, payload=lambda: {"number": a_card.number, "name": p.uniq("Card")},
                         refs={"tenant": b.tenant.id}),
    }


# Filters whose value is an object of a tenant: tried with B's object.
def filter_refs(b):
    return {"team": b.team.id, "skill": b.sms_skill.id, "carrier_account": b.carrier.id, "point_of_contact": b.sms_poc.id,
            "agent": b.agent.id}


def all_rows(p, client, path, query=None):
    out, page = [], 1
    while True:
        r = p.send(client, "get", path, query={**(query or {}), "page": page}, attempt=False)
        if r.status_code != 200:
            return r, out
        body = r.json()
        out += body["results"]
        if not body.get("next"):
            return r, out
        page += 1


def b_ids_of(resource, b):
    model = {"tenants": Tenant, "users": User, "rooms": Room}.get(resource)
    if resource == "tenants":
        return {b.tenant.id}
    if resource == "users":
        return set(User.objects.filter(tenant=b.tenant).values_list("id", flat=True))
    if resource == "rooms":
        return set(Room.objects.filter(tenant=b.tenant).values_list("id", flat=True))
    if resource == "countries":
        return set()
    spec_models = {"teams": "Team", "skills": "Skill", "carrier-accounts": "CarrierAccount", "points-of-contact": "PointOfContact",
                   "canned-responses": "CannedResponse", "dispositions": "Disposition", "unavailable-reasons": "UnavailableReason",
                   "contacts": "Contact"}
    if resource in spec_models:
        model = apps.get_model("routing", spec_models[resource])
        return set(model.objects.filter(tenant=b.tenant).values_list("id", flat=True))
    if resource == "routing-rules":
        return set(apps.get_model("routing", "RoutingRule").objects.filter(point_of_contact__tenant=b.tenant).values_list("id", flat=True))
    raise AssertionError(f"no B ids for {resource}")


# --- handlers per (path template, method) ------------------------------------------------------------

def handle_list(p, resource, op, clients):
    b_ids = b_ids_of(resource, p.b)
    for role, client in clients.items():
        r, rows = all_rows(p, client, resource + "/")
        p.attempts += 1
        p.check(r.status_code in (200, 403), f"GET {resource}/ as A {role}: {r.status_code}")
        leaked = {row["id"] for row in rows} & b_ids
        p.check(not leaked, f"GET {resource}/ as A {role} lists B's ids {leaked}")
        # every filter that takes a tenant's object, with B's object; and a search for B's names
        params = {prm["name"] for prm in op.get("parameters", []) if prm["in"] == "query"}
        tries = [{k: v} for k, v in filter_refs(p.b).items() if k in params]
        if "q" in params:
            tries += [{"q": "B"}, {"q": "-b"}, {"q": "0170"}]
        for query in tries:
            r, rows = all_rows(p, client, resource + "/", query)
            p.attempts += 1
            p.check(not ({row["id"] for row in rows} & b_ids), f"GET {resource}/?{query} as A {role} lists B's rows")
            if "q" not in query:
                missing = p.send(client, "get", resource + "/", query={k: MISSING for k in query}, attempt=False)
                p.check(r.status_code == missing.status_code and norm(_json(r)) == norm(_json(missing)),
                        f"GET {resource}/?{query}: B's id answers {r.status_code}, a missing id {missing.status_code}")


def handle_create(p, resource, spec, client):
    path = resource + "/"
    if not spec.get("creatable", True):
        r = p.send(client, "post", path, spec["payload"]())
        p.check(r.status_code == 403, f"POST {path} as A admin: {r.status_code}")
        return
    for field, value in spec["refs"].items():
        body = spec["payload"]()
        body[field] = value
        if field == "skill_proficiencies":
            body.pop("skills", None)
        p.refused_ref(client, "post", path, body, field)
    r = p.send(client, "post", path, spec["payload"](), attempt=False)  # the same payload without B's objects is fine
    assert r.status_code == 201, (path, r.content)


def handle_detail(p, resource, spec, method, client):
    template = resource + "/{id}/"
    allowed = (404,) if method == "get" or spec.get("writable", True) else (403, 404)
    body = None
    if method in ("put", "patch"):
        body = spec["payload"]()
    if not spec["b_ids"]:  # countries: nothing of B's; A's writes are refused
        r = p.send(client, method, template.format(id=spec["a_obj"].id), body)
        p.check(r.status_code == (200 if method == "get" else 403), f"{method.upper()} {template} as A admin: {r.status_code}")
        return
    for b_id in spec["b_ids"]:
        p.same_as_missing(client, method, template, b_id, body, expect=allowed)
    # A's own object, pointed at B's objects
    if method in ("put", "patch") and spec.get("writable", True):
        for field, value in spec["refs"].items():
            patch = {field: value} if method == "patch" else {**spec["payload"](), field: value}
            if field == "skill_proficiencies":
                patch.pop("skills", None)
            p.refused_ref(client, method, template.format(id=spec["a_obj"].id), patch, field)


ROOM_ACTIONS = {  # path suffix -> methods
    "": ["get"], "accept/": ["post"], "reject/": ["post"], "end/": ["post"], "messages/": ["get", "post"], "history/": ["get"],
    "decisions/": ["get"], "transfer/": ["get", "post"], "notes/": ["get", "post"],
}


def handle_room_detail(p, suffix, method, clients):
    template = "rooms/{id}/" + suffix
    body = {"body": "Hello from A"} if suffix in ("messages/", "notes/") and method == "post" else None
    for role, client in clients.items():
        for room in p.b.rooms.values():
            p.same_as_missing(client, method, template, room.id, body, expect=(403, 404))
    if suffix == "transfer/" and method == "post":
        # A's own room handed to B's agent or B's skill: refused like a missing one
        path = template.format(id=p.a.rooms["active"].id)
        p.refused_ref(clients["agent"], "post", path, {"agent": p.b.agent.id}, "agent")
        p.refused_ref(clients["agent"], "post", path, {"skill": p.b.sms_skill.id}, "skill")
    if suffix == "history/":
        # A's active room shares its contact number with a closed room of B: B's never shows up (R9 is per tenant)
        r = p.send(clients["agent"], "get", template.format(id=p.a.rooms["active"].id))
        ids = {x["id"] for x in r.json()}
        a_ids = set(Room.objects.filter(tenant=p.a.tenant).values_list("id", flat=True))
        p.check(r.status_code == 200 and p.a.rooms["closed"].id in ids and ids <= a_ids, f"history of A's room: {r.status_code} {ids}")


def handle_outbound(p, clients):
    for role, client in clients.items():
        r = p.send(client, "post", "rooms/outbound/", {"point_of_contact": p.b.sms_poc.id, "contact_number": "+12125550199",
                                                       "body": "hi"})
        missing = p.send(client, "post", "rooms/outbound/", {"point_of_contact": MISSING, "contact_number": "+12125550199",
                                                             "body": "hi"}, attempt=False)
        p.check(r.status_code == missing.status_code and norm(_json(r)) == norm(_json(missing)),
                f"POST rooms/outbound/ with B's point of contact as A {role}: {r.status_code} {_json(r)}")
        p.check(r.status_code in (400, 403), f"POST rooms/outbound/ with B's point of contact as A {role}: {r.status_code}")


def handle_me(p, method, clients):
    for role, client in clients.items():
        r = p.send(client, "get", "me/")
        p.check(r.status_code == 200 and r.json()["tenant"] == p.a.tenant.id, f"GET me/ as A {role}: {_json(r)}")


def handle_me_state(p, method, clients):
    agent = clients["agent"]
    if method == "get":
        r = p.send(agent, "get", "me/state/")
        p.check(r.status_code == 200, f"GET me/state/: {r.status_code}")
    else:
        for state in ("available", "unavailable"):
            r = p.send(agent, "put", "me/state/", {"state": state})
            p.check(r.status_code == 200 and r.json() == {"state": state, "reason": ""}, f"PUT me/state/: {_json(r)}")
        p.check(User.objects.get(pk=p.a.agent.pk).state == "unavailable", "PUT me/state/ did not change A's agent")
        r = p.send(agent, "put", "me/state/", {"state": "unavailable", "reason": p.b.reason.id})  # B's reason: refused
        p.check(r.status_code == 400 and User.objects.get(pk=p.a.agent.pk).state_reason == "", f"PUT me/state/ B's reason: {_json(r)}")


def handle_activity(p, clients):
    """A's administrator reads A's activity only (Probe.send fails on any of B's markers in the answer)."""
    r = p.send(clients["admin"], "get", "activity/")
    p.check(r.status_code == 200 and isinstance(r.json()["results"], list), f"GET activity/: {_json(r)}")


def handle_user_state(p, clients):
    """A's administrator sets A's agent's state; B's agent answers as a missing id and keeps its state."""
    admin = clients["admin"]
    b_state = User.objects.get(pk=p.b.agent.pk).state
    p.same_as_missing(admin, "put", "users/{id}/state/", p.b.agent.pk, {"state": "available"})
    p.check(User.objects.get(pk=p.b.agent.pk).state == b_state, "PUT users/<B's agent>/state/ changed B's agent")
    r = p.send(admin, "put", f"users/{p.a.agent.pk}/state/", {"state": "unavailable", "reason": p.b.reason.id})  # B's reason
    p.check(r.status_code == 400 and User.objects.get(pk=p.a.agent.pk).state_reason == "",
            f"PUT users/<A's agent>/state/ with B's reason: {_json(r)}")
    r = p.send(admin, "put", f"users/{p.a.agent.pk}/state/", {"state": "unavailable", "reason": p.a.reason.id})
    p.check(r.status_code == 200 and r.json() == {"state": "unavailable", "reason": p.a.reason.name},
            f"PUT users/<A's agent>/state/: {_json(r)}")


def handle_forced_disconnect(p, method, clients):
    admin = clients["admin"]
    if method == "get":
        r = p.send(admin, "get", "forced-disconnect/")
        a_open = Room.objects.filter(tenant=p.a.tenant, channel="sms", state__in=["queued", "offered", "active"]).count()
        p.check(r.status_code == 200 and r.json() == {"active": a_open}, f"GET forced-disconnect/: {_json(r)}, A has {a_open}")
    else:
        r = p.send(admin, "post", "forced-disconnect/")
        p.check(r.status_code == 200 and r.json() == {"ended": 4}, f"POST forced-disconnect/: {_json(r)}")


def handle_audit_log(p, method, path, clients):
    """A's administrator reads A's trail only: B's entries are not listed, their ids are 404, B's people no filter choice."""
    admin = clients["admin"]
    b_entries = list(AuditEntry.objects.filter(tenant_id=p.b.tenant.pk).values_list("id", flat=True))
    p.check(b_entries, "tenant B has audit entries to hide")
    if path == "audit-log/":
        r = p.send(admin, "get", "audit-log/", query={"page_size": 1000})
        listed = {e["id"] for e in r.json()["results"]} if r.status_code == 200 else set()
        p.check(r.status_code == 200 and listed and not listed & set(b_entries), f"GET audit-log/ lists B's entries: {_json(r)}")
        r = p.send(admin, "get", "audit-log/", query={"actor": p.b.admin.pk})
        p.check(r.status_code == 400, f"GET audit-log/?actor=<B's admin>: {_json(r)}")
    else:
        for entry_id in b_entries[:3]:
            p.same_as_missing(admin, "get", "audit-log/{id}/", entry_id)


def handle_reports(p, path, clients):
    """A's figures only: B's agents never appear; B's skill, agent, team or number as a filter is refused."""
    admin = clients["admin"]
    b_agents = set(User.objects.filter(tenant=p.b.tenant).values_list("id", flat=True))
    r = p.send(admin, "get", path, query={"group_by": "agent", "interval": "day", "preset": "last_7_days"})
    rows = r.json()["results"] if r.status_code == 200 else None
    p.check(rows is not None and not {row.get("agent") for row in rows} & b_agents, f"GET {path}?group_by=agent: {_json(r)}")
    for name, value in (("agent", p.b.agent.pk), ("skill", p.b.sms_skill.pk), ("team", p.b.team.pk), ("point_of_contact", p.b.sms_poc.pk)):
        r = p.send(admin, "get", path, query={name: value})
        p.check(r.status_code == 400, f"GET {path}?{name}=<B's>: {_json(r)}")


def handle_erase(p, clients):
    """A's administrator erasing a number B also holds erases nothing of B's (B's rows are compared at the end):
    refused while A has a live room with it, else A's own rows only."""
    numbers = set(Room.objects.filter(tenant=p.b.tenant).exclude(contact_number="").values_list("contact_number", flat=True))
    p.check(numbers, "tenant B has contacts to protect")
    for number in sorted(numbers):
        r = p.send(clients["admin"], "post", "contacts/erase/", {"number": number})
        p.check(r.status_code in (200, 409), f"POST contacts/erase/ <a number B holds>: {_json(r)}")


def campaign_world(w, label):
    """A contact list and a draft campaign of tenant `w` (B's names carry B's markers, so a leak shows)."""
    contact_list = campaigns_services.contact_list_import(tenant=w.tenant, name=f"Team {label} prospects",
                                                          file=io.BytesIO(b"phone,name\n2125550101,Ann\n"))
    campaign = campaigns_services.campaign_save(campaign=Campaign(tenant=w.tenant, name=f"SMS {label} news", point_of_contact=w.sms_poc,
                                                                  contact_list=contact_list, template="Hi {name}"))
    return contact_list, campaign


def handle_campaigns(p, method, path, clients, b_objects, a_objects):
    """Lists, campaigns and send rates: B's ids answer like missing ones, lists show A's rows only, and a write
    naming B's list or point of contact is refused as "does not exist"."""
    admin = clients["admin"]
    b_list, b_campaign = b_objects
    a_list, _ = a_objects
    resource = path.split("/")[0]
    b_id = {"contact-lists": b_list.pk, "campaigns": b_campaign.pk, "send-rates": p.b.sms_poc.pk}[resource]
    if "{id}" in path:
        body = {"name": "x", "point_of_contact": p.a.sms_poc.pk, "contact_list": a_list.pk, "template": "Hi", "rate": 2} \
            if method in ("put", "patch") else None
        p.same_as_missing(admin, method, path, b_id, body)
    elif method == "get":
        r = p.send(admin, "get", path)
        rows = r.json() if isinstance(r.json(), list) else r.json().get("results", [])
        key = "point_of_contact" if resource == "send-rates" else "id"
        p.check(r.status_code == 200 and b_id not in {row[key] for row in rows}, f"GET {path}: {_json(r)}")
    elif path == "campaigns/":
        good = {"name": p.uniq("Campaign"), "point_of_contact": p.a.sms_poc.pk, "contact_list": a_list.pk, "template": "Hi"}
        p.refused_ref(admin, "post", path, {**good, "point_of_contact": p.b.sms_poc.pk}, "point_of_contact")
        p.refused_ref(admin, "post", path, {**good, "contact_list": b_list.pk}, "contact_list")
    elif path == "campaigns/preview/":
        p.refused_ref(admin, "post", path, {"contact_list": b_list.pk, "template": "Hi"}, "contact_list")
    elif path == "contact-lists/":
        p.refused_ref(admin, "post", path, {"name": p.uniq("List"), "point_of_contact": p.b.sms_poc.pk}, "point_of_contact")


def handle_digital(p, method, path, clients):
    """Digital Experience routes for an ACD tenant's administrator: lists leak nothing of B's, an id
    that is not A's is refused, writes without a valid body change nothing (B's rows are compared at
    the end). tests/digital/ checks a Digital tenant's own cases, queues and filters against another's."""
    admin = clients["admin"]
    if "{id}" in path:
        r = p.send(admin, method, path.replace("{id}", str(MISSING)), {} if method in ("post", "put", "patch") else None)
        p.check(r.status_code in (403, 404), f"{method.upper()} {path} with an id not A's: {_json(r)}")
    elif method == "get":
        r = p.send(admin, "get", path)
        p.check(r.status_code in (200, 403), f"GET {path}: {_json(r)}")
    else:
        r = p.send(admin, method, path, {})
        p.check(400 <= r.status_code < 500, f"{method.upper()} {path} with an empty body: {_json(r)}")


def test_no_route_reaches_another_tenant(world_a, world_b, capsys):
    p = Probe(world_a, world_b)
    schema = api_schema()
    resources = config_resources(p)  # before B's rows are read: it makes B's contact card
    before = tenant_rows(world_b.tenant)
    clients = {"admin": world_a.client("admin"), "agent": world_a.client("agent")}
    admin = clients["admin"]
    covered, unknown = [], []
    b_campaigns, a_campaigns = campaign_world(world_b, "B"), campaign_world(world_a, "A")

    for full_path, ops in sorted(schema["paths"].items()):
        assert full_path.startswith("/api/v1/"), full_path
        path = full_path[len("/api/v1/"):]
        for method, op in sorted(ops.items()):
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            m = re.fullmatch(r"([a-z-]+)/", path)
            d = re.fullmatch(r"([a-z-]+)/\{id\}/", path)
            act = re.fullmatch(r"rooms/\{id\}/([a-z-]+/)", path)
            if m and m.group(1) in resources and method == "get":
                handle_list(p, m.group(1), op, clients)
            elif m and m.group(1) in resources and method == "post":
                handle_create(p, m.group(1), resources[m.group(1)], admin)
            elif d and d.group(1) in resources and method in ("get", "put", "patch", "delete"):
                handle_detail(p, d.group(1), resources[d.group(1)], method, admin)
            elif path == "rooms/" and method == "get":
                handle_list(p, "rooms", op, clients)
            elif path == "rooms/{id}/" and method == "get":
                handle_room_detail(p, "", method, clients)
            elif act and method in ROOM_ACTIONS.get(act.group(1), []):
                handle_room_detail(p, act.group(1), method, clients)
            elif path == "rooms/outbound/" and method == "post":
                handle_outbound(p, clients)
            elif path == "me/" and method == "get":
                handle_me(p, method, clients)
            elif path == "me/state/" and method in ("get", "put"):
                handle_me_state(p, method, clients)
            elif path == "activity/" and method == "get":
                handle_activity(p, clients)
            elif path == "users/{id}/state/" and method == "put":
                handle_user_state(p, clients)
            elif path == "forced-disconnect/" and method in ("get", "post"):
                handle_forced_disconnect(p, method, clients)
            elif path in ("audit-log/", "audit-log/{id}/") and method == "get":
                handle_audit_log(p, method, path, clients)
            elif path in ("reports/interactions/", "reports/agents/") and method == "get":
                handle_reports(p, path, clients)
            elif path == "contacts/erase/" and method == "post":
                handle_erase(p, clients)
            elif path.startswith("digital/"):
                handle_digital(p, method, path, clients)
            elif path.split("/")[0] in ("contact-lists", "campaigns", "send-rates"):
                handle_campaigns(p, method, path, clients, b_campaigns, a_campaigns)
            else:
                unknown.append(f"{method.upper()} {full_path}")
                continue
            covered.append(f"{method.upper()} {full_path}")

    after = tenant_rows(world_b.tenant)
    changed = sorted(k for k in before if before[k] != after.get(k))
    if changed:
        p.leak(f"B's rows changed: {changed}")
    report = {"paths": len(schema["paths"]), "routes_x_methods": len(covered), "attempts": p.attempts, "leaks": len(p.leaks)}
    with capsys.disabled():
        print(f"\n[isolation] {report}")
    from django.conf import settings

    (settings.BASE_DIR / "tests" / "artifacts").mkdir(exist_ok=True)
    (settings.BASE_DIR / "tests" / "artifacts" / "api_isolation.json").write_text(
        json.dumps({**report, "covered": covered, "leak_details": p.leaks}, indent=1))
    assert not unknown, f"the isolation test does not know how to exercise: {unknown}"
    assert p.leaks == [], "\n".join(p.leaks)
    assert len(covered) >= 40 and p.attempts >= 150, report
