"""`make bench`: end-to-end latency of an inbound text to the agent's socket, for each configuration,
for the product and for a bare baseline pipeline served the same way (bench/baseline/asgi.py: the
product's webhook bypass, push pump and worker threads). See docs/benchmarks.md.

For each configuration (SQLite + in-memory + 1 daphne; PostgreSQL + Redis + 1 or 2 daphne) on a
throwaway database: migrate, create N agents (one tenant, one SMS skill, one team, limit 12, all
available), then one pipeline at a time (baseline, then product; the other one is not running:
no server process, timer loop or socket of it is left): start its daphne processes, connect one
websocket per agent (bench/load.py agents, its own process), warm up, and for each arrival rate
run the open-loop generator (bench/load.py gen, its own process) for S seconds, drain, resync
every page, and reset (product: forced disconnect); then stop it all.

Latency is counted from each webhook's scheduled send time (open loop: a send the generator made
late counts its lateness). A rate fails when p99 passes 1 s or a webhook is lost or refused; the
knee is reported as the interval between the last passing and the first failing rate.

With --tenant digital (`make bench-digital`) the product's tenant delivers in Digital mode (R15):
each text becomes a case, latency runs until the case.assigned frame reaches the agent's socket, and
the agents accept and answer each case over their socket as the inbox page does while it is open
(case.accept, case.reply; --actions rest: through the REST API instead): the same two actions as the
ACD agents', and the reset between rates (the forced disconnect, which closes a Digital tenant's
cases) frees them as it frees the ACD's rooms. --close-cases: the agents also close each case
(case.state), a third action per text. The baseline pipeline is the same bare pipeline, in the same
run, so the knee ratio compares with ACD's.

Results: bench/results/scratch/<stamp>.json and .md (git-ignored), or with --record LABEL
bench/results/<date>-<LABEL>.json and .md, kept in the repository: the runs docs/benchmarks.md
quotes (bench/report.py regenerates its tables from them).
"""
import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import P99_LIMIT, failed, fmt, knee, markdown  # noqa: E402
from tests.pg.cluster import Cluster  # noqa: E402

LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
# name: (database, processes, layer)
CONFIGS = {
    "sqlite-1": ("sqlite", 1, None),
    "pg-core-1": ("pg", 1, "core"),
    "pg-core-2": ("pg", 2, "core"),
    "pg-pubsub-2": ("pg", 2, "pubsub"),
    "pg-pubsub-1": ("pg", 1, "pubsub"),
}
APPS = {"baseline": "bench.baseline.asgi:application", "product": "cxsms_site.asgi:application"}


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def services_env():
    env = dict(os.environ, CXSMS_SERVICES_LEASE=str(os.getpid()))
    subprocess.run([str(ROOT / "scripts/services.sh"), "start"], check=True, env=env)
    out = subprocess.run([str(ROOT / "scripts/services.sh"), "env"], check=True, env=env, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.split())


def services_stop():
    env = dict(os.environ, CXSMS_SERVICES_LEASE=str(os.getpid()))
    subprocess.run([str(ROOT / "scripts/services.sh"), "stop"], env=env)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids, kernel_only=False):
    """User + system (or only system) CPU seconds of these processes so far (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[12]) + (0 if kernel_only else int(fields[11]))
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def machine_jiffies():
    """(busy, total) CPU time of the whole machine so far, from /proc/stat (every process, ours or not)."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return total - idle, total


