"""R15 scaled out: two daphne processes and a worker on one PostgreSQL + Redis. 100 texts from 100
numbers, sent in parallel to both processes, against 5 available agents with a concurrent-case limit
of 3: exactly 15 cases are given to agents (3 each, each once) and 85 wait in their queue."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.pg.cluster import Cluster

pytestmark = pytest.mark.pg

YA_NUMBER = "+14155550199"
SETUP = """
from routing import services
from routing.acd import agents as acd
from routing.models import Tenant, User
from digital import services as ds
from digital.models import Queue
t = Tenant.objects.get(slug="young-adventurers"); t.case_limit = 3; services.object_save(instance=t)
people = list(User.objects.filter(tenant=t, role="agent"))
for i in range(5 - len(people)):
    people.append(services.user_save(user=User(tenant=t, username=f"extra{i}", role="agent"), password="Sturdy-pass-1234!", skills=[]))
for q in Queue.objects.filter(tenant=t):
    ds.queue_save(instance=q, agents=people)
for p in people:
    acd.agent_set_state(agent=p, state="available")
from routing.models import PointOfContact as P
a = P.objects.get(number="%s").carrier_account
print(json.dumps([a.account_sid, a.auth_token]))
""" % YA_NUMBER
COUNT = """
from collections import Counter
from digital.models import Case, CaseEntry
cases = Case.objects.filter(tenant__slug="young-adventurers")
print(json.dumps({"cases": cases.count(), "assigned": cases.filter(agent__isnull=False).count(),
                  "waiting": cases.filter(agent__isnull=True, state="new").count(),
                  "per_agent": sorted(Counter(cases.filter(agent__isnull=False).values_list("agent_id", flat=True)).values()),
                  "offers": CaseEntry.objects.filter(case__in=cases, kind="assigned").count()}))
"""


def post_text(url, sid, token, contact, n):
    hook = url + "/hooks/twilio/sms/"
    params = {"MessageSid": "SMdx%030d" % n, "AccountSid": sid, "From": contact, "To": YA_NUMBER, "Body": "#ADVENTUREME hi",
              "NumMedia": "0"}
    signature = RequestValidator(token).compute_signature(hook, params)
    return requests.post(hook, data=params, headers={"X-Twilio-Signature": signature}, timeout=30).status_code


def test_hundred_parallel_texts_on_two_processes_fill_five_agents_to_their_limit():
    with Cluster(processes=2, name="digital") as cluster:
        sid, token = json.loads(cluster.shell("import json\n" + SETUP).strip().splitlines()[-1])
        jobs = [(cluster.urls[i % 2], f"+1415558{i:04d}", i) for i in range(100)]
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(lambda j: post_text(j[0], sid, token, j[1], j[2]), jobs))
        assert statuses == [200] * 100
        deadline, seen = time.time() + 60, None
        while time.time() < deadline:  # the worker dispatches after each text; wait until it has settled
            seen = json.loads(cluster.shell("import json\n" + COUNT).strip().splitlines()[-1])
            if seen["assigned"] >= 15:
                break
            time.sleep(1)
        time.sleep(3)  # two more sweeps: nothing may be added once everyone is full
        seen = json.loads(cluster.shell("import json\n" + COUNT).strip().splitlines()[-1])
        assert seen == {"cases": 100, "assigned": 15, "waiting": 85, "per_agent": [3, 3, 3, 3, 3], "offers": 15}, cluster.log_text()[-3000:]
