"""Campaign figures (issue 16, docs/benchmarks.md): a contact list's import (rows/s, peak memory) and the
dispatch's throughput with the throttle off, on a throwaway SQLite database in this process; then, with
DATABASE_URL (PostgreSQL) and REDIS_URL set (`make bench-campaigns` starts scripts/services.sh), the dispatch
on PostgreSQL with one and two `manage.py run_worker` processes against a fake Twilio, the campaign of
--pg-campaign recipients with two workers (0 duplicates, 0 sends outside the window), a bare loop storing the
same messages and calling the fake carrier, and the throttle's error at 20 texts/s over a minute.

Import: a generated CSV of ROWS rows (names, cities, a share of bad and duplicate numbers) goes through
campaigns.services.contact_list_import exactly as an upload does; peak memory is the Python heap's peak
during the import (tracemalloc) and the process's peak RSS growth. Dispatch: a campaign over DISPATCH
recipients on a simulator point of contact at 1000 texts/s (jobs in immediate mode, so each text's
outbox job runs too), beside a bare loop that stores the same messages through text_send alone.

    make bench-campaigns BENCH_ARGS="--rows 100000 --dispatch 5000 --pg-campaign 20000"

CPU times are user + system seconds of this process (import) or of the worker processes (dispatch): the machine
is shared, so wall times depend on its load (printed with the results, which also go to bench/results/ as JSON).
"""
import argparse
import collections
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, nargs="+", default=[100_000])
    p.add_argument("--dispatch", type=int, default=2000, help="recipients of the dispatch run (0: skip)")
    p.add_argument("--heap", action="store_true",
                   help="also trace the Python heap's peak (tracemalloc: the import runs several times slower)")
    p.add_argument("--pg-one", type=int, default=10000, help="recipients of the PostgreSQL run with one worker (0: skip)")
    p.add_argument("--pg-campaign", type=int, default=100000,
                   help="recipients of the PostgreSQL campaign with two workers, checked for duplicates and the window (0: skip)")
    p.add_argument("--bare", type=int, default=3000, help="texts of the bare store-and-call loop")
    p.add_argument("--throttle-seconds", type=int, default=65, help="how long the 20 texts/s campaign is watched (0: skip)")
    p.add_argument("--json", default=str(ROOT / "bench" / "results" / f"{datetime.date.today()}-campaigns.json"))
    return p.parse_args()


PG_ENV = {k: os.environ.get(k) for k in ("REDIS_URL", "DATABASE_URL")}  # for the PostgreSQL cluster, before SQLite's set-up
RESULTS = {"machine": {"cpus": os.cpu_count()}, "import": [], "dispatch": []}