def support_pids(base_env):
    """The bench's other busy processes, by group: the private PostgreSQL server's processes (its
    postmaster, found by its port, and that process's children) and the private Redis (by its port).
    Other PostgreSQL and Redis servers on the machine (someone else's tests) are not ours to count."""
    pg_port = str(urlparse(base_env.get("DATABASE_URL", "")).port or "")
    redis_port = str(urlparse(base_env.get("REDIS_URL", "")).port or "")
    procs = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        procs[pid] = (comm, stat.rsplit(")", 1)[1].split()[1], argv)
    postmasters = {pid for pid, (comm, _, argv) in procs.items()
                   if pg_port and comm == "postgres" and any(a == "-p" and b == pg_port for a, b in zip(argv, argv[1:]))}
    return {"postgres": sorted(postmasters | {pid for pid, (_, ppid, _) in procs.items() if ppid in postmasters}),
            "redis": [pid for pid, (comm, _, argv) in procs.items()
                      if redis_port and comm.startswith("redis-server") and argv[0].endswith(":" + redis_port)]}


def cpu_by_pid(groups):
    return {k: {pid: cpu_seconds([pid]) for pid in pids} for k, pids in groups.items()}


def cpu_spent(before, after):
    """CPU seconds per group between two cpu_by_pid() readings: a process started meanwhile counts
    whole; one that ended meanwhile (a closed database connection) is missed."""
    return {k: sum(t - before.get(k, {}).get(pid, 0.0) for pid, t in pids.items()) for k, pids in after.items()}


def analyse(gen, obs):
    """One step: latency from each webhook's scheduled send time (`due`, open loop) to the first
    time its contact reached any page."""
    first_seen, how_seen = {}, {}
    for contact, room_id, agent_id, t, how in obs["seen"]:
        if contact not in first_seen or t < first_seen[contact]:
            first_seen[contact], how_seen[contact] = t, how
    offers_per_room = {}
    for contact, room_id, agent_id, t in obs["offers"]:
        offers_per_room.setdefault((contact, room_id), []).append(agent_id)
    reqs = gen["requests"]
    ok = [r for r in reqs if r["status"] == 200]
    errors = len(reqs) - len(ok)
    latencies, lost, via = [], 0, {"frame": 0, "gap-resync": 0, "final-resync": 0, "snapshot": 0}
    step_contacts = set()
    for r in ok:
        step_contacts.add(r["contact"])
        t = first_seen.get(r["contact"])
        if t is None:
            lost += 1
            continue
        latencies.append(t - r["due"])
        via[how_seen[r["contact"]]] = via.get(how_seen[r["contact"]], 0) + 1
    duplicates = sum(len(v) - 1 for (contact, _), v in offers_per_room.items() if contact in step_contacts and len(v) > 1)
    http = [r["t_done"] - r["due"] for r in ok]
    lag = [r["t_send"] - r["due"] for r in reqs]
    duration = max(r["t_send"] for r in reqs) - min(r["t_send"] for r in reqs) if reqs else 0
    return {
        "rate": gen["rate"], "sent": len(reqs), "ok": len(ok), "errors": errors,
        "error_samples": sorted({str(r["status"]) for r in reqs if r["status"] != 200})[:3],
        "delivered": len(latencies), "lost": lost, "duplicates": duplicates, "via": via,
        "p50": pct(latencies, 50), "p99": pct(latencies, 99), "max": max(latencies) if latencies else None,
        "http_p50": pct(http, 50), "http_p99": pct(http, 99),
        "gen_lag_p99": pct(lag, 99), "achieved_rate": (len(reqs) - 1) / duration if duration else None,
    }


