"""A real daphne server of this checkout on a throwaway SQLite database, for browser and
websocket-client tests. Tests talk to it only over HTTP/websockets (and manage.py commands)."""
import contextlib
import os
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
        self.demo = demo
        self.proc = None

    def manage(self, *args, check=True):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=300, check=check)

    def shell(self, code):
        """Run Python in the server's database (setup and inspection only)."""
        return self.manage("shell", "-c", code).stdout

    def start(self):
        self.manage("migrate", "--noinput")
        if self.demo:
            self.manage("load_demo")
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
