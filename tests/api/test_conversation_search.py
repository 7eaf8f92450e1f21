"""Conversation search (issue 17, item 11): rooms/ filtered by number, words in the transcript,
skill, agent, date and disposition, through HTTP with the same filters on the search page; an agent
finds only their own conversations, a supervisor the tenant's; hostile input is a 4xx, never a 500.
Texts come in through the carrier webhook and are answered and ended through the REST API."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from routing.choices import RoomState
from routing.models import Room
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
API = "/api/v1/"


@pytest.fixture
def center(client):
    t = f.tenant()
    team = f.team(t, session_limit=5)
    porridge, billing = f.skill(t, "Porridge"), f.skill(t, "Billing")
    poc = f.sms_poc(t, "+12125550160", skill=porridge)
    bill_poc = f.sms_poc(t, "+12125550161", skill=billing)
    mama = f.agent(t, username="mama", team=team, skills=[porridge], state="available")
    papa = f.agent(t, username="papa", team=team, skills=[billing], state="available")
    c = {"t": t, "porridge": porridge, "billing": billing, "poc": poc, "mama": mama, "papa": papa, "client": client,
         "sup": f.user(t, username="sam", role="supervisor"), "admin": f.admin(t)}
    resolved = client_for(c["admin"]).post(f"{API}dispositions/", {"name": "Resolved"}, format="json").json()
    c["resolved"] = resolved["id"]

    def talk(poc, contact, body, agent, reply, disposition=None):
        post_inbound(client, poc, contact, body)
        room = Room.objects.get(contact_number=contact, state=RoomState.OFFERED)
        api = client_for(agent)
        assert api.post(f"{API}rooms/{room.pk}/accept/").status_code == 200
        assert api.post(f"{API}rooms/{room.pk}/messages/", {"body": reply}, format="json").status_code == 201
        if disposition is not None:
            ended = api.post(f"{API}rooms/{room.pk}/end/", {"disposition": disposition, "summary": "Cooled it"}, format="json")
            assert ended.status_code == 200
        return room.pk

    c["hot"] = talk(poc, "+12025550101", "My porridge is too hot", mama, "Blow on it gently", disposition=c["resolved"])
    c["cold"] = talk(poc, "+12025550102", "Cold one here", mama, "Warming it up")
    c["bill"] = talk(bill_poc, "+13035550103", "Invoice for the PORRIDGE please", papa, "Sent")
    # Another tenant with the same words: never found from here.
    other = f.tenant()
    o_skill = f.skill(other, "Porridge")
    o_poc = f.sms_poc(other, "+12125550170", skill=o_skill)
    f.agent(other, username="stranger", team=f.team(other), skills=[o_skill], state="available")
    post_inbound(client, o_poc, "+12025550101", "My porridge is too hot")
    c["stranger_sup"] = f.user(other, username="osup", role="supervisor")
    c["other_skill"] = o_skill
    return c


def found(user, **params):
    r = client_for(user).get(f"{API}rooms/", params)
    assert r.status_code == 200, r.content
    return {row["id"] for row in r.json()["results"]}


def test_supervisor_finds_the_tenants_conversations_by_each_filter(center):
    c = center
    sup = c["sup"]
    assert found(sup, text="porridge") == {c["hot"], c["bill"]}  # any case, in the contact's or an agent's words
    assert found(sup, text="blow on it") == {c["hot"]}
    assert found(sup, number="0101") == {c["hot"]}
    assert found(sup, number="+1 (303) 555") == {c["bill"]}  # punctuation in a number is ignored
    assert found(sup, number="2125550160") == {c["hot"], c["cold"]}  # the business number too
    assert found(sup, skill=c["billing"].pk) == {c["bill"]}
    assert found(sup, agent=c["mama"].pk) == {c["hot"], c["cold"]}
    assert found(sup, disposition=c["resolved"]) == {c["hot"]}
    today = timezone.localdate(timezone=timezone.get_current_timezone())
    assert found(sup, date_from=str(today - timedelta(days=1))) == {c["hot"], c["cold"], c["bill"]}
    assert found(sup, date_to=str(today - timedelta(days=2))) == set()
    assert found(sup, date_from="1000-01-01", date_to="9999-12-31") == {c["hot"], c["cold"], c["bill"]}
    assert found(sup, text="porridge", agent=c["mama"].pk, state="closed") == {c["hot"]}


def test_an_agent_finds_only_their_own_and_another_tenant_nothing(center):
    c = center
    assert found(c["mama"], text="porridge") == {c["hot"]}
    assert found(c["papa"], text="porridge") == {c["bill"]}
    assert found(c["papa"], number="0101") == set()
    assert found(c["stranger_sup"], text="blow on it") == set()
    # Another tenant's skill or disposition is not a valid choice: said, not silently ignored.
    r = client_for(c["sup"]).get(f"{API}rooms/", {"skill": c["other_skill"].pk})
    assert r.status_code == 400 and "skill" in r.json()
    r = client_for(c["stranger_sup"]).get(f"{API}rooms/", {"disposition": c["resolved"]})
    assert r.status_code == 400 and "disposition" in r.json()


@pytest.mark.parametrize("params", [
    {"text": "por\x00ridge"}, {"number": "\x00"}, {"date_from": "2026-13-45"}, {"date_to": "yesterday"}, {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"}, {"skill": "abc"}, {"agent": "99999999999999999999999"}, {"disposition": "-1"}, {"text": "x" * 5000},
    {"number": "٣٣"}, {"text": "%_\\'\"; DROP TABLE"}, {"page": "999"}, {"page": "x"}, {"state": "lost"},
])
def test_hostile_search_input_is_a_clear_4xx_or_an_empty_list(center, params):
    before = Room.objects.count()
    r = client_for(center["sup"]).get(f"{API}rooms/", params)
    assert r.status_code in (200, 400, 404), (params, r.status_code)
    if r.status_code == 200:
        assert isinstance(r.json()["results"], list)
    else:
        assert r.json()  # says what was wrong
    browser = Client()
    browser.force_login(center["sup"])
    page = browser.get("/conversations/", params)
    assert page.status_code in (200, 400), (params, page.status_code)
    assert Room.objects.count() == before


def test_search_page_lists_matches_and_opens_the_transcript(center):
    c = center
    sup = Client()
    sup.force_login(c["sup"])
    page = sup.get("/conversations/", {"text": "porridge", "skill": "", "agent": "", "date_from": ""})  # a form's empty fields: "any"
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="search-row"') == 2 and "2 conversations" in html
    assert f'href="/conversations/{c["hot"]}/"' in html
    transcript = sup.get(f"/conversations/{c['hot']}/").content.decode()
    for piece in ("My porridge is too hot", "Blow on it gently", "Resolved", "Cooled it"):
        assert piece in transcript, piece

    bad = sup.get("/conversations/", {"date_from": "2026-02-31"})
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()

    mama = Client()
    mama.force_login(c["mama"])
    assert mama.get("/conversations/", {"number": "555"}).content.decode().count('data-testid="search-row"') == 2
    assert mama.get(f"/conversations/{c['bill']}/").status_code == 404  # papa's conversation
    stranger = Client()
    stranger.force_login(c["stranger_sup"])
    assert stranger.get(f"/conversations/{c['hot']}/").status_code == 404
    assert Client().get("/conversations/").status_code == 302  # sign in first


def test_the_transcript_shows_internal_notes_in_order_marked_never_sent(center):
    c = center
    mama = client_for(c["mama"])
    r = mama.post(f"{API}rooms/{c['cold']}/notes/", {"body": "Regular: likes it lukewarm"}, format="json")
    assert r.status_code == 201, r.content
    sup = Client()
    sup.force_login(c["sup"])
    html = sup.get(f"/conversations/{c['cold']}/").content.decode()
    assert html.count('data-testid="transcript-note"') == 1 and "Internal note · never sent · mama" in html
    assert html.index("Cold one here") < html.index("Warming it up") < html.index("Regular: likes it lukewarm")