class Pipeline:
    """The daphne processes of one pipeline and the process holding the agents' sockets."""

    def __init__(self, cluster, data, mode, tmp, name="", profile_dir=None, actions="ws", base_env=None, tenant="acd", close=False):
        self.cluster, self.data, self.mode, self.tmp = cluster, data, mode, tmp
        self.base_env = base_env or {}
        self.name, self.profile_dir = name, profile_dir
        self.spec_path = os.path.join(tmp, f"spec-{mode}.json")
        with open(self.spec_path, "w") as f:
            json.dump(dict(data, urls=cluster.urls, mode=mode, actions=actions, tenant=tenant, close=close), f)
        self.agents = None

    def start(self):
        self.cluster.app = APPS[self.mode]
        if self.mode == "baseline":
            self.cluster.workers = 0  # the bare pipeline has no background work; the product's worker processes run beside it
        self.cluster.ready_path = "/login/"
        self.cluster.start_servers()
        self.agents = subprocess.Popen([sys.executable, "-m", "bench.load", "agents", self.spec_path], cwd=ROOT, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        reply = self.agents.stdout.readline()
        if not reply:
            raise RuntimeError("the agents' process exited while connecting; server logs:\n" + self.cluster.log_text()[-4000:])
        log(f"  {self.mode}: {json.loads(reply)['ready']} agent sockets connected to {', '.join(self.cluster.urls)}")

    def command(self, **cmd):
        self.agents.stdin.write(json.dumps(cmd) + "\n")
        self.agents.stdin.flush()
        return json.loads(self.agents.stdout.readline())

    def step(self, rate, seconds, first, drain):
        out = os.path.join(self.tmp, f"gen-{self.mode}-{rate}-{first}.json")
        server_pids = [p.pid for p in self.cluster.procs]
        spies = self.spy(server_pids, rate, seconds)
        cpu_before, sys_before = cpu_seconds(server_pids), cpu_seconds(server_pids, kernel_only=True)
        support_before = self.support_cpu()
        machine_before = machine_jiffies()
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "bench.load", "gen", self.spec_path, out, str(rate), str(seconds), str(first)], cwd=ROOT,
                       check=True)
        self.command(cmd="drain", gen=out, quiet=drain, max=max(10.0, drain * 4))
        # daphne CPU for the step: webhooks, pushes and (product) accept + answer + timer loop; not the final resync
        server_cpu = cpu_seconds(server_pids) - cpu_before
        server_sys = cpu_seconds(server_pids, kernel_only=True) - sys_before
        # The rest of the machine's work for the step (PostgreSQL backends that ended meanwhile are missed).
        support_cpu = cpu_spent(support_before, self.support_cpu())
        machine_after = machine_jiffies()
        wall = time.monotonic() - t0
        for spy in spies:
            spy.wait()
        summary = self.command(cmd="resync")
        gen = json.load(open(out))
        gen["server_cpu_s"], gen["server_sys_s"] = server_cpu, server_sys
        gen["support_cpu_s"], gen["step_wall_s"] = support_cpu, wall
        # Every process of the machine, the bench's and anyone else's: how busy the two cores were.
        busy, total = (a - b for a, b in zip(machine_after, machine_before))
        gen["machine_busy_cores"] = (os.cpu_count() or 1) * busy / total if total else None
        return gen, summary

    def support_cpu(self):
        groups = support_pids(self.base_env)
        groups["workers"] = [str(p.pid) for p in self.cluster.worker_procs]  # the background jobs' processes
        groups["agents"] = [str(self.agents.pid)]
        return cpu_by_pid(groups)

    def spy(self, pids, rate, seconds):
        """py-spy on every server process for the step (--py-spy DIR): collapsed stacks, one file each."""
        if not self.profile_dir:
            return []
        os.makedirs(self.profile_dir, exist_ok=True)
        return [subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--format", "raw", "--rate", "200",
                                  "--duration", str(int(seconds) + 1),
                                  "--output", os.path.join(self.profile_dir, f"{self.name}-{self.mode}-{rate:g}-{pid}.txt"),
                                  "--pid", str(pid), "--nonblocking", "--gil"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for pid in pids]

    def reset(self, quiet=False):
        """Free every agent for the next rate: the product's forced disconnect (R10), by API."""
        if self.mode != "product":
            return
        import urllib.request

        req = urllib.request.Request(self.cluster.urls[0] + "/api/v1/forced-disconnect/", method="POST",
                                     headers={"Authorization": "Token " + self.data["admin_token"]})
        t0 = time.monotonic()
        with urllib.request.urlopen(req, timeout=600) as r:
            ended = json.load(r)["ended"]
        if not quiet:
            log(f"    reset: forced disconnect ended {ended} interactions in {time.monotonic() - t0:.1f} s")
        time.sleep(1.0)

    def stop(self):
        obs = None
        if self.agents and self.agents.poll() is None:
            out = os.path.join(self.tmp, f"obs-{self.mode}.json")
            try:
                self.command(cmd="dump", out=out)
                obs = json.load(open(out))
            finally:
                try:
                    self.agents.wait(30)
                except subprocess.TimeoutExpired:
                    self.agents.kill()
        self.cluster.stop_servers()
        self.cluster.kill_workers(signal.SIGTERM)
        return obs


