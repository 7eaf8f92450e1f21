"""The README's tour: Young Adventurers' prospects text #ADVENTUREME and tommy answers in the inbox."""
import pytest
from django.core.management import call_command
from digital.models import Case, Queue
from routing.models import PointOfContact, User

from tests.hub import post_inbound

pytestmark = pytest.mark.django_db


def test_demo_queues_and_a_prospect_reaching_tommy(client):
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # idempotent
    queues = {q.name: (q.priority, q.is_fallback, sorted(a.username for a in q.agents.all())) for q in Queue.objects.all()}
    assert queues == {"Prospects": (1, False, ["albert", "tommy"]), "General": (2, True, ["albert", "tommy"])}
    tommy = User.objects.get(username="tommy")
    client.force_login(tommy)
    assert client.put("/api/v1/me/state/", {"state": "available"}, content_type="application/json").status_code == 200
    poc = PointOfContact.objects.get(number="+14155550199")
    assert post_inbound(client, poc, "+14155550123", "#ADVENTUREME what trips do you have?").status_code == 200
    case = Case.objects.get()
    assert (case.queue.name, case.agent) == ("Prospects", tommy)
