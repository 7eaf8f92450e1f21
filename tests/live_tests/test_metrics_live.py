"""/metrics across processes: two daphne servers share PROMETHEUS_MULTIPROC_DIR, and a scrape of
either adds up what both counted. Also the JSON log lines a server writes with CXSMS_LOG_FORMAT=json."""
import json
import os
import tempfile

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.live import LiveServer

pytestmark = pytest.mark.live
TOKEN = "live-metrics-token-0123456789"


def webhook_count(server, status_class):
    r = requests.get(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert r.status_code == 200, r.text
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == "cxsms_webhook_seconds_count" and s.labels == {"webhook": "twilio_sms", "status": status_class}:
                return s.value
    return 0.0


def test_two_processes_are_scraped_as_one():
    folder = tempfile.mkdtemp(prefix="cxsms-prom-")
    env = {"PROMETHEUS_MULTIPROC_DIR": folder, "CXSMS_METRICS_TOKEN": TOKEN, "CXSMS_LOG_FORMAT": "json", "CXSMS_LOG_LEVEL": "INFO"}
    first = LiveServer(env=env, demo=False).start()
    try:
        second = LiveServer(env={**env, "DATABASE_URL": first.env["DATABASE_URL"]}, demo=False).start()
        try:
            # Unsigned texts: each answered 403 and timed as a refused webhook.
            for server, n in ((first, 2), (second, 3)):
                for i in range(n):
                    r = requests.post(server.url + "/hooks/twilio/sms/", data={"MessageSid": f"SM{i}", "From": "+12025550101",
                                                                              "To": "+12125550100", "Body": "hi"},
                                      headers={"X-Request-ID": f"probe-{server.port}-{i}"}, timeout=10)
                    assert r.status_code == 403 and r.headers["X-Request-ID"] == f"probe-{server.port}-{i}"
            assert webhook_count(first, "4xx") == 5
            assert webhook_count(second, "4xx") == 5
            assert {name.split("_")[0] for name in os.listdir(folder)} >= {"counter", "histogram"}
        finally:
            second.stop()
        # The refusals were logged as JSON lines carrying the id the request came with.
        lines = [json.loads(line) for line in second.log_text().splitlines() if line.startswith("{")]
        refused = [line for line in lines if line.get("message", "").startswith("webhook refused")]
        assert {line["request_id"] for line in refused} == {f"probe-{second.port}-{i}" for i in range(3)}
        assert all(line["level"] == "WARNING" and line["logger"] == "cxsms.webhooks" and "hi" not in line["message"] for line in refused)
        # The stopped process's counts stay (counters are totals since the folder was created).
        assert webhook_count(first, "4xx") == 5
    finally:
        first.stop()
