"""The tables of docs/benchmarks.md, regenerated from a run's JSON (bench/run.py writes the same
tables next to its JSON):

    .venv/bin/python bench/report.py bench/results/2026-11-30-default.json [--tables steps,knees,cpu]
    .venv/bin/python bench/report.py --update docs/benchmarks.md   # rewrite every marked table
    .venv/bin/python bench/report.py --check docs/benchmarks.md    # exit 1 if one differs from its JSON

In the docs a generated table sits between two markers that name its JSON and its tables:
    <!-- bench-report: bench/results/2026-11-30-default.json knees -->
    ...
    <!-- /bench-report -->

Every figure comes from the JSON: latency from each webhook's scheduled send time (see
bench/run.py), knees as the interval between the last passing and the first failing rate.
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

P99_LIMIT = 1.0  # seconds: a rate fails when p99 passes it, or a webhook is lost or refused


def failed(row):
    return bool(row["lost"] or row["errors"] or row["p99"] is None or row["p99"] > P99_LIMIT)


def knee(rows):
    """{"last_pass": rate, "first_fail": rate}: the knee lies between them (last_pass None: even
    the lowest rate failed; first_fail None: no rate tried failed)."""
    last_pass = None
    for row in rows:
        if failed(row):
            return {"last_pass": last_pass, "first_fail": row["rate"]}
        last_pass = row["rate"]
    return {"last_pass": last_pass, "first_fail": None}


def label(res):
    """A configuration's name; a Digital-mode run (bench/run.py --tenant digital) says so."""
    return res["config"] + (" Digital" if res.get("tenant") == "digital" else "")


def rate(r):
    return f"{r:g}"


def knee_text(k):
    if not k:
        return "–"
    lo, hi = k.get("last_pass"), k.get("first_fail")
    if lo is None and hi is None:
        return "–"
    if lo is None:
        return f"< {rate(hi)}/s"
    if hi is None:
        return f"≥ {rate(lo)}/s (none failed)"
    return f"{rate(lo)}–{rate(hi)}/s"


def knee_ratio(kp, kb):
    """Product knee ÷ baseline knee as a range: kp in [pl, pf), kb in [bl, bf) -> (pl / bf, pf / bl)."""
    if not kp or not kb:
        return "–"
    pl, pf, bl, bf = kp.get("last_pass"), kp.get("first_fail"), kb.get("last_pass"), kb.get("first_fail")
    low = f"{pl / bf:.2f}" if pl is not None and bf else None
    high = f"{pf / bl:.2f}" if pf is not None and bl else None
    if low and high:
        return f"{low}–{high}×"
    if low:
        return f"> {low}×"
    if high:
        return f"< {high}×"
    return "–"


def fmt(seconds):
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def ratio(a, b):
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.1f}×"


def steps_table(results):
    lines = ["| configuration | pipeline | rate/s | p50 | p99 | max | lost | dup | HTTP p99 | send lag p99 | CPU ms/text | "
             "machine busy | p50 ÷ base | p99 ÷ base | CPU ÷ base |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for res in results["configs"]:
        base = {r["rate"]: r for r in res["pipelines"].get("baseline", {}).get("steps", [])}
        for mode, p in res["pipelines"].items():
            for r in p["steps"]:
                b = base.get(r["rate"], {})
                extra = f" (+{r['errors']} errors)" if r["errors"] else ""
                busy = r.get("machine_busy_cores")
                lines.append(f"| {label(res)} | {mode} | {rate(r['rate'])} | {fmt(r['p50'])} | {fmt(r['p99'])} | {fmt(r['max'])} | "
                             f"{r['lost']}{extra} | {r['duplicates']} | {fmt(r['http_p99'])} | {fmt(r.get('gen_lag_p99'))} | "
                             f"{r['server_cpu_ms_per_text']:.1f} | {'–' if busy is None else f'{busy:.2f}'} | "
                             + " | ".join(ratio(r[k], b.get(k)) if mode != "baseline" else "1.0×"
                                          for k in ("p50", "p99", "server_cpu_ms_per_text")) + " |")
    return "\n".join(lines)


def knees_table(results):
    lines = ["| configuration | knee: baseline | knee: product | product ÷ baseline |", "| --- | ---: | ---: | ---: |"]
    for res in results["configs"]:
        kb = res["pipelines"].get("baseline", {}).get("knee")
        kp = res["pipelines"].get("product", {}).get("knee")
        lines.append(f"| {label(res)} | {knee_text(kb)} | {knee_text(kp)} | {knee_ratio(kp, kb)} |")
    return "\n".join(lines)


def cpu_table(results):
    """Where the machine's CPU went per text (the two cores also run PostgreSQL, Redis and the clients)."""
    lines = ["| configuration | pipeline | rate/s | daphne ms/text | PostgreSQL ms/text | Redis ms/text | clients ms/text | "
             "bench busy cores | machine busy cores |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for res in results["configs"]:
        for mode, p in res["pipelines"].items():
            for r in p["steps"]:
                other = r.get("other_cpu_ms_per_text")
                if other is None:
                    continue
                pg = f"{other['postgres']:.1f}" if res["database"] == "pg" else "–"
                rd = f"{other['redis']:.1f}" if res["layer"] != "in-memory" else "–"
                busy = r.get("machine_busy_cores")
                lines.append(f"| {label(res)} | {mode} | {rate(r['rate'])} | {r['server_cpu_ms_per_text']:.1f} | {pg} | {rd} | "
                             f"{other['agents']:.1f} | {r['busy_cores']:.2f} | {'–' if busy is None else f'{busy:.2f}'} |")
    return "\n".join(lines)


TABLES = {"steps": steps_table, "knees": knees_table, "cpu": cpu_table}


def markdown(results, tables=("steps", "knees", "cpu")):
    return "\n\n".join(TABLES[t](results) for t in tables)


MARKER = re.compile(r"(<!-- bench-report: (\S+) ([\w,]+) -->\n)(.*?)(<!-- /bench-report -->)", re.S)


def regenerate(doc):
    """The document with every marked table rebuilt from its JSON (paths relative to the repository)."""
    def table(m):
        with open(ROOT / m.group(2)) as f:
            results = json.load(f)
        return m.group(1) + markdown(results, m.group(3).split(",")) + "\n" + m.group(5)

    return MARKER.sub(table, doc)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json", nargs="?")
    p.add_argument("--tables", default="steps,knees,cpu", help="comma list of " + ", ".join(TABLES))
    p.add_argument("--update", metavar="DOC", help="rewrite the marked tables of DOC from their JSON")
    p.add_argument("--check", metavar="DOC", help="exit 1 if a marked table of DOC differs from its JSON")
    args = p.parse_args(argv)
    for path in filter(None, (args.update, args.check)):
        with open(path) as f:
            doc = f.read()
        fresh = regenerate(doc)
        blocks = len(MARKER.findall(doc))
        if args.check:
            if fresh != doc:
                print(f"{path}: a generated table differs from its JSON; run bench/report.py --update {path}", file=sys.stderr)
                return 1
            print(f"{path}: {blocks} generated tables match their JSON")
        else:
            with open(path, "w") as f:
                f.write(fresh)
            print(f"{path}: {blocks} generated tables rewritten")
        return 0
    if not args.json:
        p.error("a run's JSON, --update DOC or --check DOC")
    with open(args.json) as f:
        results = json.load(f)
    print(f"`{results['command']}` ({results.get('seconds', '?')} s, started {results['started']})\n")
    print(markdown(results, [t for t in args.tables.split(",") if t]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