def make_cluster(database, processes, env, base_env, share=None):
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL")}
    os.environ.update(base_env)
    try:
        cluster = Cluster(processes=processes, database=database, env=env, demo=False, migrate=False, name="bench")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if share is not None:
        # The second pipeline's processes on the first one's database (which the first creates and drops).
        cluster.env["DATABASE_URL"] = share.env["DATABASE_URL"]
        cluster.db_name = None
    return cluster


def run_config(name, args, base_env, counter):
    """The pipelines one after the other on one database: each is started, driven through the
    rates and stopped (servers, timer loop, sockets) before the next starts, so neither pays for
    the other's idle work."""
    database, processes, layer = CONFIGS[name]
    env = {"CXSMS_LOG_LEVEL": "WARNING", "CXSMS_DEBUG": "0", "CXSMS_SECRET_KEY": "bench-only-key",
           "CXSMS_ALLOWED_HOSTS": "127.0.0.1,localhost",
           # Plain http on the loopback, as behind the TLS-terminating proxy of a deployment: no redirect to https.
           "CXSMS_SSL_REDIRECT": "0"}
    if layer:
        env["CXSMS_CHANNEL_LAYER"] = LAYERS[layer]
    env.update(args.server_env)
    first_cluster = None
    clusters = {}
    for mode in args.pipelines:
        clusters[mode] = first_cluster = make_cluster(database, processes, env, base_env, share=first_cluster)
    owner = next(iter(clusters.values()))
    result = {"config": name, "tenant": args.tenant, "database": database, "processes": processes, "layer": LAYERS.get(layer, "in-memory"),
              "server_env": args.server_env, "agent_actions": args.actions, "pipelines_side_by_side": False, "pipelines": {}}
    owner.create_database()
    pipeline = None
    try:
        t0 = time.monotonic()
        owner.manage("migrate", "--noinput", env={"DJANGO_SETTINGS_MODULE": "bench.baseline.settings"})
        out = subprocess.run([sys.executable, "-m", "bench.setup_data", str(args.agents), "--tenant", args.tenant], cwd=ROOT,
                             capture_output=True, text=True,
                             env=dict(owner.env, DJANGO_SETTINGS_MODULE="bench.baseline.settings"), check=True).stdout
        data = json.loads(out.strip().splitlines()[-1])
        log(f"{name}: database ready, {len(data['agents'])} agents ({time.monotonic() - t0:.0f} s)")
        with tempfile.TemporaryDirectory(prefix="cxsms-bench-") as tmp:
            for mode in args.pipelines:
                pipeline = Pipeline(clusters[mode], data, mode, tmp, name, args.py_spy, args.actions, base_env, args.tenant,
                                    args.close_cases)
                pipeline.start()
                if args.warmup:
                    first = counter[0]
                    counter[0] += int(10 * args.warmup) + 1
                    pipeline.step(10, args.warmup, first, 1.0)
                    pipeline.reset(quiet=True)
                gens = []
                for rate in args.rates:
                    first = counter[0]
                    counter[0] += int(rate * args.seconds) + 1
                    load_before = os.getloadavg()[0]
                    gen, quick = pipeline.step(rate, args.seconds, first, args.drain)
                    gen["loadavg"] = [load_before, os.getloadavg()[0]]
                    gens.append(gen)
                    ok = sum(1 for r in gen["requests"] if r["status"] == 200)
                    log(f"  {mode} {rate:g}/s: {ok}/{len(gen['requests'])} answered 200, {quick['seen']} reached a page, "
                        f"p99 {fmt(quick['p99'])} (load average {load_before:.1f}, "
                        f"machine busy {gen['machine_busy_cores'] or 0:.2f} cores)")
                    pipeline.reset()
                    quick_failed = ok < len(gen["requests"]) or quick["seen"] < ok or quick["p99"] is None or quick["p99"] > P99_LIMIT
                    if quick_failed and not args.all_rates:
                        break
                obs = pipeline.stop()
                pipeline = None
                log(f"  {mode}: stopped (servers and sockets)")
                rows = []
                for g in gens:
                    row = analyse(g, obs) if obs else {}
                    row["loadavg"] = g["loadavg"]
                    row["server_cpu_ms_per_text"] = 1000 * g["server_cpu_s"] / max(1, len(g["requests"]))
                    row["server_kernel_ms_per_text"] = 1000 * g["server_sys_s"] / max(1, len(g["requests"]))
                    row["gen_cpu_s"] = g.get("cpu_s")
                    n = max(1, len(g["requests"]))
                    row["other_cpu_ms_per_text"] = {k: round(1000 * v / n, 2) for k, v in g["support_cpu_s"].items()}
                    # Cores busy during the step (send + drain): the servers, PostgreSQL, Redis, the clients, the generator.
                    row["busy_cores"] = (g["server_cpu_s"] + sum(g["support_cpu_s"].values()) + (g.get("cpu_s") or 0)) / g["step_wall_s"]
                    row["machine_busy_cores"] = g.get("machine_busy_cores")
                    row["failed"] = failed(row) if obs else None
                    rows.append(row)
                    log(f"  {name} {mode} {row['rate']:g}/s: p50 {fmt(row['p50'])} p99 {fmt(row['p99'])} max {fmt(row['max'])} "
                        f"lost {row['lost']} dup {row['duplicates']} errors {row['errors']} via {row['via']}")
                result["pipelines"][mode] = {"steps": rows, "knee": knee(rows), "gaps": obs["gaps"] if obs else None,
                                             "agents_process_cpu_s": obs.get("cpu_s") if obs else None,
                                             "closed_sockets": len(obs["closed"]) if obs else None,
                                             "accept": summarise_http(obs["accept"]) if obs else None,
                                             "answer": summarise_http(obs["answer"]) if obs else None,
                                             **({"close": summarise_http(obs["close"])} if obs and obs.get("close") else {})}
    except Exception:
        for c in clusters.values():
            log(f"{name}: failed; server logs:\n" + c.log_text()[-3000:])
        raise
    finally:
        if pipeline is not None and pipeline.agents and pipeline.agents.poll() is None:
            pipeline.agents.kill()
        for c in clusters.values():
            c.stop_servers()
            c.kill_workers(signal.SIGTERM)
        owner.drop_database()
    return result


