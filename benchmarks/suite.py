"""The whole benchmark suite: ``scripts/bench`` runs ``python -m benchmarks.suite``.

Parts, each measured with interleaved rounds (``rounds.py``):

1. the WSGI core against a bare app, a hand-written gate and Werkzeug's ProxyFix
   (``wsgi_overhead.py``), and signed mode against the trusted-header path
   (``assertion_cost.py``);
2. Django in-process, our stack against Django's own and the Authelia guide's backend,
   in four scenarios, with the SQL of each (``django_requests.py``), on SQLite, then
   ours against Django's own on a private PostgreSQL cluster;
3. end to end, nginx + gunicorn + the example site under ``wrk`` (``e2e.py``).

It prints the tables and the speed targets, stores every sample as pyperf JSON
(``.run/bench/pyperf.json``: ``python -m pyperf stats`` / ``compare_to`` read it) and
the SQL recorded per database, scenario and stack (``.run/bench/statements.json``), and,
unless ``--quick``, rewrites ``docs/benchmarks.md`` and ``docs/benchmarks.png``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import string
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import assertion_cost, django_requests, e2e, wsgi_overhead
from benchmarks.analysis import assertion_table, e2e_table, wsgi_table
from benchmarks.django_analysis import django_tables
from benchmarks.environment import describe_machine
from benchmarks.plot import plot
from benchmarks.store import save_pyperf
from benchmarks.tables import Check, Table, markdown, text

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    wsgi_rounds: int
    wsgi_loops: int
    assertion_rounds: int
    assertion_loops: int
    django_rounds: int
    django_scale: float
    postgres_rounds: int
    e2e_rounds: int
    e2e_seconds: float


FULL = Plan(25, 20_000, assertion_cost.ROUNDS, assertion_cost.LOOPS, 30, 1.0, 20, 10, 5.0)
QUICK = Plan(5, 5_000, 5, 2_000, 6, 0.2, 3, 2, 2.0)


def checks_table(checks: list[Check]) -> Table:
    table = Table("Targets", ["target", "measured", "wanted", "result"])
    table.rows.extend([c.name, c.measured, c.target, c.verdict] for c in checks)
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of about a minute")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end part")
    parser.add_argument("--postgres", action="store_true", help="end to end on PostgreSQL")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # servers are stopped on exit
    started = time.monotonic()
    load_before = os.getloadavg()

    print("== WSGI core", flush=True)
    wsgi = wsgi_overhead.collect(plan.wsgi_rounds, plan.wsgi_loops)
    print("== signed assertions", flush=True)
    assertions = assertion_cost.collect(plan.assertion_rounds, plan.assertion_loops)
    print("== Django, in-process, SQLite", flush=True)
    django = django_requests.collect(plan.django_rounds, plan.django_scale)
    print("== Django, in-process, PostgreSQL", flush=True)
    django_postgres = django_requests.collect(
        plan.postgres_rounds, plan.django_scale, postgres=True
    )
    results_e2e = None
    if not args.no_e2e:
        print("== end to end", flush=True)
        results_e2e = e2e.collect(plan.e2e_rounds, plan.e2e_seconds, postgres=args.postgres)
    load_after = os.getloadavg()

    tables: list[Table] = []
    checks: list[Check] = []
    table, found = wsgi_table(wsgi)
    tables.append(table)
    checks.extend(found)
    table, found = assertion_table(assertions)
    tables.append(table)
    checks.extend(found)
    found_tables, found = django_tables([django, django_postgres])
    tables.extend(found_tables)
    checks.extend(found)
    if results_e2e is not None:
        table, check = e2e_table(results_e2e)
        tables.append(table)
        checks.append(check)
    machine = describe_machine(django.django, results_e2e)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    minutes = (time.monotonic() - started) / 60
    summary = [
        f"run: {when}, {'--quick' if args.quick else 'full'}, {minutes:.1f} min; rounds: "
        f"WSGI {plan.wsgi_rounds}, signed assertions {plan.assertion_rounds}, "
        f"Django {plan.django_rounds} (SQLite), {plan.postgres_rounds} "
        f"({django_postgres.database}), end to end {plan.e2e_rounds}",
        f"machine: {machine}",
        f"load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f}",
    ]

    print()
    print("\n".join(summary))
    for table in [checks_table(checks), *tables]:
        print()
        print(text(table))

    output = ROOT / ".run" / "bench"
    output.mkdir(parents=True, exist_ok=True)
    save_pyperf(
        output / "pyperf.json",
        wsgi,
        plan.wsgi_loops,
        [django, django_postgres],
        results_e2e,
        assertions=(assertions, plan.assertion_loops),
    )
    (output / "statements.json").write_text(
        json.dumps({run.engine: run.statements for run in (django, django_postgres)}, indent=1),
        encoding="utf-8",
    )
    docs = output if args.quick else ROOT / "docs"
    title = f"remote-identity benchmarks, {when}: {machine}"
    plot(docs / "benchmarks.png", wsgi, [django, django_postgres], results_e2e, title)
    page = string.Template((ROOT / "benchmarks" / "page.md").read_text("utf-8"))
    (docs / "benchmarks.md").write_text(
        page.substitute(
            summary="\n".join(f"- {line}" for line in summary),
            tables="\n\n".join(markdown(t) for t in [checks_table(checks), *tables]),
        ),
        encoding="utf-8",
    )
    print(
        f"\nwritten: {docs / 'benchmarks.md'}, {docs / 'benchmarks.png'}, "
        f"{output}/pyperf.json, {output}/statements.json"
    )
    missed = [c for c in checks if not c.met]
    print(f"targets: {len(checks) - len(missed)} met, {len(missed)} missed")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
