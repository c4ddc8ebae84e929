"""The Django in-process part: tables of time and SQL per scenario, and its target checks,
for each database it ran on (SQLite, PostgreSQL); the targets are in ``analysis.py``."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.analysis import (
    CHANGED_MAX_EXTRA,
    FIRST_LOGIN_MAX_RATIO,
    STACK_LABELS,
    STEADY_MAX_RATIO,
    ratio_text,
)
from benchmarks.django_requests import DjangoResults
from benchmarks.rounds import median, paired_ratio
from benchmarks.sql import data_statements, kind, updated_columns, writes
from benchmarks.tables import Check, Table

__all__ = ["SCENARIO_LABELS", "django_tables"]

SCENARIO_LABELS = {
    "steady": "steady state (signed in, identity unchanged)",
    "changed": "identity changed (group added/removed + e-mail), same session",
    "changed-login": "identity changed, fresh session (a login)",
    "fresh": "existing user, fresh session (a login)",
    "new": "first request of a new user",
}
OURS = ("ours", "ours-wsgi")
#: How each stack brings a changed identity into the database (the change table's rows).
SYNCED = {
    "ours": "next request",
    "ours-wsgi": "next request",
    "guide": "at the next login only",
    "stock": "never (keeps no name, e-mail, groups)",
}

_SHORT = {
    "auth_user": "user",
    "auth_user_groups": "user_groups",
    "django_session": "session",
    "remote_identity_django_syncstate": "sync_state",
}


def _statements(sql: list[str]) -> str:
    transaction = sum(kind(s) == "transaction" for s in sql)
    return f"{len(sql) - transaction} + {transaction}" if transaction else str(len(sql))


def _writes(sql: list[str]) -> str:
    """``"3: UPDATE user(email), INSERT user_groups, UPDATE session"``, or ``"0"``."""
    found = []
    for statement in sql:
        for name in writes([statement]):
            verb, table = name.split(" ", 1)
            short = _SHORT.get(table, table)
            if name == "UPDATE auth_user":
                columns = updated_columns([statement], table)
                short += f"({columns[0]})" if len(columns) == 1 else f"({len(columns)} columns)"
            found.append(f"{verb} {short}")
    return f"{len(found)}: " + ", ".join(found) if found else "0"


def django_tables(runs: Sequence[DjangoResults]) -> tuple[list[Table], list[Check]]:
    """For each run (one per database): time and SQL per scenario and stack, and the
    identity-change comparison; the checks of every run, target by target."""
    tables = []
    for results in runs:
        tables.extend([_timing_table(results), _change_table(results)])
    checks = []
    for target in (_steady_checks, _changed_checks, _first_login_checks):
        for results in runs:
            checks.extend(target(results))
    return tables, checks


def _timing_table(results: DjangoResults) -> Table:
    timing = Table(
        f"Django, in-process ({results.database}): CPU time and SQL per request",
        [
            "scenario",
            "stack",
            "us/request",
            "ratio to stock [IQR]",
            "wall-clock ratio",
            "statements",
            "writes",
        ],
    )
    sql = results.statements
    for scenario in sql:
        for stack in sql[scenario]:
            samples, wall = results.samples.get(scenario), results.wall.get(scenario)
            if samples and wall:
                micros = f"{median(samples[stack]) * 1e6:.0f}"
                ratio = ratio_text(paired_ratio(samples[stack], samples["stock"]))
                wall_ratio = f"{paired_ratio(wall[stack], wall['stock']).value:.3f}"
            else:
                micros = ratio = wall_ratio = "-"
            statements = sql[scenario][stack]
            timing.rows.append(
                [
                    scenario,
                    stack,
                    micros,
                    ratio,
                    wall_ratio,
                    _statements(statements),
                    _writes(statements),
                ]
            )
    if results.engine == "PostgreSQL":
        timing.notes.append(
            "PostgreSQL: CPU time = the worker's + its database backend's (the server "
            "process that runs its statements); persistent connections (CONN_MAX_AGE = "
            "None), a fresh database per worker; stacks stock and ours only"
        )
    timing.notes.extend(
        [
            "scenarios: "
            + "; ".join(
                f"{name} = {label}" for name, label in SCENARIO_LABELS.items() if name in sql
            ),
            "stacks: " + "; ".join(f"{name} = {STACK_LABELS[name]}" for name in results.stacks),
            "wall-clock ratio: the same, in wall-clock time (which counts the moments other "
            "programs hold the CPU)",
            "statements: data statements + BEGIN/COMMIT, as Django's query log "
            "(CaptureQueriesContext, assertNumQueries) records them for one request",
            "writes: user = auth_user (with the column set, or how many), user_groups = "
            "auth_user_groups, session = django_session",
        ]
    )
    return timing


def _change_table(results: DjangoResults) -> Table:
    sql = results.statements
    change = Table(
        f"Identity changed, {results.engine}: bringing the user up to date",
        ["stack", "synced", "statements beyond steady", "writes", "auth_user columns set"],
    )
    steady = {stack: data_statements(s) for stack, s in sql["steady"].items()}
    for stack, label in SYNCED.items():
        if stack not in results.stacks:
            continue
        scenario = "changed-login" if stack == "guide" else "changed"
        statements = sql[scenario][stack]
        extra = len(data_statements(statements)) - len(steady[stack])
        transaction = sum(kind(s) == "transaction" for s in statements)
        if stack == "stock":
            statements, extra, transaction = sql["changed"][stack], 0, 0
        columns = updated_columns(statements, "auth_user")
        change.rows.append(
            [
                STACK_LABELS[stack],
                label,
                f"{extra} (+{transaction} BEGIN/COMMIT)" if transaction else str(extra),
                _writes(statements),
                ", ".join(c for c in columns if c != "last_login") or "none",
            ]
        )
    if "guide" in results.stacks:
        change.notes.append(
            "the guide's row is its login with the changed identity, compared with its "
            "steady-state request; last_login (set by every login) is left out of the columns"
        )
    return change


def _time_check(
    results: DjangoResults, scenario: str, stack: str, name: str, most: float
) -> list[Check]:
    """``name``: time / stock <= ``most``, when ``scenario`` was timed."""
    samples = results.samples.get(scenario)
    if not samples:
        return []
    ratio = paired_ratio(samples[stack], samples["stock"])
    return [Check(name, ratio_text(ratio), f"<= {most:.2f}", ratio.value <= most)]


def _steady_checks(results: DjangoResults) -> list[Check]:
    sql, engine = results.statements, results.engine
    checks = []
    stock = sql["steady"]["stock"]
    for stack in OURS:
        if stack not in results.stacks:
            continue
        ours = sql["steady"][stack]
        where = f"Django steady state ({stack}), {engine}"
        checks.append(
            Check(
                f"{where}: SQL statements as stock",
                f"{len(ours)} vs {len(stock)}",
                "equal",
                [kind(s) for s in ours] == [kind(s) for s in stock],
            )
        )
        checks.append(Check(f"{where}: writes", str(len(writes(ours))), "0", not writes(ours)))
        checks.extend(
            _time_check(results, "steady", stack, f"{where}: time / stock", STEADY_MAX_RATIO)
        )
    return checks


def _changed_checks(results: DjangoResults) -> list[Check]:
    sql, engine = results.statements, results.engine
    changed = sql["changed"]["ours"]
    extra = len(data_statements(changed)) - len(data_statements(sql["steady"]["ours"]))
    transaction = sum(kind(s) == "transaction" for s in changed)
    budget = CHANGED_MAX_EXTRA[engine]
    columns = updated_columns(changed, "auth_user")
    where = f"Identity changed (ours), {engine}"
    return [
        Check(
            f"{where}: statements beyond steady state",
            f"{extra} (+{transaction} BEGIN/COMMIT)",
            f"<= {budget}",
            extra <= budget,
        ),
        Check(
            f"{where}: auth_user columns written",
            ", ".join(columns) or "none",
            "email only",
            columns == ["email"],
        ),
    ]


def _first_login_checks(results: DjangoResults) -> list[Check]:
    sql, engine = results.statements, results.engine
    ours, stock = data_statements(sql["new"]["ours"]), data_statements(sql["new"]["stock"])
    where = f"First login of a new user (ours), {engine}"
    return [
        Check(
            f"{where}: statements / stock",
            f"{len(ours)} vs {len(stock)}",
            "<= stock",
            len(ours) <= len(stock),
        ),
        *_time_check(results, "new", "ours", f"{where}: time / stock", FIRST_LOGIN_MAX_RATIO),
    ]