def summarise_http(rows):
    if not rows:
        return None
    ok = [t for s, t in rows if s in (200, 201, 202)]
    refused = {}
    for status, _ in rows:
        if status not in (200, 201, 202):
            refused[str(status)] = refused.get(str(status), 0) + 1
    return {"n": len(rows), "ok": len(ok), "p50": pct(ok, 50), "p99": pct(ok, 99), "refused": refused}


def code_version():
    """The commit the run measured, and whether the checkout had changes on top of it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "changed_files": git("status", "--porcelain", "--untracked-files=no").splitlines()}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    versions = {}
    for mod in ("django", "channels", "channels_redis", "daphne", "redis", "websockets", "psycopg", "twisted"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:
            pass
    pg = subprocess.run(["sh", "-c", "ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1"],
                        capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["sh", "-c", "redis-server --version 2>/dev/null"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1), "python": platform.python_version(),
            "versions": versions, "postgresql": pg, "redis_server": redis.split(" ")[2] if redis else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="sqlite-1,pg-pubsub-1,pg-pubsub-2,pg-core-2", help=f"comma list of {', '.join(CONFIGS)}")
    parser.add_argument("--pipelines", default="baseline,product")
    parser.add_argument("--rates", default="2,5,10,20,30,40,50,60,80,100,125,150,200,250,300,400")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per rate")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds at 10/s before the first rate, not measured")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds without a new offer that end a step's drain")
    parser.add_argument("--all-rates", action="store_true", help="keep going after a rate fails (default: stop there, the knee is known)")
    parser.add_argument("--server-env", default="", help="extra KEY=VALUE,... for the servers (e.g. CXSMS_CHANNEL_CAPACITY=100)")
    parser.add_argument("--out", default=None, help="the JSON's path (default: bench/results/scratch/<stamp>.json, git-ignored)")
    parser.add_argument("--record", default=None, metavar="LABEL",
                        help="write bench/results/<date>-LABEL.json (and .md), kept in the repository: for runs the docs quote")
    parser.add_argument("--actions", choices=["ws", "rest"], default="ws",
                        help="how the product's agents accept and answer (Digital: and close): over their socket, as the "
                             "workspace and inbox pages do (default), or through the REST API")
    parser.add_argument("--tenant", choices=["acd", "digital"], default="acd",
                        help="the product's tenant delivers in ACD mode (default) or Digital mode "
                             "(cases to the inbox; `make bench-digital`)")
    parser.add_argument("--close-cases", action="store_true",
                        help="Digital: the agents also close each case after answering it (a third action per text)")
    parser.add_argument("--py-spy", default=None, metavar="DIR",
                        help="record every server process with py-spy during each rate (collapsed stacks in DIR; see bench/hotspots.py)")
    args = parser.parse_args()
    args.configs = [c for c in args.configs.split(",") if c]
    args.pipelines = [p for p in args.pipelines.split(",") if p]
    args.rates = [float(r) for r in args.rates.split(",") if r]
    args.server_env = dict(kv.split("=", 1) for kv in args.server_env.split(",") if kv)
    unknown = [c for c in args.configs if c not in CONFIGS] + [p for p in args.pipelines if p not in APPS]
    if unknown:
        parser.error(f"unknown: {unknown}")

    stamp = time.strftime("%Y%m%d-%H%M%S")
    if args.out:
        out = Path(args.out)
    elif args.record:
        out = ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-{args.record}.json"
    else:
        out = ROOT / "bench" / "results" / "scratch" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results = {"started": stamp, "command": " ".join([Path(sys.executable).name, "bench/run.py", *sys.argv[1:]]), "machine": machine(),
               "code": code_version(), "args": {k: v for k, v in vars(args).items() if k not in ("out", "record")},
               "method": {"latency_from": "scheduled send time (open loop)", "p99_limit_s": P99_LIMIT,
                          "pipelines": "one at a time; the other one's servers and sockets stopped"},
               "configs": []}
    started = time.monotonic()
    base_env = services_env() if any(CONFIGS[c][0] == "pg" for c in args.configs) else {}
    counter = [0]
    try:
        for name in args.configs:
            res = run_config(name, args, base_env, counter)
            results["configs"].append(res)
            out.write_text(json.dumps(results, indent=1))
    finally:
        if base_env:
            services_stop()
    results["seconds"] = round(time.monotonic() - started)
    out.write_text(json.dumps(results, indent=1))
    table = markdown(results)
    out.with_suffix(".md").write_text(f"`{results['command']}` ({results['seconds']} s)\n\n{table}\n")
    print(table)
    log(f"results: {out} and {out.with_suffix('.md')} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
