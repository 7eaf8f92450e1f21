"""Timer lateness on the task engine (docs/benchmarks.md, "Timers"): 10,000 open SMS rooms, of which
1,000 fall due in the same second; how late each expiry commits (p50/p99/max), and how many expiry
jobs per second the workers get through.

    make bench-timers                                  # both configurations
    make bench-timers BENCH_ARGS="--config sqlite-1"   # SQLite, one worker process (the timers queue's threads)
    make bench-timers BENCH_ARGS="--config pg-2"       # PostgreSQL + Redis, two run_worker processes

Each expiry is a `rooms.expire_room` job scheduled for the room's due time, as an accept schedules it;
it locks the room, closes it, recounts its agent's slots and queues the dispatch and the pushes: the
whole of an expiry except the websocket frame. Lateness is the room's closed_at minus its due time.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

OPEN, DUE, AGENTS = 10_000, 1_000, 1_000
LEAD = 20  # seconds between scheduling and the due second


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", choices=["sqlite-1", "pg-2", "both"], default="both")
    p.add_argument("--json", help="write the figures here too")
    args = p.parse_args()
    from bench.run import make_cluster, services_env, services_stop

    results = []
    for config in (["sqlite-1", "pg-2"] if args.config == "both" else [args.config]):
        database = "sqlite" if config == "sqlite-1" else "pg"
        cluster = make_cluster(database, 1, {}, {} if database == "sqlite" else services_env())
        cluster.workers = 0
        try:
            cluster.create_database()
            cluster.manage("migrate", "--noinput")
            env = dict(cluster.env, CXSMS_DEBUG="0", CXSMS_SECRET_KEY="bench-only-key", CXSMS_LOG_LEVEL="WARNING",
                       DJANGO_SETTINGS_MODULE="cxsms_site.settings")
            cluster.env = env
            if database == "pg":
                for _ in range(2):
                    cluster.start_worker()
            out = subprocess.run([sys.executable, "-m", "bench.timers_bench", "--run", config], cwd=ROOT, env=env,
                                 capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{config} failed:\n{out.stderr[-4000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{config}: {OPEN} open, {DUE} due in one second: lateness p50 {result['p50']:.2f} s, p99 {result['p99']:.2f} s, "
                  f"max {result['max']:.2f} s; {result['jobs_per_second']:.0f} expiry jobs/s")
        finally:
            cluster.kill_workers()
            cluster.drop_database()
            if database == "pg":
                services_stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


def run(config):
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from routing import jobs, workers
    from routing.choices import Channel, CodeType, RoomState
    from routing.models import CarrierAccount, Country, PointOfContact, Room, Skill, Team, Tenant, User

    tenant = Tenant.objects.create(name="Timer bench", slug="timer-bench", sms_messaging_enabled=True)
    team = Team.objects.create(tenant=tenant, name="Everyone", session_limit=12)
    skill = Skill.objects.create(tenant=tenant, name="SMS", channel=Channel.SMS)
    account = CarrierAccount.objects.create(tenant=tenant, provider="simulator", name="Simulator")
    poc = PointOfContact.objects.create(tenant=tenant, channel=Channel.SMS, number="+12125550199", country=Country.objects.get(code="US"),
                                        code_type=CodeType.LONG, skill=skill, carrier_account=account)
    password = make_password(None)
    agents = User.objects.bulk_create([User(tenant=tenant, username=f"agent{i}", role="agent", team=team, password=password,
                                            state="available")
                                       for i in range(AGENTS)])
    now = timezone.now()
    due = (now + timedelta(seconds=LEAD)).replace(microsecond=0)
    rooms = [Room(tenant=tenant, channel=Channel.SMS, state=RoomState.ACTIVE, point_of_contact=poc, poc_number=poc.number,
                  contact_number=f"+1202{i:07d}", skill=skill, agent=agents[i % AGENTS], opened_at=now, accepted_at=now,
                  expires_at=due if i < DUE else now + timedelta(hours=2)) for i in range(OPEN)]
    Room.objects.bulk_create(rooms, batch_size=1000)
    User.objects.filter(tenant=tenant).update(held=OPEN // AGENTS)
    due_ids = list(Room.objects.filter(tenant=tenant, expires_at=due).values_list("id", flat=True))
    if config == "sqlite-1":
        workers.start_pump_thread()  # pushes leave through a loop's pump, as in the web process
        workers.start(["timers"], catch_up=False)  # this process is the one worker
    for room_id in due_ids:
        jobs.enqueue_at("rooms.expire_room", due, room_id)  # outside a transaction: scheduled at once
    deadline = time.time() + LEAD + 300
    while time.time() < deadline:
        left = Room.objects.filter(pk__in=due_ids, state=RoomState.ACTIVE).count()
        if left == 0:
            break
        time.sleep(0.5)
    closed = list(Room.objects.filter(pk__in=due_ids, state=RoomState.CLOSED).values_list("closed_at", flat=True))
    late = sorted((c - due).total_seconds() for c in closed)
    still_open = Room.objects.filter(tenant=tenant, state=RoomState.ACTIVE).count()
    assert len(late) == DUE and still_open == OPEN - DUE, (len(late), still_open)
    span = max(late[-1] - late[0], 0.001)
    print(json.dumps({"config": config, "database": connection.vendor, "open": OPEN, "due": DUE,
                      "p50": statistics.median(late), "p99": late[int(0.99 * (len(late) - 1))], "max": late[-1],
                      "first": late[0], "jobs_per_second": DUE / span}))
    if config == "sqlite-1":
        workers.stop(graceful=False)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        run(sys.argv[2])
    else:
        main()