def configure(tmp):
    for k in ("REDIS_URL", "DATABASE_URL"):
        os.environ.pop(k, None)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
    os.environ["CXSMS_DEBUG"] = "0"  # as in production (DEBUG also records every query)
    os.environ.setdefault("CXSMS_SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ["CXSMS_SSL_REDIRECT"] = "0"
    os.environ["CXSMS_JOBS_IMMEDIATE"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_csv(path, rows):
    rnd = random.Random(16)
    cities = ["Lisbon", "Porto", "Seattle", "Zoë's town", "São Paulo", "Honolulu"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("phone,first_name,city,note\n")
        for i in range(rows):
            r = rnd.random()
            # about 1 % bad, 1 % repeated, the rest in five area codes (several time zones)
            if r < 0.01:
                phone = "not a number"
            elif r < 0.02:
                phone = f"+1 212 555 {rnd.randrange(10000):04d}"
            else:
                phone = f"+1{[212, 646, 415, 808, 907][i % 5]}{2000000 + i // 5:07d}"
            f.write(f"{phone},Name{i},{cities[i % len(cities)]},=note{i}\n")


def bench_import(tenant, rows, tmp, heap=False):
    from campaigns import services

    path = Path(tmp) / f"list-{rows}.csv"
    write_csv(path, rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if heap:
        tracemalloc.start()
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        cl = services.contact_list_import(tenant=tenant, name=f"bench {rows}", file=f)
    elapsed = time.perf_counter() - t0
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
    peak = tracemalloc.get_traced_memory()[1] if heap else 0
    tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    heap_text = f"heap peak {peak / 2**20:5.1f} MiB, " if heap else ""
    RESULTS["import"].append({"rows": rows, "seconds": round(elapsed, 2), "rows_per_s": round(rows / elapsed), "cpu_s": round(cpu, 2),
                              "peak_rss_growth_mib": round(rss_growth, 1), "heap_peak_mib": round(peak / 2**20, 1) if heap else None,
                              "file_mib": round(path.stat().st_size / 2**20, 1), "accepted": cl.accepted, "duplicates": cl.duplicates,
                              "refused": cl.rejected, "load_avg": os.getloadavg()[0]})
    print(f"import {rows:>7,} rows: {elapsed:6.1f} s, {rows / elapsed:8,.0f} rows/s, CPU {cpu:5.1f} s, {heap_text}"
          f"peak RSS growth {rss_growth:5.1f} MiB; file {path.stat().st_size / 2**20:.1f} MiB; "
          f"accepted {cl.accepted:,}, duplicates {cl.duplicates:,}, refused {cl.rejected:,}")
    return cl


def bench_dispatch(tenant, poc, n):
    from django.utils import timezone

    from campaigns import dispatch, services
    from campaigns.models import Campaign, ContactList, ContactListEntry, Recipient
    from routing.hub import outbound

    numbers = [f"+1212{5000000 + i:07d}" for i in range(n)]
    cl = ContactList.objects.create(tenant=tenant, name="dispatch", columns=["name"], state="ready", accepted=n)
    ContactListEntry.objects.bulk_create([ContactListEntry(contact_list=cl, number=x, fields={"name": f"P{i}"}, line=i + 2)
                                          for i, x in enumerate(numbers)], batch_size=5000)
    services.send_rate_set(point_of_contact=poc, rate=1000)
    c = services.campaign_save(campaign=Campaign(tenant=tenant, name="bench", point_of_contact=poc, contact_list=cl, template="Hi {name}!"))
    c.start_at = timezone.now() + datetime.timedelta(days=1)  # started by hand below, at a moment inside New York's window
    c.save()
    services.campaign_start(campaign=c)
    Campaign.objects.filter(pk=c.pk).update(state="running")
    noon_ny = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0)
    t0 = time.perf_counter()
    dispatch.dispatch(c.pk, (noon_ny - timezone.now()).total_seconds())
    while Recipient.objects.filter(campaign=c, state="pending").exists():  # RUN_FOR handed over: go on
        dispatch.dispatch(c.pk, (noon_ny - timezone.now()).total_seconds())
    elapsed = time.perf_counter() - t0
    print(f"dispatch {n:,} texts (SQLite, one worker, simulator carrier, throttle 1000/s): {elapsed:5.1f} s, {n / elapsed:6.0f} texts/s")
    t0 = time.perf_counter()
    for x in numbers[: n // 5]:
        outbound.text_send(point_of_contact=poc, to_number=x.replace("+1212", "+1646"), body="Hi P1!")
    bare = time.perf_counter() - t0
    print(f"bare loop of text_send (the same store + outbox, no campaign): {n // 5 / bare:6.0f} texts/s")
    RESULTS["dispatch"].append({"database": "sqlite", "workers": 1, "carrier": "simulator (jobs in this process)", "texts": n,
                                "seconds": round(elapsed, 2), "texts_per_s": round(n / elapsed, 1),
                                "bare_text_send_per_s": round(n // 5 / bare, 1)})


# --- PostgreSQL: real worker processes against a fake Twilio -----------------------------------------------------

# Numbers of several parts of the world with room for many subscribers: at any hour one of them is inside 08:00-21:00.
REGIONS = [("+1212", 7), ("+91987", 7), ("+8190", 8), ("+447400", 6), ("+1808", 7), ("+4915112", 6), ("+551198", 7)]

SETUP = """
import json
from rest_framework.authtoken.models import Token
from routing import services as rs
from routing.models import CarrierAccount, Country, PointOfContact, Tenant, User
from campaigns import services
t = rs.object_save(instance=Tenant(name="Bench", slug="bench", sms_messaging_enabled=True))
acc = rs.object_save(instance=CarrierAccount(tenant=t, provider="twilio", name="tw", account_sid="AC" + "1" * 32, auth_token="tok"))
ids = []
for i, rate in enumerate([1000, 20]):
    poc = rs.object_save(instance=PointOfContact(tenant=t, channel="sms", number="+1212555010%d" % i,
                                                 country=Country.objects.get(code="US"), code_type="long", carrier_account=acc))
    services.send_rate_set(point_of_contact=poc, rate=rate)
    ids.append(poc.pk)
print(json.dumps({"tenant": t.pk, "pocs": ids}))
"""

CAMPAIGN = """
import json, time
from django.db import connection
from campaigns import services
from campaigns.models import Campaign, ContactList
t0 = time.perf_counter()
cl = ContactList.objects.create(tenant_id=__TENANT__, name="list __NAME__", columns=["name"], state="ready")
rows = [(cl.pk, __PREFIX__ + "%0*d" % (__DIGITS__, i), json.dumps({"name": "P%d" % i}), i + 2) for i in range(1, __N__ + 1)]
rows += [(cl.pk, __CLOSED_PREFIX__ + "%0*d" % (__CLOSED_DIGITS__, i), json.dumps({"name": "W%d" % i}), __N__ + i + 2)
         for i in range(1, __CLOSED__ + 1)]
with connection.cursor() as cur:
    cur.executemany("INSERT INTO campaigns_contactlistentry (contact_list_id, number, fields, line) VALUES (%s, %s, %s, %s)", rows)
ContactList.objects.filter(pk=cl.pk).update(accepted=len(rows))
c = services.campaign_save(campaign=Campaign(tenant_id=__TENANT__, name=__NAME__, point_of_contact_id=__POC__, contact_list=cl,
                                             template="Hi {name}: Lisbon in May!", append_opt_out=False))
t1 = time.perf_counter()
c = services.campaign_start(campaign=c)
print(json.dumps({"campaign": c.pk, "state": c.state, "list_s": round(t1 - t0, 2), "start_s": round(time.perf_counter() - t1, 2)}))
"""

CHECK = """
import json
from campaigns import rules
from campaigns.models import Campaign, Recipient
c = Campaign.objects.select_related("tenant").get(pk=__CAMPAIGN__)
outside = sent = waiting_sent = 0
for zones, at, state in Recipient.objects.filter(campaign=c).values_list("zones", "sent_at", "state").iterator(chunk_size=5000):
    if at is not None:
        sent += 1
        outside += not rules.window_open(zones, at, c.window_start, c.window_end, c.days, c.tenant.time_zone)
times = sorted(Recipient.objects.filter(campaign=c, sent_at__isnull=False).values_list("sent_at", flat=True))
print(json.dumps({"sent": sent, "outside_window": outside, "state": c.state,
                  "pending": Recipient.objects.filter(campaign=c, state="pending").count(),
                  "times": [t.timestamp() for t in times] if __TIMES__ else []}))
"""

CANCEL = """
from campaigns import services
from campaigns.models import Campaign
c = Campaign.objects.get(pk=__CAMPAIGN__)
if c.state not in ("completed", "cancelled"):
    services.campaign_cancel(campaign=c)
print("{}")
"""

BARE = """
import json, time, requests
from django.utils import timezone
from routing.models import Message, PointOfContact
poc = PointOfContact.objects.get(pk=__POC__)
session = requests.Session()
t0 = time.perf_counter()
for i in range(__N__):
    to = "+1646%07d" % i
    m = Message.objects.create(tenant_id=poc.tenant_id, point_of_contact=poc, contact_number=to, direction="outbound",
                               body="Hi P%d: Lisbon in May!" % i, status="pending", encoding="gsm7", segments=1, created_at=timezone.now())
    r = session.post(__URL__ + "/2010-04-01/Accounts/AC" + "1" * 32 + "/Messages.json",
                     data={"To": to, "From": poc.number, "Body": m.body}, auth=("AC" + "1" * 32, "tok"), timeout=10)
    Message.objects.filter(pk=m.pk).update(status="sent", carrier_sid=r.json()["sid"])
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def open_region(now, minutes, closed=False):
    """A prefix whose numbers are inside (or, closed=True, outside) the default window for the next `minutes`."""
    from campaigns import rules

    for prefix, digits in REGIONS:
        zones = rules.number_zones(prefix + "0" * digits)
        inside = [rules.window_open(zones, now + datetime.timedelta(minutes=m), datetime.time(8), datetime.time(21))
                  for m in range(0, minutes + 1, 5)]
        if (not any(inside)) if closed else all(inside):
            return prefix, digits
    raise RuntimeError("no region fits: add one to REGIONS")


def cpu_of(procs):
    """User + system seconds of these processes so far (Linux /proc)."""
    total = 0
    for p in procs:
        try:
            fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError):
            pass
    return total


def shell_json(cluster, code, **values):
    """Run Python in the cluster's database (manage.py shell) and return the JSON it printed last."""
    t0 = time.perf_counter()
    try:
        return _shell_json(cluster, code, **values)
    finally:
        print(f"  (manage.py shell: {time.perf_counter() - t0:.1f} s)", flush=True)


def _shell_json(cluster, code, **values):
    for k, v in values.items():
        code = code.replace(f"__{k}__", repr(v))
    out = [line for line in cluster.shell(code).strip().splitlines() if line.startswith("{")]
    return json.loads(out[-1]) if out else None


def pg_dispatch(cluster, fake, setup, n, workers, label, closed=0):
    """Start a campaign of n recipients inside their window (and `closed` outside it) at 1000/s; wait for the n sends."""
    now = datetime.datetime.now(datetime.UTC)
    prefix, digits = open_region(now, 20)
    closed_prefix, closed_digits = open_region(now, 20, closed=True) if closed else ("", 0)
    before = len(fake.sent)
    started = shell_json(cluster, CAMPAIGN, TENANT=setup["tenant"], POC=setup["pocs"][0], NAME=label, PREFIX=prefix, DIGITS=digits,
                         CLOSED_PREFIX=closed_prefix, CLOSED_DIGITS=closed_digits, CLOSED=closed, N=n)
    cpu0, t0 = cpu_of(cluster.worker_procs), time.perf_counter()
    first = None
    deadline = time.time() + max(180, n / 10)  # a loaded machine sends slowly: give it time rather than cut the run
    while len(fake.sent) - before < n and time.time() < deadline:
        if first is None and len(fake.sent) > before:
            first = time.perf_counter()
        time.sleep(0.2)
    elapsed = time.perf_counter() - (first or t0)
    cpu = cpu_of(cluster.worker_procs) - cpu0
    time.sleep(2)  # a late duplicate (a retried batch, an outbox retry) would arrive now
    mine = [m["To"] for m in fake.sent[before:]]
    counts = collections.Counter(mine)
    check = shell_json(cluster, CHECK, CAMPAIGN=started["campaign"], TIMES=0)
    result = {"database": "postgresql", "workers": workers, "carrier": "fake Twilio (HTTP)", "texts": n, "texts_sent": len(counts),
              "duplicates": sum(k - 1 for k in counts.values() if k > 1), "outside_window": check["outside_window"],
              "waiting_outside_window": closed, "still_pending": check["pending"], "seconds": round(elapsed, 2),
              "texts_per_s": round(len(mine) / elapsed, 1), "workers_cpu_s": round(cpu, 2),
              "cpu_ms_per_text": round(1000 * cpu / max(1, len(mine)), 2), "list_insert_s": started["list_s"],
              "start_s": started["start_s"], "load_avg": os.getloadavg()[0]}
    print(f"dispatch {len(mine):,} texts (PostgreSQL, {workers} worker{'s' * (workers > 1)}, fake Twilio, throttle 1000/s): "
          f"{elapsed:5.1f} s, {result['texts_per_s']:6.0f} texts/s, workers' CPU {cpu:5.1f} s; duplicates {result['duplicates']}, "
          f"outside the window {result['outside_window']}, still pending {check['pending']} ({closed} outside their window); "
          f"start (recipients copied) {started['start_s']} s")
    if closed:
        shell_json(cluster, CANCEL, CAMPAIGN=started["campaign"])
    RESULTS["dispatch"].append(result)
    return result


def pg_bare(cluster, fake, setup, n):
    before = len(fake.sent)
    got = shell_json(cluster, BARE, POC=setup["pocs"][0], URL=fake.url, N=n)
    rate = n / got["seconds"]
    print(f"bare loop (PostgreSQL, one process: INSERT the message, POST to the fake Twilio, UPDATE its status): {rate:6.0f} texts/s")
    RESULTS["bare_loop"] = {"database": "postgresql", "texts": n, "sent": len(fake.sent) - before, "texts_per_s": round(rate, 1)}


def pg_throttle(cluster, fake, setup, seconds):
    """A campaign at 20 texts/s watched for `seconds`: sends per whole minute and per second against the rate."""
    now = datetime.datetime.now(datetime.UTC)
    prefix, digits = open_region(now, 10)
    n = 20 * (seconds + 30)
    started = shell_json(cluster, CAMPAIGN.replace('"Hi {name}: Lisbon in May!"', '"Porto {name}"'), TENANT=setup["tenant"],
                         POC=setup["pocs"][1], NAME="throttle", PREFIX=prefix, DIGITS=digits,
                         CLOSED_PREFIX="", CLOSED_DIGITS=0, CLOSED=0, N=n)
    time.sleep(seconds + 3)
    check = shell_json(cluster, CHECK, CAMPAIGN=started["campaign"], TIMES=1)
    times = check["times"]
    t0 = times[0]
    per_second = collections.Counter(int(t - t0) for t in times)
    whole = int(times[-1] - t0)
    minutes = [sum(1 for t in times if start <= t - t0 < start + 60) for start in range(0, whole - 59)]
    worst_minute = max((abs(m - 1200) / 1200 for m in minutes), default=None)
    secs = [per_second.get(i, 0) for i in range(whole)]
    result = {"rate": 20, "watched_s": seconds, "sent": len(times), "minutes_checked": len(minutes),
              "worst_minute_error_pct": round(100 * worst_minute, 2) if worst_minute is not None else None,
              "per_second_min": min(secs) if secs else None, "per_second_max": max(secs) if secs else None}
    print(f"throttle 20 texts/s over {seconds} s: {len(times)} sent; every sliding minute within "
          f"{result['worst_minute_error_pct']} % of 1,200 ({len(minutes)} minutes checked); per second {result['per_second_min']}"
          f"–{result['per_second_max']}")
    RESULTS["throttle"] = result
    try:
        shell_json(cluster, CANCEL, CAMPAIGN=started["campaign"])
    except subprocess.CalledProcessError as exc:
        print("  the throttled campaign could not be cancelled:", (exc.stderr or "")[-800:])


def bench_pg(args):
    from tests.hub import FakeTwilio
    from tests.pg.cluster import Cluster

    os.environ.update({k: v for k, v in PG_ENV.items() if v})
    fake = FakeTwilio()
    try:
        with Cluster(processes=1, workers=1, demo=False, name="bench-campaigns",
                     env={"CXSMS_TWILIO_API_BASE": fake.url, "CXSMS_DEBUG": "0", "CXSMS_LOG_LEVEL": "WARNING",
                          "CXSMS_JOBS_IMMEDIATE": "0"}) as cluster:  # this process runs its SQLite part in immediate mode
            setup = shell_json(cluster, SETUP)
            if args.pg_one:
                pg_dispatch(cluster, fake, setup, args.pg_one, 1, "one worker")
            cluster.start_worker()
            time.sleep(3)
            if args.pg_campaign:
                pg_dispatch(cluster, fake, setup, args.pg_campaign, 2, "two workers", closed=1000)
            if args.bare:
                pg_bare(cluster, fake, setup, args.bare)
            if args.throttle_seconds:
                pg_throttle(cluster, fake, setup, args.throttle_seconds)
    finally:
        fake.close()


def main():
    args = parse_args()
    try:
        run(args)
    finally:  # an interrupted run keeps what it measured
        RESULTS["machine"]["load_avg_end"] = os.getloadavg()
        RESULTS["cpu_s_this_process"] = round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1)
        RESULTS["args"] = vars(args)
        Path(args.json).write_text(json.dumps(RESULTS, indent=2) + "\n")
        print(f"results: {args.json}")


def run(args):
    with tempfile.TemporaryDirectory(prefix="cxsms-campaigns-bench-") as tmp:
        configure(tmp)
        from routing import jobs
        from routing import services as rs
        from routing.models import CarrierAccount, Country, PointOfContact, Tenant

        jobs.run_immediately(True)
        tenant = rs.object_save(instance=Tenant(name="Bench", slug="bench", sms_messaging_enabled=True))
        acc = rs.object_save(instance=CarrierAccount(tenant=tenant, provider="simulator", name="sim"))
        poc = rs.object_save(instance=PointOfContact(tenant=tenant, channel="sms", number="+12125550100",
                                                     country=Country.objects.get(code="US"),
                                                     code_type="long", carrier_account=acc))
        for rows in args.rows:
            bench_import(tenant, rows, tmp, args.heap)
        if args.dispatch:
            bench_dispatch(tenant, poc, args.dispatch)
    if PG_ENV["DATABASE_URL"] and PG_ENV["DATABASE_URL"].startswith("postgres") and PG_ENV["REDIS_URL"]:
        bench_pg(args)
    else:
        print("PostgreSQL part skipped: DATABASE_URL (postgres://) and REDIS_URL not set (make bench-campaigns starts them)")


if __name__ == "__main__":
    main()
