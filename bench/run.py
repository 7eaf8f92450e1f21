"""`make bench`: end-to-end latency of an inbound text to the agent's socket, for each configuration,
for the product and for a bare baseline pipeline served the same way. See docs/benchmarks.md.

For each configuration (SQLite + in-memory + 1 daphne; PostgreSQL + Redis + 1 or 2 daphne) on a
throwaway database: migrate, create N agents (one tenant, one SMS skill, one team, limit 12, all
available), then for each pipeline (baseline, product): start the daphne processes, connect one
websocket per agent (bench/load.py agents, its own process), and for each arrival rate run the
open-loop generator (bench/load.py gen, its own process) for S seconds, drain, resync every page,
and reset (product: forced disconnect). Results: bench/results/<stamp>.json and .md.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
P99_LIMIT = 1.0  # seconds


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


def support_pids():
    """The machine's other busy processes during a step, by group: PostgreSQL's server processes and
    Redis (the private servers of scripts/services.sh; nothing else of theirs runs here)."""
    groups = {"postgres": [], "redis": []}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
        except OSError:
            continue
        if comm == "postgres":
            groups["postgres"].append(pid)
        elif comm.startswith("redis-server"):
            groups["redis"].append(pid)
    return groups


def analyse(gen, obs, step_first, step_last):
    """One step: latency from each webhook's send to the first time its contact reached any page."""
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
        latencies.append(t - r["t_send"])
        via[how_seen[r["contact"]]] = via.get(how_seen[r["contact"]], 0) + 1
    duplicates = sum(len(v) - 1 for (contact, _), v in offers_per_room.items() if contact in step_contacts and len(v) > 1)
    http = [r["t_done"] - r["t_send"] for r in ok]
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

    def __init__(self, cluster, data, mode, tmp, name="", profile_dir=None, actions="ws"):
        self.cluster, self.data, self.mode, self.tmp = cluster, data, mode, tmp
        self.name, self.profile_dir = name, profile_dir
        self.spec_path = os.path.join(tmp, f"spec-{mode}.json")
        with open(self.spec_path, "w") as f:
            json.dump(dict(data, urls=cluster.urls, mode=mode, actions=actions), f)
        self.agents = None

    def start(self):
        self.cluster.app = APPS[self.mode]
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
        support = support_pids()
        support["agents"] = [self.agents.pid]
        support_before = {k: cpu_seconds(v) for k, v in support.items()}
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "bench.load", "gen", self.spec_path, out, str(rate), str(seconds), str(first)], cwd=ROOT,
                       check=True)
        self.command(cmd="drain", gen=out, quiet=drain, max=max(10.0, drain * 4))
        # daphne CPU for the step: webhooks, pushes and (product) accept + answer + timer loop; not the final resync
        server_cpu = cpu_seconds(server_pids) - cpu_before
        server_sys = cpu_seconds(server_pids, kernel_only=True) - sys_before
        # The rest of the machine's work for the step (PostgreSQL backends that ended meanwhile are missed).
        support_cpu = {k: cpu_seconds(v) - support_before[k] for k, v in support.items()}
        wall = time.monotonic() - t0
        for spy in spies:
            spy.wait()
        summary = self.command(cmd="resync")
        gen = json.load(open(out))
        gen["server_cpu_s"], gen["server_sys_s"] = server_cpu, server_sys
        gen["support_cpu_s"], gen["step_wall_s"] = support_cpu, wall
        return gen, summary

    def spy(self, pids, rate, seconds):
        """py-spy on every server process for the step (--py-spy DIR): collapsed stacks, one file each."""
        if not self.profile_dir:
            return []
        os.makedirs(self.profile_dir, exist_ok=True)
        return [subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--format", "raw", "--rate", "200", "--duration", str(int(seconds) + 1),
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
            log(f"    reset: forced disconnect ended {ended} rooms in {time.monotonic() - t0:.1f} s")
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
    """Both pipelines run side by side on one database; each rate is driven against the baseline,
    then against the product, so a change in the machine's background load hits both alike."""
    database, processes, layer = CONFIGS[name]
    env = {"CXSMS_LOG_LEVEL": "WARNING", "CXSMS_DEBUG": "0", "CXSMS_SECRET_KEY": "bench-only-key", "CXSMS_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if layer:
        env["CXSMS_CHANNEL_LAYER"] = LAYERS[layer]
    env.update(args.server_env)
    first_cluster = None
    clusters = {}
    for mode in args.pipelines:
        clusters[mode] = first_cluster = make_cluster(database, processes, env, base_env, share=first_cluster)
    owner = next(iter(clusters.values()))
    result = {"config": name, "database": database, "processes": processes, "layer": LAYERS.get(layer, "in-memory"),
              "server_env": args.server_env, "agent_actions": args.actions, "pipelines": {}}
    owner.create_database()
    pipelines = {}
    try:
        t0 = time.monotonic()
        owner.manage("migrate", "--noinput", env={"DJANGO_SETTINGS_MODULE": "bench.baseline.settings"})
        out = subprocess.run([sys.executable, "-m", "bench.setup_data", str(args.agents)], cwd=ROOT, capture_output=True, text=True,
                             env=dict(owner.env, DJANGO_SETTINGS_MODULE="bench.baseline.settings"), check=True).stdout
        data = json.loads(out.strip().splitlines()[-1])
        log(f"{name}: database ready, {len(data['agents'])} agents ({time.monotonic() - t0:.0f} s)")
        with tempfile.TemporaryDirectory(prefix="cxsms-bench-") as tmp:
            for mode in args.pipelines:
                pipelines[mode] = Pipeline(clusters[mode], data, mode, tmp, name, args.py_spy, args.actions)
                pipelines[mode].start()
            gens = {mode: [] for mode in pipelines}
            if args.warmup:
                for mode, pipeline in pipelines.items():
                    first = counter[0]
                    counter[0] += int(10 * args.warmup) + 1
                    pipeline.step(10, args.warmup, first, 1.0)
                    pipeline.reset(quiet=True)
            active = list(pipelines)
            for rate in args.rates:
                for mode in list(active):
                    pipeline = pipelines[mode]
                    first = counter[0]
                    counter[0] += int(rate * args.seconds) + 1
                    load_before = os.getloadavg()[0]
                    gen, quick = pipeline.step(rate, args.seconds, first, args.drain)
                    gen["loadavg"] = [load_before, os.getloadavg()[0]]
                    gens[mode].append(gen)
                    ok = sum(1 for r in gen["requests"] if r["status"] == 200)
                    log(f"  {mode} {rate:g}/s: {ok}/{len(gen['requests'])} answered 200, {quick['seen']} reached a page, "
                        f"p99 {fmt(quick['p99'])} (load average {load_before:.1f})")
                    pipeline.reset()
                    failed = ok < len(gen["requests"]) or quick["seen"] < ok or quick["p99"] is None or quick["p99"] > P99_LIMIT
                    if failed and not args.all_rates:
                        active.remove(mode)
                if not active:
                    break
            for mode, pipeline in pipelines.items():
                obs = pipeline.stop()
                rows = []
                for g in gens[mode]:
                    row = analyse(g, obs, g["first"], g["first"] + len(g["requests"])) if obs else {}
                    row["loadavg"] = g["loadavg"]
                    row["server_cpu_ms_per_text"] = 1000 * g["server_cpu_s"] / max(1, len(g["requests"]))
                    row["server_kernel_ms_per_text"] = 1000 * g["server_sys_s"] / max(1, len(g["requests"]))
                    row["gen_cpu_s"] = g.get("cpu_s")
                    n = max(1, len(g["requests"]))
                    row["other_cpu_ms_per_text"] = {k: round(1000 * v / n, 2) for k, v in g["support_cpu_s"].items()}
                    # Cores busy during the step (send + drain): the servers, PostgreSQL, Redis, the clients, the generator.
                    row["busy_cores"] = (g["server_cpu_s"] + sum(g["support_cpu_s"].values()) + (g.get("cpu_s") or 0)) / g["step_wall_s"]
                    rows.append(row)
                    log(f"  {name} {mode} {row['rate']:g}/s: p50 {fmt(row['p50'])} p99 {fmt(row['p99'])} max {fmt(row['max'])} "
                        f"lost {row['lost']} dup {row['duplicates']} errors {row['errors']} via {row['via']}")
                result["pipelines"][mode] = {"steps": rows, "knee": knee(rows), "gaps": obs["gaps"] if obs else None,
                                             "agents_process_cpu_s": obs.get("cpu_s") if obs else None,
                                             "closed_sockets": len(obs["closed"]) if obs else None,
                                             "accept": summarise_http(obs["accept"]) if obs else None,
                                             "answer": summarise_http(obs["answer"]) if obs else None}
    except Exception:
        for c in clusters.values():
            log(f"{name}: failed; server logs:\n" + c.log_text()[-3000:])
        raise
    finally:
        for p in pipelines.values():
            if p.agents and p.agents.poll() is None:
                p.agents.kill()
        for c in clusters.values():
            c.stop_servers()
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


def knee(rows):
    """The highest rate before p99 passes 1 s or anything is lost (None: even the lowest failed)."""
    best = None
    for row in rows:
        if row["lost"] or row["errors"] or row["p99"] is None or row["p99"] > P99_LIMIT:
            break
        best = row["rate"]
    return best


def fmt(seconds):
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def ratio(a, b):
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.1f}×"


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
    pg = subprocess.run(["sh", "-c", "ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1"], capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["sh", "-c", "redis-server --version 2>/dev/null"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1), "python": platform.python_version(),
            "versions": versions, "postgresql": pg, "redis_server": redis.split(" ")[2] if redis else None}


def markdown(results):
    lines = ["| configuration | pipeline | rate/s | p50 | p99 | max | lost | dup | HTTP p99 | CPU ms/text | load | "
             "p50 ÷ base | p99 ÷ base | max ÷ base | CPU ÷ base |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    knees = ["", "| configuration | knee: baseline | knee: product | product ÷ baseline |", "| --- | ---: | ---: | ---: |"]
    for res in results["configs"]:
        base = {r["rate"]: r for r in res["pipelines"].get("baseline", {}).get("steps", [])}
        for mode, p in res["pipelines"].items():
            for r in p["steps"]:
                b = base.get(r["rate"], {})
                extra = f" (+{r['errors']} errors)" if r["errors"] else ""
                lines.append(f"| {res['config']} | {mode} | {r['rate']:g} | {fmt(r['p50'])} | {fmt(r['p99'])} | {fmt(r['max'])} | "
                             f"{r['lost']}{extra} | {r['duplicates']} | {fmt(r['http_p99'])} | {r['server_cpu_ms_per_text']:.1f} | "
                             f"{r['loadavg'][0]:.1f} | "
                             + " | ".join(ratio(r[k], b.get(k)) if mode != "baseline" else "1.0×"
                                          for k in ("p50", "p99", "max", "server_cpu_ms_per_text")) + " |")
        kb = res["pipelines"].get("baseline", {}).get("knee")
        kp = res["pipelines"].get("product", {}).get("knee")
        knees.append(f"| {res['config']} | {kb if kb is not None else '< lowest'} | {kp if kp is not None else '< lowest'} | "
                     f"{ratio(kp, kb) if kp and kb else '–'} |")
    # Where the machine's CPU went, per text (the two cores also run PostgreSQL, Redis and the clients).
    budget = ["", "| configuration | pipeline | rate/s | daphne ms/text | PostgreSQL ms/text | Redis ms/text | clients ms/text | busy cores |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for res in results["configs"]:
        for mode, p in res["pipelines"].items():
            for r in p["steps"]:
                other = r.get("other_cpu_ms_per_text")
                if other is None:
                    continue
                pg = f"{other['postgres']:.1f}" if res["database"] == "pg" else "–"
                rd = f"{other['redis']:.1f}" if res["layer"] != "in-memory" else "–"
                budget.append(f"| {res['config']} | {mode} | {r['rate']:g} | {r['server_cpu_ms_per_text']:.1f} | {pg} | {rd} | "
                              f"{other['agents']:.1f} | {r['busy_cores']:.2f} |")
    return "\n".join(lines + knees + (budget if len(budget) > 3 else []))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="sqlite-1,pg-pubsub-1,pg-pubsub-2,pg-core-2", help=f"comma list of {', '.join(CONFIGS)}")
    parser.add_argument("--pipelines", default="baseline,product")
    parser.add_argument("--rates", default="2,5,10,20,30,40,50,60,80,100,125,150,200,250,300")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per rate")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds at 10/s before the first rate, not measured")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds without a new offer that end a step's drain")
    parser.add_argument("--all-rates", action="store_true", help="keep going after a rate fails (default: stop there, the knee is known)")
    parser.add_argument("--server-env", default="", help="extra KEY=VALUE,... for the servers (e.g. CXSMS_CHANNEL_CAPACITY=100)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--actions", choices=["ws", "rest"], default="ws",
                        help="how the product's agents accept and answer: over their socket, as the workspace page does "
                             "(default), or through the REST API")
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
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results = {"started": stamp, "command": " ".join([Path(sys.executable).name, "bench/run.py", *sys.argv[1:]]), "machine": machine(),
               "args": {k: v for k, v in vars(args).items() if k != "out"}, "configs": []}
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
