"""The cost of one ACD routing decision (R13): offers.route_room on a new queued room.

For 10, 100, 1,000 and 10,000 agents (one tenant, one SMS skill, team limit 5, proficiencies 1-5,
everyone available) and 0, 1,000 and 100,000 rooms already waiting in the queue (bulk-created), it
times two kinds of decision on a fresh room:

- offer: agents have free slots; the decision picks one, locks and recounts them, offers the room;
- queue: every agent is at the limit; the decision finds nobody and records why.

Each sample is one route_room call in its own transaction, commit included. The on-commit push is
handed to the push pump on an event loop in another thread, as in a server process (the
in-memory channel layer: REDIS_URL is ignored here). Reported: p50 and p99 in ms and
the queries per decision. The data lives in a throwaway database on the server of DATABASE_URL
(PostgreSQL: created and dropped, the role needs CREATEDB) or in a throwaway SQLite file.

    DATABASE_URL=postgres://user:pw@127.0.0.1:5432/db .venv/bin/python bench/routing_bench.py
    .venv/bin/python bench/routing_bench.py --sqlite
    options: --agents 10,100,1000,10000 --queued 0,1000,100000 --samples 300 --json out.json --profile
"""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 5.0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", default="10,100,1000,10000")
    p.add_argument("--queued", default="0,1000,100000")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file instead of DATABASE_URL")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--profile", action="store_true", help="cProfile the offer decisions of the largest configuration")
    return p.parse_args()


def configure(args):
    os.environ.pop("REDIS_URL", None)  # the decision's cost, not Redis's
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
    os.environ["CXSMS_RUN_TIMERS"] = "0"
    os.environ.setdefault("CXSMS_LOG_LEVEL", "WARNING")
    os.environ["CXSMS_DEBUG"] = "0"  # as in production (DEBUG also records every query)
    os.environ.setdefault("CXSMS_SECRET_KEY", "routing-bench-only")
    if args.sqlite:
        tmp = tempfile.mkdtemp(prefix="cxsms-routing-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["CXSMS_TEST_DATABASE_NAME"] = f"{tmp}/bench-test.sqlite3"
    else:
        os.environ["CXSMS_TEST_DATABASE_NAME"] = f"cxsms_routing_bench_{os.getpid()}"
    import django

    django.setup()
    if not os.environ.get("NOPUMP"):
        start_pump()


def start_pump():
    """An event loop in a thread, with the push pump on it: what a daphne process has."""
    import asyncio
    import threading

    from routing import events

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    events.start_pump(loop)


def machine(connection):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            db = "PostgreSQL " + cur.fetchone()[0]
        else:
            cur.execute("select sqlite_version()")
            db = "SQLite " + cur.fetchone()[0]
    mem = ""
    try:
        mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1] + " GiB"
    except Exception:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "os": platform.platform(), "python": platform.python_version(),
            "django": django.get_version(), "database": db}


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


class World:
    """One tenant at a time, built with bulk_create; rooms wiped between agent counts."""

    def __init__(self):
        from routing import services
        from routing.choices import Channel, CodeType
        from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant

        self.rng = random.Random(7)
        self.tenant = Tenant.objects.create(name="Bench Co", slug="bench", sms_messaging_enabled=True)
        self.team = Team.objects.create(tenant=self.tenant, name="Everyone", session_limit=5)
        self.skill = Skill.objects.create(tenant=self.tenant, name="SMS", channel=Channel.SMS)
        account = services.object_save(instance=CarrierAccount(tenant=self.tenant, name="sim"))
        self.poc = services.object_save(instance=PointOfContact(
            tenant=self.tenant, channel=Channel.SMS, number="+12125550160", country=Country.objects.get(code="US"),
            code_type=CodeType.LONG, skill=self.skill, carrier_account=account))
        self.agent_ids = []
        self.queued = 0
        self.contact = 0

    def next_contact(self):
        self.contact += 1
        return "+1%010d" % (3000000000 + self.contact)

    def set_agents(self, n):
        from django.utils import timezone

        from routing.choices import AgentState, Role
        from routing.models import AgentSkill, User

        now = timezone.now()
        have = len(self.agent_ids)
        # Available with free slots: routable, as agents.agent_set_state would leave them.
        users = [User(tenant=self.tenant, username=f"agent{i:05d}", role=Role.AGENT, team=self.team, state=AgentState.AVAILABLE,
                      password="!", idle_since=now - timedelta(seconds=self.rng.randint(0, 86400)), routable=True)
                 for i in range(have, n)]
        created = User.objects.bulk_create(users, batch_size=2000)
        AgentSkill.objects.bulk_create([AgentSkill(agent=u, skill=self.skill, proficiency=self.rng.randint(1, 5), agent_routable=True,
                                                   agent_idle_since=u.idle_since) for u in created],
                                       batch_size=2000)
        self.agent_ids += [u.pk for u in created]

    def set_queue(self, q):
        from django.utils import timezone

        from routing.choices import Channel, RoomState
        from routing.models import Room

        now = timezone.now()
        add = q - self.queued
        for start in range(0, add, 5000):
            Room.objects.bulk_create([
                Room(tenant=self.tenant, channel=Channel.SMS, state=RoomState.QUEUED, point_of_contact=self.poc,
                     contact_number=self.next_contact(), poc_number=self.poc.number, skill=self.skill,
                     priority=self.rng.randint(1, 10), opened_at=now, queued_at=now - timedelta(seconds=self.rng.randint(0, 7200)))
                for _ in range(min(5000, add - start))])
        self.queued = q

    def wipe_rooms(self):
        from django.db import connection

        with connection.cursor() as cur:
            for table in ("routing_routingdecision", "routing_message", "routing_room"):
                cur.execute(f"DELETE FROM {table}")
        from routing.models import AgentSkill, User

        User.objects.filter(tenant=self.tenant).update(held=0, routable=True)
        AgentSkill.objects.filter(skill=self.skill).update(agent_routable=True)
        self.queued = 0

    def new_room(self):
        from routing.choices import Channel
        from routing.models import Room

        return Room.objects.create(tenant=self.tenant, channel=Channel.SMS, point_of_contact=self.poc, contact_number=self.next_contact(),
                                   poc_number=self.poc.number, skill=self.skill, priority=5).pk


