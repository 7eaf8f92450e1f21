"""Reports at a real size (issue 18 item 6): a month of a 500-agent center on PostgreSQL.

Generates, in SQL, one tenant with 500 agents (10 teams), 20 skills, 10 points of contact and, over
the 30 days of November 2026 (America/New_York, with its DST change), ROOMS rooms with
MESSAGES messages each (half in, half out), a routing decision per room (some rejections), and four
state changes per agent and day. Then it builds the rollup (routing.reports.rollup, as the periodic
job would), and times report requests through Django's test client, as a browser or an
integration sends them: the REST reports and the report page, for a month and for a day. Every
request includes the catch-up refresh a report makes before reading.

The data stays in the database CXSMS_TEST_DATABASE_NAME (default cxsms_reports_bench) on the server
of DATABASE_URL, so a second run skips the generation (--regenerate to start over; --drop to
remove it at the end).

    make bench-reports BENCH_ARGS="--rooms 1000000 --messages 10"
    env $(scripts/services.sh env | xargs) .venv/bin/python bench/reports_bench.py --rooms 100000
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONTH_MS, DAY_MS = 1000, 200


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rooms", type=int, default=1_000_000)
    p.add_argument("--messages", type=int, default=10, help="messages per room")
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--drop", action="store_true", help="drop the database at the end")
    p.add_argument("--rebuild-rollup", action="store_true", help="build the rollups again from the kept data")
    p.add_argument("--build-only", action="store_true", help="generate and build, time nothing")
    p.add_argument("--json", help="also write the results here")
    return p.parse_args()


def configure():
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxsms_site.settings")
    os.environ["CXSMS_RUN_TIMERS"] = "0"
    os.environ["CXSMS_DEBUG"] = "0"  # as in production (DEBUG also records every query)
    os.environ["CXSMS_SSL_REDIRECT"] = "0"  # plain http, as behind a TLS proxy
    os.environ["CXSMS_STATIC_MANIFEST"] = "0"  # no collectstatic run needed for the page's {% static %} links
    os.environ.setdefault("CXSMS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("CXSMS_SECRET_KEY", "reports-bench-only")
    os.environ.setdefault("CXSMS_TEST_DATABASE_NAME", "cxsms_reports_bench")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("reports_bench needs PostgreSQL: set DATABASE_URL (scripts/services.sh env)")
    import django

    django.setup()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


LOADED_TABLES = ("routing_room", "routing_message", "routing_routingdecision", "routing_agentstatechange")


def _indexes_drop(cur, tables):
    """Drop the tables' secondary indexes and their foreign-key and unique constraints (the primary
    keys stay): a bulk load into bare tables, then one sort per index, is many times faster than
    maintaining ten indexes and checking four foreign keys row by row. Returns what to put back."""
    saved = []
    for table in tables:
        cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                       WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC""", [table])
        constraints = cur.fetchall()
        cur.execute("""SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                       WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.conrelid = x.indrelid)""",
                    [table])
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        # Unique constraints first when put back (a foreign key of another table may need one), then the indexes, then foreign keys.
        saved.extend([(table, name, d, "constraint") for name, d in constraints if d.startswith("UNIQUE")]
                     + [(table, name, d, "index") for name, d in indexes]
                     + [(table, name, d, "constraint") for name, d in constraints if not d.startswith("UNIQUE")])
    return saved


