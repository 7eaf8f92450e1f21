"""Transcript retention over a scripted history: texts exchanged 40 and 10 days ago through the
webhook and the API, then `manage.py transcripts_prune` with a 30-day policy."""
import html
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from routing.acd.offers import room_accept
from routing.audit.models import AuditEntry
from routing.choices import Direction, RoomState
from routing.hub.outbound import message_send
from routing.hub.rooms import room_end
from routing.models import Message, RetentionRun, Room, Tenant, TranscriptRollup
from routing.ops.retention import transcripts_prune
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


@pytest.fixture
def line():
    t = f.tenant(slug="retention-porridge")
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    return t, poc, agent


def conversation(client, poc, agent, contact, days_ago, replies=1):
    """A contact texts, the agent accepts, answers and ends, `days_ago` days ago."""
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        post_inbound(client, poc, contact, "Is the porridge too hot?")
        room = Room.objects.get(contact_number=contact, state=RoomState.OFFERED)
        room_accept(room=room, agent=agent)
        for i in range(replies):
            message_send(room=room, author=agent, body=f"Let me check, {i}")
        post_inbound(client, poc, contact, "Thanks")
        room_end(room=Room.objects.get(pk=room.pk), actor=agent)
    return Room.objects.get(pk=room.pk)


def counts(room):
    """What a report reads from a room's messages, plus its rollup once they are gone."""
    msgs = Message.objects.filter(room=room)
    rollup = TranscriptRollup.objects.filter(room=room).first()
    return {
        "in": msgs.filter(direction=Direction.INBOUND).count() + (rollup.messages_in if rollup else 0),
        "out": msgs.filter(direction=Direction.OUTBOUND).count() + (rollup.messages_out if rollup else 0),
        "segments_out": sum(m.segments for m in msgs.filter(direction=Direction.OUTBOUND)) + (rollup.segments_out if rollup else 0),
    }


def test_old_transcripts_go_recent_ones_stay_and_counts_are_kept(client, line):
    t, poc, agent = line
    old = [conversation(client, poc, agent, f"+1202555010{i}", days_ago=40, replies=i + 1) for i in range(3)]
    recent = conversation(client, poc, agent, "+12025550109", days_ago=10)
    before = {room.pk: counts(room) for room in [*old, recent]}
    recent_messages = list(Message.objects.filter(room=recent).values_list("id", "body"))
    assert before[old[2].pk] == {"in": 2, "out": 3, "segments_out": 3}

    Tenant.objects.filter(pk=t.pk).update(transcript_retention_days=30)
    out = io.StringIO()
    call_command("transcripts_prune", "--batch-size", "2", stdout=out)  # two transactions for three rooms
    assert f"{t.slug}: 3 conversations, 12 messages deleted" in out.getvalue()

    assert not Message.objects.filter(room__in=old).exists()
    assert list(Message.objects.filter(room=recent).values_list("id", "body")) == recent_messages
    assert {room.pk: counts(room) for room in [*old, recent]} == before
    assert Room.objects.filter(pk__in=[r.pk for r in old], state=RoomState.CLOSED, transcript_kept=False).count() == 3
    rollup = TranscriptRollup.objects.get(room=old[0])
    assert None not in (rollup.first_inbound_at, rollup.first_agent_reply_at)
    assert rollup.first_inbound_at <= rollup.first_agent_reply_at <= rollup.last_message_at
    run = RetentionRun.objects.get(tenant=t)
    assert (run.rooms, run.messages) == (3, 3 * 2 + 1 + 2 + 3) and run.finished_at is not None

    # A second run finds nothing left to do.
    transcripts_prune()
    assert RetentionRun.objects.filter(tenant=t).first().rooms == 0 and TranscriptRollup.objects.count() == 3


def test_pruned_conversations_leave_previous_conversations(client, line):
    t, poc, agent = line
    old = conversation(client, poc, agent, "+12025550101", days_ago=40)
    recent = conversation(client, poc, agent, "+12025550101", days_ago=5)
    post_inbound(client, poc, "+12025550101", "Me again")
    current = room_accept(room=Room.objects.get(state=RoomState.OFFERED), agent=agent)
    api = APIClient()
    api.force_authenticate(agent)
    assert [h["id"] for h in api.get(f"/api/v1/rooms/{current.pk}/history/").json()] == [recent.pk, old.pk]
    Tenant.objects.filter(pk=t.pk).update(transcript_retention_days=30)
    transcripts_prune()
    assert [h["id"] for h in api.get(f"/api/v1/rooms/{current.pk}/history/").json()] == [recent.pk]
    assert Message.objects.filter(room=current).count() == 1  # an open room is never touched


def test_tenants_without_a_period_keep_everything(client, line):
    t, poc, agent = line
    conversation(client, poc, agent, "+12025550101", days_ago=4000)
    other = f.tenant(transcript_retention_days=1)
    transcripts_prune()
    assert Message.objects.filter(tenant=t).count() == 3
    assert not RetentionRun.objects.filter(tenant=t).exists() and RetentionRun.objects.filter(tenant=other).exists()


# --- console -----------------------------------------------------------------------------------------

def settings_data(**kw):
    data = {"time_zone": "America/New_York", "save_transcripts": "on", "sms_delivery": "acd", "help_reply": "Help!",
            "opt_out_reply": "Bye.", "opt_in_reply": "Hi again.", "case_limit": 5}
    data.update(kw)
    return data


def page_text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())))


def test_console_sets_the_period_shows_the_last_run_and_audits_the_change(client, line):
    t, poc, agent = line
    client.force_login(f.admin(t))
    page = page_text(client.get(reverse("console:settings")))
    assert "Transcripts are kept forever." in page and "Not run yet." in page

    response = client.post(reverse("console:settings"), settings_data(transcript_retention_days="30"), follow=True)
    assert "Tenant settings saved." in page_text(response)
    assert Tenant.objects.get(pk=t.pk).transcript_retention_days == 30
    entry = AuditEntry.objects.filter(tenant_id=t.pk, changes__icontains="transcript_retention_days").get()
    assert entry.changes_dict["transcript_retention_days"] == ["None", "30"] and entry.actor_name

    conversation(client, poc, agent, "+12025550101", days_ago=31)
    with time_machine.travel(timezone.now().replace(hour=3, minute=0), tick=False):
        transcripts_prune()
    page = page_text(client.get(reverse("console:settings")))
    assert "ended more than 30 days ago are deleted every night" in page
    assert re.search(r"Last run \d{4}-\d\d-\d\d \d\d:\d\d E[SD]T: 1 conversation, 3 messages deleted\.", page), page


@pytest.mark.parametrize("bad", ["0", "-3", "thirty", "36501"])
def test_a_bad_period_is_refused_next_to_the_field(client, line, bad):
    t, _, _ = line
    client.force_login(f.admin(t))
    response = client.post(reverse("console:settings"), settings_data(transcript_retention_days=bad))
    assert response.status_code == 200 and 'id="id_transcript_retention_days"' in response.content.decode()
    assert "errorlist" in response.content.decode() or "field-error" in response.content.decode()
    assert Tenant.objects.get(pk=t.pk).transcript_retention_days is None
