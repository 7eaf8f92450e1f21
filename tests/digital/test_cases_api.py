"""Cases through the real entry points: a signed Twilio webhook in, the REST API for agents and supervisors."""
from datetime import timedelta

import pytest
from django.utils import timezone
from digital.models import Case
from routing import jobs
from routing.choices import MessageStatus, RoomState
from routing.models import Message, Room

from tests import factories as f
from tests.digital.world import digital_world
from tests.hub import post_inbound

pytestmark = pytest.mark.django_db
API = "/api/v1/digital/"


def text(client, w, number, body):
    r = post_inbound(client, w.poc, number, body)
    assert r.status_code == 200, r.content


def as_user(client, user):
    client.force_login(user)
    return client


def the_case(number):
    return Case.objects.exclude(state="closed").get(contact_number=number)


def test_first_text_opens_a_case_in_the_filters_queue_offered_to_an_agent_who_accepts_and_replies(client):
    w = digital_world()
    text(client, w, "+12125550001", "Hello #AdventureMe, tell me more")
    case = the_case("+12125550001")
    assert case.queue == w.prospects and case.state == "new" and case.agent in (w.tommy, w.ann)
    agent = case.agent
    c = as_user(client, agent)
    listed = c.get(API + "cases/?assigned=me").json()["results"]
    assert [x["id"] for x in listed] == [case.id] and listed[0]["unread"] == 1
    r = c.post(API + f"cases/{case.id}/messages/", {"body": "hi"}, content_type="application/json")
    assert r.status_code == 400 and "Accept the case first" in r.json()["body"][0]
    r = c.post(API + f"cases/{case.id}/accept/", content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["expires_at"]
    r = c.post(API + f"cases/{case.id}/messages/", {"body": "Happy to help!"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["direction"] == "outbound"
    sent = Message.objects.get(body="Happy to help!")
    assert sent.room_id == case.room_id and sent.contact_number == "+12125550001" and sent.status != MessageStatus.PENDING
    detail = c.get(API + f"cases/{case.id}/").json()
    assert [m["body"] for m in detail["messages"]] == ["Hello #AdventureMe, tell me more", "Happy to help!"]
    kinds = [(e["kind"], e["from_state"], e["to_state"]) for e in detail["entries"]]
    assert kinds[0] == ("opened", None, "new") and ("accepted", "new", "open") in kinds
    assert detail["unread"] == 0


def test_a_text_without_the_keyword_goes_to_the_fallback_queue(client):
    w = digital_world()
    text(client, w, "+12125550002", "Where is my order?")
    assert the_case("+12125550002").queue == w.general


def test_no_agent_gets_more_cases_than_their_limit_and_a_freed_place_takes_the_oldest_waiting(client):
    w = digital_world(case_limit=1)
    for i in range(4):
        text(client, w, f"+1212555010{i}", f"Question {i}")
    assigned = Case.objects.filter(agent__isnull=False)
    assert assigned.count() == 2 and {c.agent for c in assigned} == {w.tommy, w.ann}
    waiting = list(Case.objects.filter(agent__isnull=True).order_by("waiting_since"))
    assert len(waiting) == 2
    mine = Case.objects.get(agent=w.tommy)
    c = as_user(client, w.tommy)
    assert c.post(API + f"cases/{mine.id}/accept/").status_code == 200
    # Pending does not count: the oldest waiting case comes to tommy at once.
    r = c.post(API + f"cases/{mine.id}/state/", {"state": "pending"}, content_type="application/json")
    assert r.status_code == 200
    assert Case.objects.get(pk=waiting[0].pk).agent == w.tommy
    # Back to open would put tommy over his limit: refused, with the reason.
    r = c.post(API + f"cases/{mine.id}/state/", {"state": "open"}, content_type="application/json")
    assert r.status_code == 400 and "limit" in r.json()["agent"][0]
    assert Case.objects.get(pk=mine.pk).state == "pending"


def test_between_equal_loads_the_agent_idle_longest_gets_the_case(client):
    w = digital_world()

    def handle(number, body):
        text(client, w, number, body)
        case = the_case(number)
        c = as_user(client, case.agent)
        assert c.post(API + f"cases/{case.id}/accept/").status_code == 200
        assert c.post(API + f"cases/{case.id}/state/", {"state": "resolved"}, content_type="application/json").status_code == 200
        return case.agent

    # Each time both hold no counting case: the one who got work last has been idle the shorter time.
    first = handle("+12125550151", "first")
    second = handle("+12125550152", "second")
    assert {first, second} == {w.tommy, w.ann}
    # Becoming available again starts one's idle time anew, as in ACD routing: `first` is now the fresher.
    for state in ("unavailable", "available"):
        r = as_user(client, first).put("/api/v1/me/state/", {"state": state}, content_type="application/json")
        assert r.status_code == 200, r.content
    assert handle("+12125550153", "third") == second


def test_per_user_case_limit_overrides_the_tenants(client):
    w = digital_world(case_limit=1)
    r = as_user(client, w.admin).patch(f"/api/v1/users/{w.tommy.id}/", {"case_limit": 3}, content_type="application/json")
    assert r.status_code == 200 and r.json()["case_limit"] == 3
    w.ann.delete()
    for i in range(4):
        text(client, w, f"+1212555020{i}", f"Question {i}")
    assert Case.objects.filter(agent=w.tommy).count() == 3
    assert Case.objects.filter(agent__isnull=True).count() == 1


def test_reject_and_offer_timeout_pass_the_case_to_the_next_agent(client, settings):
    w = digital_world()
    text(client, w, "+12125550301", "hello")
    case = the_case("+12125550301")
    first = case.agent
    other = w.ann if first == w.tommy else w.tommy
    r = as_user(client, first).post(API + f"cases/{case.id}/reject/")
    assert r.status_code == 200
    case.refresh_from_db()
    assert case.agent == other
    jobs.sweep(case.offer_expires_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.agent is None and case.state == "new"  # both passed: it waits for a supervisor or a new agent
    kinds = list(case.entries.values_list("kind", flat=True))
    assert "rejected" in kinds and "lapsed" in kinds


def test_resolved_case_reopens_on_a_text_and_prefers_the_agent_who_resolved_it(client):
    w = digital_world()
    text(client, w, "+12125550401", "first")
    case = the_case("+12125550401")
    agent = case.agent
    c = as_user(client, agent)
    c.post(API + f"cases/{case.id}/accept/")
    assert c.post(API + f"cases/{case.id}/state/", {"state": "resolved"}, content_type="application/json").status_code == 200
    # Another case arrives meanwhile and goes to the other agent (fewest open cases): the preference is what brings it back.
    text(client, w, "+12125550401", "one more thing")
    case.refresh_from_db()
    assert case.state == "new" and case.agent == agent
    assert list(case.entries.values_list("kind", flat=True)).count("reopened") == 1
    assert [m.body for m in Message.objects.filter(room=case.room)] == ["first", "one more thing"]


def test_inactivity_timer_closes_the_case_and_a_later_text_opens_a_new_case_with_history(client):
    w = digital_world()
    text(client, w, "+12125550501", "first")
    case = the_case("+12125550501")
    c = as_user(client, case.agent)
    c.post(API + f"cases/{case.id}/accept/")
    c.post(API + f"cases/{case.id}/messages/", {"body": "answer"}, content_type="application/json")
    case.refresh_from_db()
    due = case.expires_at
    assert due > timezone.now() + timedelta(hours=1, minutes=59)
    jobs.sweep(due - timedelta(seconds=5))
    case.refresh_from_db()
    assert case.state == "open"
    jobs.sweep(due + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.state == "closed" and case.closed_at is not None
    assert Room.objects.get(pk=case.room_id).state == RoomState.CLOSED
    assert c.get(API + "cases/counts/").json()["mine"].get("open", 0) == 0
    text(client, w, "+12125550501", "back again")
    new = the_case("+12125550501")
    assert new.pk != case.pk and new.room_id != case.room_id
    history = as_user(client, new.agent).get(API + f"cases/{new.id}/history/").json()
    assert [h["id"] for h in history] == [case.id]
    assert [m["body"] for m in history[0]["messages"]] == ["first", "answer"]


def test_a_text_resets_the_timer(client):
    w = digital_world()
    text(client, w, "+12125550601", "first")
    case = the_case("+12125550601")
    as_user(client, case.agent).post(API + f"cases/{case.id}/accept/")
    case.refresh_from_db()
    before = case.expires_at
    text(client, w, "+12125550601", "still there?")
    case.refresh_from_db()
    assert case.expires_at > before and case.unread == 1


def test_stop_is_stored_on_the_case_and_a_reply_is_refused_with_the_reason(client):
    w = digital_world()
    text(client, w, "+12125550701", "hello")
    case = the_case("+12125550701")
    c = as_user(client, case.agent)
    c.post(API + f"cases/{case.id}/accept/")
    text(client, w, "+12125550701", "STOP")
    bodies = [m["body"] for m in c.get(API + f"cases/{case.id}/messages/").json()]
    assert "STOP" in bodies and any("unsubscribed" in b for b in bodies)
    r = c.post(API + f"cases/{case.id}/messages/", {"body": "wait"}, content_type="application/json")
    assert r.status_code == 400 and "opted out" in str(r.json()).lower()
    assert not Message.objects.filter(body="wait").exists()


def test_a_bare_keyword_opens_no_case(client):
    w = digital_world()
    text(client, w, "+12125550801", "HELP")
    assert not Case.objects.exists()


def test_closing_a_case_by_hand_ends_its_room_and_frees_the_place(client):
    w = digital_world(case_limit=1)
    w.ann.delete()
    text(client, w, "+12125550901", "a")
    text(client, w, "+12125550902", "b")
    first = Case.objects.get(agent=w.tommy)
    c = as_user(client, w.tommy)
    c.post(API + f"cases/{first.id}/accept/")
    r = c.post(API + f"cases/{first.id}/state/", {"state": "closed"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert Room.objects.get(pk=first.room_id).state == RoomState.CLOSED
    assert Case.objects.get(contact_number="+12125550902").agent == w.tommy


def test_notes_assign_transfer_and_supervisor_assigns_a_waiting_case(client):
    w = digital_world(case_limit=1)
    f_agent = f.agent(w.tenant, username=f"carl{w.tenant.pk}")
    text(client, w, "+12125551001", "a")
    text(client, w, "+12125551002", "b")
    text(client, w, "+12125551003", "c")
    waiting = Case.objects.get(agent__isnull=True)
    sup = as_user(client, w.supervisor)
    r = sup.post(API + f"cases/{waiting.id}/assign/", {"agent": w.tommy.id}, content_type="application/json")
    assert r.status_code == 400 and "limit" in r.json()["agent"][0]
    r = sup.post(API + f"cases/{waiting.id}/assign/", {"agent": f_agent.id, "note": "VIP, be kind"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["agent"] == f_agent.id
    entry = r.json()["entries"][-1]
    assert (entry["kind"], entry["body"], entry["actor"], entry["agent"]) == (
        "assigned", "VIP, be kind", w.supervisor.username, f_agent.username)
    tommys = Case.objects.get(agent=w.tommy)
    c = as_user(client, w.tommy)
    r = c.post(API + f"cases/{tommys.id}/notes/", {"body": "Called back twice"}, content_type="application/json")
    assert r.status_code == 201
    assert not Message.objects.filter(body="Called back twice").exists()
    r = c.post(API + f"cases/{tommys.id}/assign/", {"queue": w.general.id, "note": "not mine"}, content_type="application/json")
    assert r.status_code == 200
    tommys.refresh_from_db()
    assert tommys.agent != w.tommy  # back in the queue; routed again (never to someone over the limit)
    assert c.post(API + f"cases/{tommys.id}/notes/", {"body": ""}, content_type="application/json").status_code in (400, 403)


def test_pull_gives_me_more_while_under_the_limit(client):
    w = digital_world(case_limit=2, available=False)
    text(client, w, "+12125551101", "a")
    text(client, w, "+12125551102", "b")
    text(client, w, "+12125551103", "c")
    c = as_user(client, w.tommy)
    got = [c.post(API + "cases/pull/").json()["id"] for _ in range(2)]
    assert len(set(got)) == 2
    r = c.post(API + "cases/pull/")
    assert r.status_code == 400 and "limit" in r.json()["agent"][0]


def test_outbound_case_from_a_us_long_code_takes_the_contacts_answer(client):
    w = digital_world()
    c = as_user(client, w.tommy)
    r = c.post(API + "cases/outbound/", {"point_of_contact": w.poc.id, "contact_number": "(212) 555-1201", "body": "Your trip is booked"},
               content_type="application/json")
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.json()["id"])
    assert case.agent == w.tommy and case.state == "open" and case.contact_number == "+12125551201"
    text(client, w, "+12125551201", "Great, thanks")
    case.refresh_from_db()
    assert case.room_id is not None and Case.objects.count() == 1
    assert [m["body"] for m in c.get(API + f"cases/{case.id}/messages/").json()] == ["Your trip is booked", "Great, thanks"]
    r = c.post(API + "cases/outbound/", {"point_of_contact": w.poc.id, "contact_number": "not a number", "body": "x"},
               content_type="application/json")
    assert r.status_code == 400


def test_bad_input_is_a_clear_400_and_other_tenants_cases_are_404(client):
    w = digital_world()
    other = digital_world()
    text(client, other, "+12125551301", "theirs")
    theirs = Case.objects.get()
    c = as_user(client, w.tommy)
    assert c.get(API + f"cases/{theirs.id}/").status_code == 404
    assert c.post(API + f"cases/{theirs.id}/accept/").status_code == 404
    assert c.get(API + "cases/?state=bogus").status_code == 400
    assert c.get(API + "cases/abc/").status_code == 404
    text(client, w, "+12125551302", "mine")
    mine = Case.objects.get(tenant=w.tenant)
    c = as_user(client, mine.agent)
    assert c.post(API + f"cases/{mine.id}/state/", {"state": "sideways"}, content_type="application/json").status_code == 400
    assert c.post(API + f"cases/{mine.id}/messages/", {"body": 5}, content_type="application/json").status_code == 400
    assert c.post(API + f"cases/{mine.id}/assign/", {}, content_type="application/json").status_code == 400
    r = c.post(API + f"cases/{mine.id}/assign/", {"queue": other.general.id}, content_type="application/json")
    assert r.status_code == 400
    assert Case.objects.get(pk=mine.pk).agent == mine.agent


def test_search_by_number_text_and_tag(client):
    w = digital_world()
    text(client, w, "+12125551401", "about the canoe")
    text(client, w, "+12125551402", "about the tent")
    c = as_user(client, w.supervisor)
    r = c.post(API + "contacts/", {"number": "+12125551402", "name": "Rita", "tags": "vip, camper"}, content_type="application/json")
    assert r.status_code == 201, r.content

    def found(q):
        return [x["contact_number"] for x in c.get(API + "cases/", {"q": q}).json()["results"]]
    assert found("canoe") == ["+12125551401"]
    assert found("camper") == ["+12125551402"]
    assert found("5551401") == ["+12125551401"]
    assert found("Rita") == ["+12125551402"]


def test_a_forced_disconnect_closes_every_live_case_and_frees_the_agents(client):
    """R10 in a Digital tenant: the confirmation counts the cases (also one an agent started that has no
    room yet); every case closes with its room, the history says why, the transcript is kept, the agents'
    places are free, and the contact's next text opens a new case."""
    w = digital_world()
    text(client, w, "+12125551401", "first #AdventureMe")
    text(client, w, "+12125551402", "second")
    accepted = the_case("+12125551401")
    as_user(client, accepted.agent).post(API + f"cases/{accepted.id}/accept/")
    r = as_user(client, w.tommy).post(API + "cases/outbound/", {"point_of_contact": w.poc.id, "contact_number": "+12125551403",
                                                                "body": "Your trip is booked"}, content_type="application/json")
    assert r.status_code == 201
    admin = as_user(client, w.admin)
    assert admin.get("/api/v1/forced-disconnect/").json() == {"active": 3}
    assert admin.post("/api/v1/forced-disconnect/").json() == {"ended": 3}
    cases = list(Case.objects.filter(tenant=w.tenant))
    assert [c.state for c in cases] == ["closed"] * 3
    for c in cases:
        assert list(c.entries.values_list("kind", flat=True))[-1] == "forced"
        if c.room_id:
            assert (c.room.state, c.room.close_reason, c.room.transcript_kept) == (RoomState.CLOSED, "forced_disconnect", True)
    assert admin.get(API + "cases/counts/").json()["states"].get("open", 0) == 0
    assert admin.get("/api/v1/forced-disconnect/").json() == {"active": 0}
    text(client, w, "+12125551401", "hello again")
    assert the_case("+12125551401").state == "new" and Case.objects.filter(contact_number="+12125551401").count() == 2