def _indexes_restore(cur, saved):
    order = sorted(saved, key=lambda s: {"index": 1}.get(s[3], 0 if s[2].startswith("UNIQUE") else 2))
    for table, name, definition, kind in order:
        cur.execute(definition if kind == "index" else f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def generate(args, connection, results):
    """The world, in set-based SQL (a million rows a few seconds each instead of an hour of ORM saves)."""
    from routing import services
    from routing.choices import Channel, CodeType
    from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant, User

    tenant = Tenant.objects.create(name="Bench Center", slug="bench-center", sms_messaging_enabled=True, time_zone="America/New_York")
    teams = Team.objects.bulk_create(Team(tenant=tenant, name=f"Team {i}", session_limit=5) for i in range(10))
    skills = Skill.objects.bulk_create(Skill(tenant=tenant, name=f"Skill {i}", channel=Channel.SMS) for i in range(20))
    account = services.object_save(instance=CarrierAccount(tenant=tenant, name="sim"))
    us = Country.objects.get(code="US")
    pocs = PointOfContact.objects.bulk_create(
        PointOfContact(tenant=tenant, channel=Channel.SMS, number=f"+1212555{i:04d}", country=us, code_type=CodeType.LONG,
                       carrier_account=account, skill=skills[i % 20]) for i in range(10))
    agents = User.objects.bulk_create(User(tenant=tenant, username=f"agent{i}", role="agent", team=teams[i % 10], password="!")
                                      for i in range(args.agents))
    admin = User.objects.create(tenant=tenant, username="bench-admin", role="admin", password="!")
    a0, s0, p0 = agents[0].pk, skills[0].pk, pocs[0].pk
    n_agents = args.agents
    month = "TIMESTAMPTZ '2026-11-01 04:00:00+00'"  # 1 November 00:00 in New York (EDT)
    t = time.time()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '1GB'")
        saved = _indexes_drop(cur, LOADED_TABLES)
        # Rooms: spread over 30 days, 92 % answered within 0-119 s, 8 % abandoned; the last 200 still queued.
        cur.execute(f"""
            INSERT INTO routing_room (tenant_id, channel, direction, state, point_of_contact_id, contact_number, contact_name, poc_number,
                                      skill_id, priority, routed_by, agent_id, opened_at, queued_at, offered_at, accepted_at, expires_at,
                                      last_message_at, closed_at, close_reason, transcript_kept, declined_by, summary, transfer_note)
            SELECT %s, 'sms', 'inbound', CASE WHEN i < %s - 200 THEN 'closed' ELSE 'queued' END, {p0} + i %% 10,
                   '+1202' || lpad((i %% 9000000)::text, 7, '0'), '', '+1212555' || lpad((i %% 10)::text, 4, '0'),
                   {s0} + i %% 20, 5, '', CASE WHEN i %% 100 < 92 AND i < %s - 200 THEN {a0} + (i * 7) %% {n_agents} END,
                   o, o, o, CASE WHEN i %% 100 < 92 AND i < %s - 200 THEN o + ((i * 13) %% 120) * interval '1 second' END, NULL,
                   o + interval '10 minutes',
                   CASE WHEN i >= %s - 200 THEN NULL
                        WHEN i %% 100 < 92 THEN o + ((i * 13) %% 120 + 60 + (i * 31) %% 1800) * interval '1 second'
                        ELSE o + interval '5 minutes' END,
                   CASE WHEN i >= %s - 200 THEN '' WHEN i %% 100 < 92 THEN 'ended_by_agent' ELSE 'expired' END, true, '[]'::jsonb, '', ''
            FROM generate_series(0, %s - 1) AS i,
                 LATERAL (SELECT {month} + (i::float8 / %s * 30 * 86400) * interval '1 second' AS o) AS x
        """, [tenant.pk, *[args.rooms] * 7])
        results["load_s"] = {"rooms": round(time.time() - t)}
        log(f"  rooms: {args.rooms:,} in {time.time() - t:.0f} s")
        t = time.time()
        cur.execute("SELECT min(id), max(id) FROM routing_room WHERE tenant_id = %s", [tenant.pk])
        lo, hi = cur.fetchone()
        step = 250_000
        for start in range(lo, hi + 1, step):
            cur.execute("""
                INSERT INTO routing_message (room_id, tenant_id, point_of_contact_id, contact_number, direction, body, author_id,
                                             carrier_sid, send_key, status, error_code, error_message, encoding, segments, attempts,
                                             next_attempt_at, created_at, automatic, auto_kind)
                SELECT r.id, r.tenant_id, r.point_of_contact_id, r.contact_number, CASE WHEN k %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
                       CASE WHEN k = %s - 2 AND r.id %% 50 = 0 THEN 'STOP' ELSE 'A message of an ordinary length, about porridge.' END,
                       CASE WHEN k %% 2 = 1 THEN r.agent_id END, NULL, gen_random_uuid(),
                       CASE WHEN k %% 2 = 0 THEN 'received' ELSE 'delivered' END, '', '', 'gsm7', 1 + (k %% 3 = 1)::int, 0, NULL,
                       COALESCE(r.accepted_at, r.opened_at) + k * interval '20 seconds', false, ''
                FROM routing_room r, generate_series(0, %s - 1) AS k
                WHERE r.tenant_id = %s AND r.id >= %s AND r.id < %s
            """, [args.messages, args.messages, tenant.pk, start, start + step])
            log(f"  messages: rooms {start - lo + step:,} of {hi - lo + 1:,} [{time.time() - t:.0f} s]")
        cur.execute("""
            INSERT INTO routing_routingdecision (room_id, created_at, outcome, agent_id, skill_id, rule, skipped, trigger)
            SELECT id, opened_at, CASE WHEN id %% 40 = 0 THEN 'rejected' WHEN agent_id IS NULL THEN 'queued' ELSE 'offered' END,
                   agent_id, skill_id, '', '[]'::jsonb, 'bench'
            FROM routing_room WHERE tenant_id = %s
        """, [tenant.pk])
        # Four changes per agent and day: available 08:00+, unavailable at noon, available 12:30, logged out 16:30+.
        cur.execute(f"""
            INSERT INTO routing_agentstatechange (tenant_id, agent_id, state, reason, started_at)
            SELECT %s, u.id, s.state, '', {month} + d * interval '1 day' + s.at + (u.id %% 60) * interval '1 minute'
            FROM routing_user u, generate_series(0, 29) AS d,
                 (VALUES ('available', interval '8 hours'), ('unavailable', interval '12 hours'),
                         ('available', interval '12 hours 30 minutes'), ('logged_out', interval '16 hours 30 minutes')) AS s(state, at)
            WHERE u.tenant_id = %s AND u.role = 'agent'
        """, [tenant.pk, tenant.pk])
        results["load_s"]["messages_decisions_states"] = round(time.time() - t)
        log(f"  messages, decisions, state changes in {time.time() - t:.0f} s")
        t = time.time()
        _indexes_restore(cur, saved)
        results["load_s"]["indexes"] = round(time.time() - t)
        log(f"  indexes and constraints put back in {time.time() - t:.0f} s")
        cur.execute("ANALYZE")
    return tenant, admin


def facts_build_sql(cur, tenant):
    """Every room's RoomFact row in one INSERT … SELECT: the SQL twin of rollup.compute_facts for the
    bench's data (a million rooms through the Python rollup take a quarter of an hour; this, a minute
    or two). Two rules are not restated: the interval keys of each 15-minute slot come from
    periods.keys, and the opt-out texts from sms.keyword applied to the distinct short bodies.
    facts_check compares the rows with compute_facts on a sample after every build."""
    from routing import sms
    from routing.reports import periods, rollup

    tz = periods.tz_of(tenant)
    # A slot's keys are those of any instant in it: every zone in use is a whole number of quarter hours from UTC.
    cur.execute("SELECT DISTINCT to_timestamp(floor(extract(epoch FROM opened_at) / 900) * 900) FROM routing_room WHERE tenant_id = %s",
                [tenant.pk])
    slots = [r[0] for r in cur.fetchall()]
    cur.execute("CREATE TEMP TABLE bench_slot (slot timestamptz PRIMARY KEY, hour timestamptz, day date, week date)")
    cur.executemany("INSERT INTO bench_slot VALUES (%s, %s, %s, %s)", [periods.keys(s, tz) for s in slots])
    cur.execute("SELECT DISTINCT body FROM routing_message WHERE tenant_id = %s AND direction = 'inbound' AND length(body) <= %s",
                [tenant.pk, rollup.KEYWORD_READ_LENGTH])
    stop_bodies = [b for (b,) in cur.fetchall() if sms.keyword(b) == "opt_out"]
    cur.execute("SET work_mem = '512MB'")
    cur.execute("""
        INSERT INTO routing_roomfact (room_id, tenant_id, channel, direction, skill_id, agent_id, team_id, point_of_contact_id, opened_at,
                                      slot, hour, day, week, final, offered, accepted, abandoned, rejected, lapsed, transferred,
                                      answered_in_target, responded_in_target, asa_seconds, first_response_seconds, handle_seconds,
                                      messages_in, messages_out, segments_out, opt_outs, disposition_id)
        WITH m AS (
            SELECT room_id, count(*) FILTER (WHERE direction = 'inbound') AS n_in, count(*) FILTER (WHERE direction = 'outbound') AS n_out,
                   sum(segments) FILTER (WHERE direction = 'outbound') AS segments,
                   min(created_at) FILTER (WHERE direction = 'inbound') AS first_in,
                   count(*) FILTER (WHERE direction = 'inbound' AND length(body) <= %(read)s AND body = ANY(%(stops)s::text[])) AS opt_outs
            FROM routing_message WHERE tenant_id = %(tenant)s AND room_id IS NOT NULL GROUP BY room_id
        ), reply AS (
            SELECT x.room_id, min(x.created_at) AS at FROM routing_message x JOIN m ON m.room_id = x.room_id
            WHERE x.tenant_id = %(tenant)s AND x.direction = 'outbound' AND x.author_id IS NOT NULL AND NOT x.automatic
              AND x.created_at >= m.first_in
            GROUP BY x.room_id
        ), d AS (
            SELECT room_id, count(*) AS n, count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
                   count(*) FILTER (WHERE outcome = 'lapsed') AS lapsed, count(*) FILTER (WHERE outcome = 'transferred') AS transferred
            FROM routing_routingdecision GROUP BY room_id
        )
        SELECT r.id, r.tenant_id, r.channel, r.direction, r.skill_id,
               CASE WHEN r.accepted_at IS NOT NULL THEN r.agent_id END, CASE WHEN r.accepted_at IS NOT NULL THEN u.team_id END,
               r.point_of_contact_id, r.opened_at, s.slot, s.hour, s.day, s.week,
               r.state = 'closed', o.offered, f.accepted, o.offered AND r.state = 'closed' AND r.accepted_at IS NULL,
               coalesce(d.rejected, 0), coalesce(d.lapsed, 0), coalesce(d.transferred, 0),
               coalesce(f.asa <= sk.service_level_seconds, false), coalesce(f.frt <= sk.first_response_target_seconds, false),
               f.asa, f.frt,
               CASE WHEN r.state = 'closed' AND r.accepted_at IS NOT NULL THEN extract(epoch FROM r.closed_at - r.accepted_at) END,
               coalesce(m.n_in, 0), coalesce(m.n_out, 0), CASE WHEN r.channel = 'sms' THEN coalesce(m.segments, 0) ELSE 0 END,
               coalesce(m.opt_outs, 0), r.disposition_id
        FROM routing_room r
        JOIN bench_slot s ON s.slot = to_timestamp(floor(extract(epoch FROM r.opened_at) / 900) * 900)
        LEFT JOIN routing_user u ON u.id = r.agent_id
        LEFT JOIN routing_skill sk ON sk.id = r.skill_id
        LEFT JOIN m ON m.room_id = r.id
        LEFT JOIN reply ON reply.room_id = r.id
        LEFT JOIN d ON d.room_id = r.id
        CROSS JOIN LATERAL (SELECT r.direction = 'inbound' AND coalesce(d.n, 0) > 0 AS offered) o
        CROSS JOIN LATERAL (SELECT o.offered AND r.accepted_at IS NOT NULL AS accepted,
                                   CASE WHEN o.offered AND r.accepted_at IS NOT NULL
                                        THEN extract(epoch FROM r.accepted_at - r.queued_at) END AS asa,
                                   extract(epoch FROM reply.at - m.first_in) AS frt) f
        WHERE r.tenant_id = %(tenant)s
        ORDER BY r.id  -- in room order, as the periodic job appends them: a day's rows lie together
    """, {"tenant": tenant.pk, "read": rollup.KEYWORD_READ_LENGTH, "stops": stop_bodies})
    n = cur.rowcount
    cur.execute("DROP TABLE bench_slot")
    return n


def facts_check(tenant, sample=3000):
    """The SQL rows against rollup.compute_facts (the definition) on rooms spread over the month, the
    last (still queued) ones included: any difference stops the benchmark."""
    from routing.models import Room, RoomFact
    from routing.reports import periods, rollup

    ids = list(Room.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
    picked = sorted(set(ids[:: max(len(ids) // sample, 1)] + ids[-50:]))
    expected = {f.room_id: f for f in rollup.compute_facts(picked, {tenant.pk: periods.tz_of(tenant)})}
    stored = RoomFact.objects.in_bulk(picked)
    wrong = [(room_id, name, getattr(stored.get(room_id), name, None), getattr(f, name))
             for room_id, f in expected.items() for name in rollup.FIGURE_FIELDS
             if getattr(stored.get(room_id), name, None) != getattr(f, name)]
    if wrong or len(stored) != len(expected):
        sys.exit(f"the SQL rollup differs from rollup.compute_facts: {len(wrong)} values, e.g. {wrong[:5]}")
    return len(expected)


def timed(fn, samples):
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def main():
    args = parse_args()
    configure()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases

    from routing.models import AgentStateFact, Message, Room, RoomDay, RoomFact, Tenant, User
    from routing.reports import day_rollup, rollup, state_rollup

    # No serialized copy of the data (a test-runner feature for rollback emulation): it would read every row.
    old = setup_databases(verbosity=0, interactive=False, keepdb=True, serialized_aliases=set())
    results = {"rooms": args.rooms, "messages_per_room": args.messages}
    try:
        tenant = Tenant.objects.filter(slug="bench-center").first()
        if tenant is not None and (args.regenerate or Room.objects.filter(tenant=tenant).count() != args.rooms):
            log("removing the previous data …")
            with connection.cursor() as cur:
                cur.execute("TRUNCATE routing_roomfact, routing_tenant CASCADE")  # the bench database holds only the bench's tenant
            tenant = None
        if tenant is None:
            log(f"generating {args.rooms:,} rooms × {args.messages} messages …")
            t = time.time()
            tenant, admin = generate(args, connection, results)
            results["generate_s"] = round(time.time() - t)
        admin = User.objects.get(username="bench-admin")
        results["messages"] = Message.objects.filter(tenant=tenant).count()
        if args.rebuild_rollup:
            with connection.cursor() as cur:
                cur.execute("TRUNCATE routing_roomfact, routing_agentstatefact, routing_agentreasonfact, routing_agentstateday, "
                            "routing_agentreasonday, routing_staterollupmark, routing_roomday")
        if not RoomFact.objects.filter(tenant_id=tenant.pk).exists():
            log("building the rollup (RoomFact) in SQL …")
            t = time.time()
            with connection.cursor() as cur:
                cur.execute("ANALYZE")  # without statistics on fresh tables the planner nests loops over millions of rows
                saved = _indexes_drop(cur, ["routing_roomfact"])
                n = facts_build_sql(cur, tenant)
                _indexes_restore(cur, saved)
                cur.execute("VACUUM ANALYZE routing_roomfact")
            results["rollup_build"] = {"rooms": n, "seconds": round(time.time() - t, 1), "in": "SQL"}
            log(f"  {results['rollup_build']}")
            t = time.time()
            results["rollup_checked_rooms"] = facts_check(tenant)
            log(f"  the SQL rollup matches rollup.compute_facts on {results['rollup_checked_rooms']:,} rooms ({time.time() - t:.0f} s)")
        if not AgentStateFact.objects.filter(tenant_id=tenant.pk).exists():
            log("building the agent state rollup …")
            t = time.time()
            n = state_rollup.agent_state_facts_refresh(tenant_ids=[tenant.pk], rebuild=True)
            results["state_rollup_build"] = {"slots": n, "seconds": round(time.time() - t, 1)}
            with connection.cursor() as cur:
                cur.execute("ANALYZE routing_agentstatefact")
                cur.execute("ANALYZE routing_agentreasonfact")
            log(f"  {results['state_rollup_build']}")
        if not RoomDay.objects.filter(tenant_id=tenant.pk).exists():
            log("keeping the settled days (RoomDay) …")
            t = time.time()
            n = day_rollup.refresh(tenant_ids=[tenant.pk])
            with connection.cursor() as cur:
                cur.execute("ANALYZE routing_roomday")
            results["day_rollup_build"] = {"rows": n, "seconds": round(time.time() - t, 1)}
            log(f"  {results['day_rollup_build']}")
        if args.build_only:
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2))
            return
        t = time.time()
        rollup.room_facts_refresh(tenant_ids=[tenant.pk])
        state_rollup.agent_state_facts_refresh(tenant_ids=[tenant.pk])
        results["refresh_catch_up_ms"] = round((time.time() - t) * 1000, 1)  # the open rooms (3 %) recomputed, nothing new
        from django.conf import settings

        settings.AXES_ENABLED = False  # force_login's request has no address for the lockout records
        client = Client()
        client.force_login(admin)
        month = {"start": "2026-11-01", "end": "2026-11-30"}
        day = {"start": "2026-11-17", "end": "2026-11-17"}
        cases = [
            ("month · interactions by day", "/api/v1/reports/interactions/", {**month, "interval": "day"}, MONTH_MS),
            ("month · interactions by week, per skill", "/api/v1/reports/interactions/", {**month, "interval": "week", "group_by": "skill"},
             MONTH_MS),
            ("month · interactions by day, per team", "/api/v1/reports/interactions/", {**month, "interval": "day", "group_by": "team"},
             MONTH_MS),
            ("month · agents by day (500 agents)", "/api/v1/reports/agents/", {**month, "interval": "day", "page_size": 1000}, MONTH_MS),
            ("month · report page (charts, tables)", "/console/reports/", {**month, "interval": "day"}, MONTH_MS),
            ("day · interactions by 15 min", "/api/v1/reports/interactions/", {**day, "interval": "15m"}, DAY_MS),
            ("day · interactions by hour, per agent", "/api/v1/reports/interactions/",
             {**day, "interval": "hour", "group_by": "agent", "page_size": 1000}, DAY_MS),
            ("day · agents by hour", "/api/v1/reports/agents/", {**day, "interval": "hour", "page_size": 1000}, DAY_MS),
            ("day · report page", "/console/reports/", {**day, "interval": "hour"}, DAY_MS),
        ]
        rows = []
        for name, path, params, target in cases:
            def call(path=path, params=params):
                r = client.get(path, params)
                assert r.status_code == 200, r.content[:300]
            call()  # warm the caches once, as a server that runs reports has them
            m = timed(call, args.samples)  # within the freshness window: no catch-up

            def call_with_catch_up():
                cache.clear()
                call()
            c = timed(call_with_catch_up, args.samples)
            rows.append({"case": name, "target_ms": target, **m, "with_catch_up_median_ms": c["median_ms"]})
            log(f"  {name}: median {m['median_ms']} ms, max {m['max_ms']} ms, with catch-up {c['median_ms']} ms (target {target})")
        results["requests"] = rows
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_total_relation_size('routing_roomfact')), "
                        "pg_size_pretty(pg_total_relation_size('routing_message')), "
                        "pg_size_pretty(pg_total_relation_size('routing_agentstatefact') "
                        "+ pg_total_relation_size('routing_agentreasonfact')), "
                        "pg_size_pretty(pg_total_relation_size('routing_roomday'))")
            results["sizes"] = dict(zip(("roomfact", "message", "agent_state_slots", "roomday"), cur.fetchone()))
    finally:
        connection.close()
        if args.drop:
            teardown_databases(old, verbosity=0)
    print(f"{args.rooms:,} rooms, {results['messages']:,} messages; rollup {results.get('rollup_build', 'kept')}; "
          f"catch-up refresh {results['refresh_catch_up_ms']} ms; sizes {results['sizes']}")
    print("| request | median ms | max ms | median ms with the catch-up refresh | target ms |\n| --- | ---: | ---: | ---: | ---: |")
    for r in results["requests"]:
        print(f"| {r['case']} | {r['median_ms']} | {r['max_ms']} | {r['with_catch_up_median_ms']} | {r['target_ms']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
