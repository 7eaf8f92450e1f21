#!/usr/bin/env python3
"""Mutation runs: break a guard of the product on purpose and show which PostgreSQL tests notice.

    .venv/bin/python scripts/mutate.py                 # every mutation below, plus the unmutated product
    .venv/bin/python scripts/mutate.py no-agent-lock   # some of them (names below)
    .venv/bin/python scripts/mutate.py no-recount --tests tests/pg/test_routing_concurrency.py

Each mutation is an exact text replacement in a temporary copy of this checkout (its tracked and
untracked, not ignored, files); the product here is never touched and has no switch for it. The
copy's tests marked `pg` among TESTS run on a private PostgreSQL + Redis (scripts/services.sh,
stopped at the end), with tests/mutations/figures.py recording after each test how many slots were
held beyond an agent's limit ("over"). A mutation whose text is no longer in the product stops the
run: update it with the code it mutates. Prints what each run caught; the JSON goes to
tests/artifacts/mutations.json. Exit 0 when the unmutated product passes and every mutation is
caught (some test fails) except those in SURVIVES, which must pass; 1 otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
TESTS = ["tests/pg/test_routing_concurrency.py", "tests/pg/test_inbound_concurrency.py", "tests/pg/test_webhook_asgi_concurrency.py",
         "tests/pg/test_races.py", "tests/pg/test_timer_race.py"]

_AGENT_LOCK = ("routing/acd/capacity.py", "{sql.for_update('u') if lock else ''}", "{''}")
_RECOUNT = ("routing/acd/offers.py", "    agent, held = found\n    if (held != agent.held",
            "    agent, held = found[0], found[0].held\n    if (held != agent.held")

# name -> (what it breaks, [(file, exact text, replacement), ...])
MUTATIONS = {
    "no-agent-lock": ("routing takes no row lock on the agent it offers to (capacity.agent_row)", [_AGENT_LOCK]),
    "no-recount": (("an offer trusts the cached User.held instead of counting the agent's rooms (offers._try_offer); expected to "
                    "survive: read under the agent's row lock the cache is current, so the recount is a second guard (it counts "
                    "once the lock is gone: no-agent-lock-no-recount)"), [_RECOUNT]),
    "no-agent-lock-no-recount": ("both of the above", [_AGENT_LOCK, _RECOUNT]),
    "no-room-lock": ("accept, reject, end, send and routing read the room without locking it (rooms.lock_room, offers._lock_room_to_route)",
                     [("routing/hub/rooms.py", "WHERE r.id = %s{sql.for_update('r', skip_locked)}", "WHERE r.id = %s"),
                      ("routing/acd/offers.py", "WHERE r.id = %s{sql.for_update('r')}", "WHERE r.id = %s")]),
    "expiry-ignores-reset": ("the expiry sweep does not check again, under the room's lock, that the timer is still due",
                             [("routing/hub/rooms.py", "        if room.expires_at > now:\n            if not sweeping:",
                               "        if False:\n            if not sweeping:")]),
}

SURVIVES = {"no-recount"}  # equivalent while the agent's row lock holds (its description says why)


def copy_checkout(dest):
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def apply(dest, edits):
    for path, old, new in edits:
        text = (dest / path).read_text()
        if text.count(old) != 1:
            raise SystemExit(f"mutation text found {text.count(old)} times in {path} (expected once): {old!r}\n"
                             "the product changed: update MUTATIONS in scripts/mutate.py")
        (dest / path).write_text(text.replace(old, new))


def services_env():
    env = dict(os.environ, CXSMS_SERVICES_LEASE=os.environ.get("CXSMS_SERVICES_LEASE", f"mutate-{os.getpid()}"))
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([str(ROOT / "scripts" / "services.sh"), "env"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    env.update(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return env


def run(name, edits, tests, env, workdir):
    dest = workdir / name
    copy_checkout(dest)
    apply(dest, edits)
    figures, junit = workdir / f"{name}.jsonl", workdir / f"{name}.xml"
    env = dict(env, PYTHONPATH=str(dest), CXSMS_MUTATION_FIGURES=str(figures), CXSMS_TEST_DATABASE_NAME=f"test_cxsms_mut_{os.getpid()}",
               CXSMS_CHANNEL_PREFIX=f"cxsms-mut-{os.getpid()}-{name}")
    # The copy's own modules, not this checkout's (the editable install points here): checked, not assumed.
    where = subprocess.run([str(PYTHON), "-c", "import routing; print(routing.__file__)"], cwd=dest, env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert where.startswith(str(dest)), where
    started = time.monotonic()
    try:
        proc = subprocess.run([str(PYTHON), "-m", "pytest", "-m", "pg", "-q", "-p", "no:cacheprovider", "-p", "tests.mutations.figures",
                               f"--junitxml={junit}", *tests], check=False, cwd=dest, env=env, capture_output=True, text=True, timeout=1200)
        tail = proc.stdout.strip().splitlines()[-1:] or [proc.stderr.strip()[-300:]]
    except subprocess.TimeoutExpired:
        tail = ["timed out after 1200 s (a deadlock?)"]
    seconds = time.monotonic() - started
    failed, errors = [], []  # a failed test caught the mutation; an error (set-up, teardown) says nothing either way
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = f"{case.get('classname').rsplit('.', 1)[-1]}::{case.get('name')}"
            if case.find("failure") is not None:
                failed.append(name)
            elif case.find("error") is not None:
                errors.append(name)
    rows = [json.loads(line) for line in figures.read_text().splitlines()] if figures.exists() else []
    over = {r["test"].split("::")[-1]: {k: r[k] for k in ("held", "capacity", "over") if k in r} for r in rows if r.get("over")}
    return {"mutation": name, "failed": failed, "errors": errors, "over_limit": over, "summary": tail[0], "seconds": round(seconds)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"mutations to run (default: all): {', '.join(MUTATIONS)}")
    parser.add_argument("--tests", nargs="+", default=TESTS, help="test files or node ids (default: the PostgreSQL concurrency tests)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run of the unmutated product")
    args = parser.parse_args()
    unknown = set(args.names) - set(MUTATIONS)
    if unknown:
        parser.error(f"unknown mutation(s): {', '.join(sorted(unknown))}; known: {', '.join(MUTATIONS)}")
    chosen = [("unmutated", [])] * (not args.no_baseline) + [(n, MUTATIONS[n][1]) for n in args.names or MUTATIONS]
    workdir = Path(tempfile.mkdtemp(prefix="cxsms-mutate-"))
    env = services_env()
    results = []
    try:
        for name, edits in chosen:
            print(f"--- {name}: {MUTATIONS[name][0] if name in MUTATIONS else 'the product as it is'}", flush=True)
            result = run(name, edits, args.tests, env, workdir)
            results.append(result)
            print(f"    {result['summary']} ({result['seconds']} s)")
            for test in result["failed"]:
                print(f"    caught by {test}")
            for test in result["errors"]:
                print(f"    ERROR (not a verdict) in {test}")
            for test, fig in result["over_limit"].items():
                print(f"    {test}: {fig['held']} slots held for a capacity of {fig['capacity']}, {fig['over']} over an agent's limit")
    finally:
        subprocess.run([str(ROOT / "scripts" / "services.sh"), "stop"], check=False, cwd=ROOT, env=env)
        shutil.rmtree(workdir, ignore_errors=True)
    (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
    (ROOT / "tests" / "artifacts" / "mutations.json").write_text(json.dumps({"tests": args.tests, "results": results}, indent=1))
    ok = all(bool(r["failed"]) == (r["mutation"] not in ("unmutated", *SURVIVES)) and not r["errors"] for r in results)
    print("every mutation was caught (but the expected survivors) and the product passes" if ok else
          "NOT OK: a mutation survived, an expected survivor was caught, a test errored, or the product itself fails")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