def analyze(connection):
    with connection.cursor() as cur:
        cur.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def measure(world, kind, samples, connection):
    """Time `samples` decisions of one kind; undo each one outside the timing."""
    from django.db.models import F

    from routing.acd import offers
    from routing.choices import RoomState
    from routing.models import AgentSkill, Room, User

    if kind == "queue":
        # Everyone at the limit, as the engine's caches say once they are (no room rows needed).
        User.objects.filter(tenant=world.tenant).update(held=5, routable=False)
        AgentSkill.objects.filter(skill=world.skill).update(agent_routable=False)
    times, queries = [], []
    for i in range(samples + 20):  # the first 20 warm caches up and are not counted
        room_id = world.new_room()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            agent_id = offers.route_room(room_id, "bench")
            elapsed = time.perf_counter() - t0
        if kind == "offer":
            assert agent_id is not None, "no agent was free"
            Room.objects.filter(pk=room_id).update(state=RoomState.CLOSED)
            User.objects.filter(pk=agent_id).update(held=F("held") - 1)
        else:
            assert agent_id is None, "an agent was free"
            Room.objects.filter(pk=room_id).update(state=RoomState.CLOSED)
        if i >= 20:
            times.append(elapsed * 1000)
            queries.append(counter.n)
    if kind == "queue":
        User.objects.filter(tenant=world.tenant).update(held=0, routable=True)
        AgentSkill.objects.filter(skill=world.skill).update(agent_routable=True)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
            "mean": statistics.fmean(times), "queries": statistics.fmean(queries)}


def main():
    args = parse_args()
    configure(args)
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    agent_levels = [int(x) for x in args.agents.split(",")]
    queue_levels = [int(x) for x in args.queued.split(",")]
    old = setup_databases(verbosity=0, interactive=False)
    results = []
    try:
        info = machine(connection)
        print(f"# routing decision benchmark — {info['database']}", file=sys.stderr)
        world = World()
        for n in agent_levels:
            world.wipe_rooms()
            world.set_agents(n)
            for q in queue_levels:
                t0 = time.time()
                world.set_queue(q)
                analyze(connection)
                row = {"agents": n, "queued": q}
                for kind in ("offer", "queue"):
                    if args.profile and kind == "offer" and n == agent_levels[-1] and q == queue_levels[-1]:
                        import cProfile
                        import pstats

                        prof = cProfile.Profile()
                        prof.enable()
                        row[kind] = measure(world, kind, args.samples, connection)
                        prof.disable()
                        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
                    else:
                        row[kind] = measure(world, kind, args.samples, connection)
                results.append(row)
                print(f"agents {n:>6} queued {q:>7}: offer p50 {row['offer']['p50']:.2f} p99 {row['offer']['p99']:.2f} ms "
                      f"({row['offer']['queries']:.0f} q) · queue p50 {row['queue']['p50']:.2f} p99 {row['queue']['p99']:.2f} ms "
                      f"({row['queue']['queries']:.0f} q) [{time.time() - t0:.0f} s]", file=sys.stderr, flush=True)
    finally:
        connection.close()
        teardown_databases(old, verbosity=0)

    lines = [f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, {info['os']}; Python {info['python']}, "
             f"Django {info['django']}, {info['database']}. {args.samples} decisions per cell.", "",
             "| agents | queued rooms | offer p50 ms | offer p99 ms | queue p50 ms | queue p99 ms | queries (offer / queue) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['agents']:,} | {r['queued']:,} | {r['offer']['p50']:.2f} | {r['offer']['p99']:.2f} | {r['queue']['p50']:.2f} | "
                     f"{r['queue']['p99']:.2f} | {r['offer']['queries']:.0f} / {r['queue']['queries']:.0f} |")
    print("\n".join(lines))
    worst = max(max(r["offer"]["p50"], r["queue"]["p50"]) for r in results)
    if info["database"].startswith("PostgreSQL"):
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        print(f"\nTarget: p50 under {TARGET_MS} ms at every size — {verdict} (worst p50 {worst:.2f} ms).")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "samples": args.samples, "results": results}, indent=2))


if __name__ == "__main__":
    main()
