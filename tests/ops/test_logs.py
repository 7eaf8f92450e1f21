"""Log lines: JSON when CXSMS_LOG_FORMAT=json, plain by default, each with the request id (and the
tenant and room a block names); the id comes back in X-Request-ID."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SNIPPET = """
import logging
from routing.ops.logs import log_context, request_context
log = logging.getLogger("cxsms.test")
log.info("outside")
with request_context("req-12345678"), log_context(tenant_id=3, room_id=9):
    log.info("room %s routed", 9)
"""


def run_shell(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    full.update(env)
    return subprocess.run([sys.executable, "manage.py", "shell", "-c", SNIPPET], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=120)


def test_json_lines_carry_the_request_id_tenant_and_room():
    done = run_shell(CXSMS_LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [(line["message"], line["request_id"]) for line in lines] == [("outside", "-"), ("room 9 routed", "req-12345678")]
    assert lines[1]["tenant_id"] == 3 and lines[1]["room_id"] == 9 and lines[1]["level"] == "INFO" and lines[1]["logger"] == "cxsms.test"
    assert "tenant_id" not in lines[0] and lines[0]["time"]


def test_plain_lines_are_the_default():
    done = run_shell()
    assert done.returncode == 0, done.stderr
    assert " INFO cxsms.test [req-12345678] room 9 routed" in done.stderr and " INFO cxsms.test [-] outside" in done.stderr
    assert "{" not in done.stderr


def test_an_unknown_format_is_refused_at_start():
    done = run_shell(CXSMS_LOG_FORMAT="xml")
    assert done.returncode != 0 and "CXSMS_LOG_FORMAT must be plain or json" in done.stderr


@pytest.mark.django_db
def test_every_response_names_its_request_id(client):
    mine = client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert mine["X-Request-ID"] == "lb-0123456789abcdef"
    fresh = client.get("/login/")
    assert len(fresh["X-Request-ID"]) == 32
    for forged in ("x", "a b c d e f g h", "<script>alert(1)</script>", "z" * 65):
        assert client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"] != forged
