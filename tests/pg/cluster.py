"""Several real daphne processes of this checkout against one database and one channel layer, with
the worker processes of the background jobs beside them (`workers`, on PostgreSQL + Redis: the web
processes then do no background work; on SQLite the one web process runs the jobs itself).

The scale-out counterpart of tests/live.py: on PostgreSQL + Redis (DATABASE_URL and REDIS_URL of
the pass, see scripts/services.sh) every Cluster gets a throwaway database on that server and its
own Redis key prefix, so clusters of concurrent runs never meet; it is dropped on stop. With
`database="sqlite"` it is one process on a throwaway SQLite file and the in-memory layer (the
single-process configuration). bench/ starts its configurations with the same class.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from tests.live import NO_RATE_LIMITS, free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def _admin_connect(database_url):
    import psycopg

    u = urlparse(database_url)
    return psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.path.lstrip("/") or "postgres",
                           autocommit=True)


class Cluster:
    def __init__(self, processes=2, database="pg", env=None, app="cxsms_site.asgi:application", demo=True, migrate=True, name="live",
                 workers=None):
        self.tmp = tempfile.mkdtemp(prefix=f"cxsms-{name}-")
        self.ports = [free_port() for _ in range(processes)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.app, self.demo, self.do_migrate = app, demo, migrate
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update({"PYTHONUNBUFFERED": "1", "CXSMS_WS_ALLOWED_ORIGINS": ",".join(self.urls)})
        self.workers = (1 if database == "pg" else 0) if workers is None else workers
        self.worker_procs = []
        self.db_name = None
        self.database = database
        if database == "pg":
            base = os.environ.get("DATABASE_URL", "")
            if not base.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
                raise RuntimeError("a PostgreSQL cluster needs DATABASE_URL (postgres://) and REDIS_URL: scripts/services.sh start/env")
            self.base_url = base
            self.db_name = f"cxsms_{name}_{uuid.uuid4().hex[:10]}"
            u = urlparse(base)
            self.env["DATABASE_URL"] = urlunparse(u._replace(path="/" + self.db_name))
            self.env["REDIS_URL"] = os.environ["REDIS_URL"]
            self.env["CXSMS_CHANNEL_PREFIX"] = f"cxsms-{name}-{uuid.uuid4().hex[:8]}"
        elif database == "sqlite":
            if processes != 1:
                raise ValueError("SQLite and the in-memory channel layer serve one process only")
            self.env["DATABASE_URL"] = f"sqlite:///{self.tmp}/db.sqlite3"
        else:
            raise ValueError(database)
        self.env.update(NO_RATE_LIMITS)  # tests log in and start chats far faster than people; env may switch them on
        self.env.update(env or {})
        self.procs = []
        self.logs = []
        self.ready_path = "/login/"

    # --- set-up and inspection, through manage.py like tests/live.py --------------------------
    def manage(self, *args, check=True, env=None):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=dict(self.env, **(env or {})), capture_output=True,
                              text=True, timeout=600, check=check)

    def shell(self, code):
        return self.manage("shell", "-c", code).stdout

    def create_database(self):
        if self.db_name:
            with _admin_connect(self.base_url) as conn:
                conn.execute(f'CREATE DATABASE "{self.db_name}"')

    def drop_database(self):
        if self.db_name:
            with _admin_connect(self.base_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def start(self):
        self.create_database()
        try:
            if self.do_migrate:
                self.manage("migrate", "--noinput")
            if self.demo:
                self.manage("load_demo")
            self.start_servers()
        except BaseException:
            self.stop()
            raise
        return self

    def start_servers(self):
        """The daphne processes and the workers (the database is ready)."""
        for _ in range(self.workers):
            self.start_worker()
        for port, url in zip(self.ports, self.urls):
            self.start_process(port, url)
        for url, proc, log in zip(self.urls, self.procs, self.logs[-len(self.procs):]):
            self.wait_ready(url, proc, log, self.ready_path)

    def start_process(self, port, url):
        log = os.path.join(self.tmp, f"daphne-{port}-{len(self.logs)}.log")
        env = dict(self.env, CXSMS_PUBLIC_URL=url)
        proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), self.app], cwd=ROOT, env=env,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        self.logs.append(log)

    def start_worker(self, env=None):
        """One more `manage.py run_worker` process; returns it."""
        log = os.path.join(self.tmp, f"worker-{len(self.logs)}.log")
        proc = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT,
                                env=dict(self.env, CXSMS_PUBLIC_URL=self.urls[0], **(env or {})),
                                stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.worker_procs.append(proc)
        self.logs.append(log)
        return proc

    def kill_workers(self, sig=signal.SIGKILL):
        for proc in self.worker_procs:
            if proc.poll() is None:
                os.killpg(proc.pid, sig)
        for proc in self.worker_procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.worker_procs = []

    @staticmethod
    def wait_ready(url, proc, log, path="/login/"):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url + path, timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited: {open(log).read()[-3000:]}")
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer in 60 s")

    def stop_servers(self):
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.procs = []

    def stop(self):
        self.stop_servers()
        self.kill_workers(signal.SIGTERM)
        self.drop_database()

    def log_text(self):
        return "\n".join(f"--- {log}\n" + open(log).read()[-5000:] for log in self.logs if os.path.exists(log))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
