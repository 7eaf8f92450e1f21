"""The production configuration (CXSMS_DEBUG=0): `check --deploy` clean, security headers and a
Content-Security-Policy on every page, and static files under hashed names served by whitenoise
from a collectstatic folder, in a real daphne process. docs/deployment.md, docs/security.md."""
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from tests.live import ROOT, live_server

pytestmark = pytest.mark.live


def production_env(**extra):
    env = {"CXSMS_DEBUG": "0", "CXSMS_SECRET_KEY": secrets.token_urlsafe(50), "CXSMS_ALLOWED_HOSTS": "cxsms.example.com,127.0.0.1"}
    return dict(env, **extra)


def manage(env, *args):
    full = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    full.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.parametrize("extra", [{}, {"CXSMS_BEHIND_PROXY": "1"}], ids=["direct", "behind-proxy"])
def test_check_deploy_is_clean_in_production(extra):
    r = manage(production_env(**extra), "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_check_deploy_names_what_an_operator_switched_off():
    # The switches are real: turning secure cookies and HSTS off is reported again.
    r = manage(production_env(CXSMS_SECURE_COOKIES="0", CXSMS_HSTS_SECONDS="0"), "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode != 0
    assert "security.W004" in r.stderr + r.stdout and "security.W012" in r.stderr + r.stdout


@pytest.fixture(scope="module")
def production():
    """collectstatic into a fresh folder, then daphne with the production settings behind a TLS proxy
    (requests carry X-Forwarded-Proto: https, as the proxy would add)."""
    static_root = tempfile.mkdtemp(prefix="cxsms-static-")
    env = production_env(CXSMS_STATIC_ROOT=static_root, CXSMS_BEHIND_PROXY="1")
    r = manage(env, "collectstatic", "--noinput", "-v0")
    assert r.returncode == 0, r.stderr
    with live_server(env=env) as server:
        yield server, Path(static_root)


HTTPS = {"X-Forwarded-Proto": "https"}


def test_pages_carry_the_security_headers(production):
    server, _ = production
    r = requests.get(server.url + "/login/", headers=HTTPS, timeout=10)
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script_src.split() == ["'self'"] and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Secure" in r.headers["Set-Cookie"]  # the CSRF cookie
    # The debug page never shows: an unknown page is a plain 404.
    missing = requests.get(server.url + "/no-such-page/", headers=HTTPS, timeout=10)
    assert missing.status_code == 404 and "Traceback" not in missing.text and "URLconf" not in missing.text


def test_agent_page_links_a_hashed_agent_js_served_with_long_caching(production):
    server, static_root = production
    s = requests.Session()
    base = server.url
    login_page = s.get(base + "/login/", headers=HTTPS, timeout=10)
    csrf = login_page.cookies["csrftoken"]
    # The cookies are Secure: a browser sends them only over https, so hand them over as the proxy would.
    r = s.post(base + "/login/", data={"username": "mama", "password": "demo-pass-1234", "csrfmiddlewaretoken": csrf},
               headers=dict(HTTPS, Cookie=f"csrftoken={csrf}", Origin=f"https://127.0.0.1:{server.port}", Referer=base + "/login/"),
               allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text[:500]
    session = r.cookies["sessionid"]
    page = s.get(base + "/agent/", headers=dict(HTTPS, Cookie=f"sessionid={session}"), timeout=10)
    assert page.status_code == 200
    hashed = re.search(r'src="(/static/js/agent\.[0-9a-f]{12}\.js)"', page.text)
    assert hashed, "agent.js is not linked under a hashed name"
    js = requests.get(base + hashed.group(1), headers=HTTPS, timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert js.content == (ROOT / "static" / "js" / "agent.js").read_bytes()
    assert "immutable" in js.headers["Cache-Control"] and "max-age=315360000" in js.headers["Cache-Control"]
    gz = requests.get(base + hashed.group(1), headers=dict(HTTPS, **{"Accept-Encoding": "gzip"}), timeout=10)
    assert gz.headers.get("Content-Encoding") == "gzip"  # compressed once by collectstatic
    assert (static_root / hashed.group(1).removeprefix("/static/")).exists()
    # The unhashed name still answers, briefly cached, for anything that kept it.
    plain = requests.get(base + "/static/js/agent.js", headers=HTTPS, timeout=10)
    assert plain.status_code == 200 and "immutable" not in plain.headers.get("Cache-Control", "")
    # Streamed to daphne without Django's fallback for synchronous file iterators (cxsms_site/staticfiles.py).
    assert "synchronous iterators" not in server.log_text()


def test_favicon_answers_at_the_root_in_production(production):
    server, _static_root = production
    r = requests.get(server.url + "/favicon.ico", headers=HTTPS, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/x-icon"
    assert r.content == (ROOT / "static" / "favicon.ico").read_bytes()
