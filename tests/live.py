"""A real daphne server of this checkout on a throwaway SQLite database, for browser and
websocket-client tests. Tests talk to it only over HTTP/websockets (and manage.py commands)."""
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The suite's own servers run without rate limits (tests/conftest.py does the same in-process);
# tests/routing/test_ratelimits.py and tests/pg/test_ratelimits_shared.py switch them on.
NO_RATE_LIMITS = {"CXSMS_LOGIN_LOCKOUT": "0", "CXSMS_API_RATE_USER": "", "CXSMS_API_RATE_ANON": "",
                  "CXSMS_CHAT_START_RATE": "", "CXSMS_CHAT_MESSAGE_RATE": ""}


TEMPLATES = ROOT / "var" / "test-db"


def _template_key(env, demo):
    """Same code, same migrations, same test settings, same hour: the same database to start from (the
    demo's day is built around the hour it was loaded in)."""
    h = hashlib.sha256(json.dumps([sorted((env or {}).items()), demo, time.strftime("%Y-%m-%d %H", time.gmtime())]).encode())
    for app in ("cxsms_site", "routing", "campaigns", "digital"):
        for path in sorted((ROOT / app).rglob("*.py")):
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:20]


def database_template(server_env, env, demo):
    """A migrated database (with the demo's data when `demo`) to copy for a server: migrate and
    load_demo took 20-40 s per server, a dozen servers per run; each kind is built once, under a lock
    that the parallel test workers share. Returns its path."""
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    key = _template_key(env, demo)
    path = TEMPLATES / f"{key}.sqlite3"
    with open(TEMPLATES / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            for old in TEMPLATES.iterdir():  # yesterday's and other code's templates
                if old.stat().st_mtime < time.time() - 6 * 3600:
                    old.unlink(missing_ok=True)
            building = TEMPLATES / f"{key}.building.sqlite3"
            building.unlink(missing_ok=True)
            build_env = dict(server_env, DATABASE_URL=f"sqlite:///{building}")
            for args in [("migrate", "--noinput"), ("load_demo",)][:2 if demo else 1]:
                subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=build_env, capture_output=True, text=True,
                               timeout=300, check=True)
            os.replace(building, path)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, env=None, demo=True):
        self.tmp = tempfile.mkdtemp(prefix="cxsms-live-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update({"DATABASE_URL": f"sqlite:///{self.tmp}/db.sqlite3", "PYTHONUNBUFFERED": "1",
                         "CXSMS_PUBLIC_URL": self.url})
        self.env.update(NO_RATE_LIMITS)  # tests log in and start chats far faster than people; env may switch them on
        self.env.update(env or {})
        self.demo, self.extra_env = demo, env
        self.proc = None

    def manage(self, *args, check=True):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=300, check=check)

    def shell(self, code):
        """Run Python in the server's database (setup and inspection only)."""
        return self.manage("shell", "-c", code).stdout

    def start(self):
        if "DATABASE_URL" in (self.extra_env or {}):  # another server's database: brought up to date in place
            self.manage("migrate", "--noinput")
            if self.demo:
                self.manage("load_demo")
        elif not os.path.exists(database := os.path.join(self.tmp, "db.sqlite3")):  # a restart keeps its data
            shutil.copyfile(database_template(self.env, self.extra_env, self.demo), database)
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                                      "cxsms_site.asgi:application"],
                                     cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login/", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited: " + open(self.log.name).read()[-3000:])
                time.sleep(0.2)
        raise RuntimeError("server did not answer in 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def log_text(self):
        return open(os.path.join(self.tmp, "server.log")).read()


@contextlib.contextmanager
def live_server(env=None, demo=True):
    server = LiveServer(env=env, demo=demo).start()
    try:
        yield server
    finally:
        server.stop()
