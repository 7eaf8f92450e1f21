"""Campaign figures (issue 16, docs/benchmarks.md): a contact list's import (rows/s, peak memory) and the
dispatch's throughput with the throttle off, on a throwaway SQLite database in this process.

Import: a generated CSV of ROWS rows (names, cities, a share of bad and duplicate numbers) goes through
campaigns.services.contact_list_import exactly as an upload does; peak memory is the Python heap's peak
during the import (tracemalloc) and the process's peak RSS growth. Dispatch: a campaign over DISPATCH
recipients on a simulator point of contact at 1000 texts/s (jobs in immediate mode, so each text's
outbox job runs too), beside a bare loop that stores the same messages through text_send alone.

    make bench-campaigns BENCH_ARGS="--rows 100000 --dispatch 5000"
"""
import argparse
import datetime
import os
import random
import resource
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
    return p.parse_args()


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


def main():
    args = parse_args()
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


if __name__ == "__main__":
    main()
