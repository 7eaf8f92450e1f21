import pytest

from digital.models import Case
from tests.digital.world import digital_world
from tests.hub import post_inbound

pytestmark = pytest.mark.django_db


def test_smoke(client):
    w = digital_world()
    r = post_inbound(client, w.poc, "+12125550001", "Hi #adventureme please")
    assert r.status_code == 200, r.content
    case = Case.objects.get()
    print(case.__dict__)
    assert case.queue == w.prospects
    assert case.agent is not None
