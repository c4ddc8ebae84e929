"""From raw samples and SQL to the tables and the checks of the speed targets."""

from __future__ import annotations

from benchmarks import assertion_cost, wsgi_overhead
from benchmarks.django_requests import DjangoResults
from benchmarks.e2e import E2EResults
from benchmarks.rounds import Ratio, median, paired_ratio
from benchmarks.sql import data_statements, kind, updated_columns, writes
from benchmarks.tables import Check, Table

__all__ = ["assertion_table", "django_tables", "e2e_table", "wsgi_table"]

#: The speed targets: each a ratio against the stack people run today.
WSGI_MAX_RATIO = 1.0
STEADY_MAX_RATIO = 1.03
CHANGED_MAX_EXTRA = 4
FIRST_LOGIN_MAX_RATIO = 1.0
E2E_MIN_RATIO = 0.98
#: Signed mode: a token verified before costs at most this much of the header path.
CACHED_ASSERTION_MAX_RATIO = 1.2

STACK_LABELS = {
    "stock": "Django stock (RemoteUserMiddleware + RemoteUserBackend)",
    "guide": "Authelia guide's backend (our re-implementation)",
    "ours": "remote-identity (Django middleware + backend)",
    "ours-wsgi": "remote-identity (core WSGI + Django middleware)",
}
SCENARIO_LABELS = {
    "steady": "steady state (signed in, identity unchanged)",
    "changed": "identity changed (group added/removed + e-mail), same session",
    "changed-login": "identity changed, fresh session (a login)",
    "fresh": "existing user, fresh session (a login)",
    "new": "first request of a new user",
}
OURS = ("ours", "ours-wsgi")


def _ratio(ratio: Ratio) -> str:
    return f"{ratio.value:.3f} [{ratio.low:.3f}-{ratio.high:.3f}]"


def wsgi_table(samples: dict[str, list[float]]) -> tuple[Table, list[Check]]:
    """ns per request of each WSGI variant, and the overhead ratios to the gate."""
    medians = {name: median(values) for name, values in samples.items()}
    bare = medians[wsgi_overhead.BARE]
    table = Table(
        "WSGI core, in-process: ns per request",
        ["variant", "ns/request", "overhead ns", "overhead / gate's"],
    )
    for name, value in medians.items():
        ratio = "-"
        if name.startswith("RemoteIdentityMiddleware, "):
            path = name.split(", ", 1)[1]
            ratio = f"{wsgi_overhead.overhead_ratio(medians, path):.2f}"
        table.rows.append([name, f"{value:.0f}", f"{value - bare:.0f}", ratio])
    table.notes.append(
        "overhead = the variant's median minus the bare application's; the ratio divides "
        "the middleware's overhead by the hand-written gate's on the same path"
    )
    checks = [
        Check(
            f"WSGI overhead / hand-written gate, {path}",
            f"{wsgi_overhead.overhead_ratio(medians, path):.2f}",
            f"<= {WSGI_MAX_RATIO:.2f}",
            wsgi_overhead.overhead_ratio(medians, path) <= WSGI_MAX_RATIO,
        )
        for path in ("trusted proxy", "untrusted spoofer")
    ]
    return table, checks


def assertion_table(samples: dict[str, list[float]]) -> tuple[Table, list[Check]]:
    """ns per request of the signed-mode variants, as ratios to the trusted-header path."""
    baseline = samples[assertion_cost.BASELINE]
    table = Table(
        "Signed assertions, in-process (WSGI): ns per request",
        ["variant", "ns/request", "ratio to the trusted-header path [IQR]"],
    )
    for name, values in samples.items():
        ratio = "-"
        if name.startswith("signed"):
            ratio = _ratio(paired_ratio(values, baseline))
        table.rows.append([name, f"{median(values):.0f}", ratio])
    table.notes.append(
        "the ratio is the median of the per-round ratios of the whole request (the "
        "middleware around a bare application); the cached paths read their keys from a "
        "JWKS file, the first verifications have the token cache off"
    )
    checks = []
    for name in (assertion_cost.CACHED, assertion_cost.CACHED_PROXY):
        ratio = paired_ratio(samples[name], baseline).value
        checks.append(
            Check(
                f"{name} / trusted-header path",
                f"{ratio:.2f}",
                f"<= {CACHED_ASSERTION_MAX_RATIO:.2f}",
                ratio <= CACHED_ASSERTION_MAX_RATIO,
            )
        )
    return table, checks


def _statements(sql: list[str]) -> str:
    transaction = sum(kind(s) == "transaction" for s in sql)
    return f"{len(sql) - transaction} + {transaction}" if transaction else str(len(sql))


_SHORT = {
    "auth_user": "user",
    "auth_user_groups": "user_groups",
    "django_session": "session",
    "remote_identity_django_syncstate": "sync_state",
}


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


def django_tables(results: DjangoResults) -> tuple[list[Table], list[Check]]:
    """Time and SQL per scenario and stack; the identity-change comparison; checks."""
    timing = Table(
        "Django, in-process (SQLite): CPU time and SQL per request",
        ["scenario", "stack", "us/request", "ratio to stock [IQR]", "statements", "writes"],
    )
    sql = results.statements
    for scenario in sql:
        for stack in sql[scenario]:
            samples = results.samples.get(scenario)
            if samples:
                micros = f"{median(samples[stack]) * 1e6:.0f}"
                ratio = _ratio(paired_ratio(samples[stack], samples["stock"]))
            else:
                micros = ratio = "-"
            statements = sql[scenario][stack]
            timing.rows.append(
                [scenario, stack, micros, ratio, _statements(statements), _writes(statements)]
            )
    timing.notes.extend(
        [
            "scenarios: "
            + "; ".join(f"{name} = {label}" for name, label in SCENARIO_LABELS.items()),
            "stacks: " + "; ".join(f"{name} = {label}" for name, label in STACK_LABELS.items()),
            "statements: data statements + BEGIN/COMMIT, as Django's query log "
            "(CaptureQueriesContext, assertNumQueries) records them for one request",
            "writes: user = auth_user (with the column set, or how many), user_groups = "
            "auth_user_groups, session = django_session",
        ]
    )
    change = Table(
        "Identity changed: bringing the user up to date",
        ["stack", "synced", "statements beyond steady", "writes", "auth_user columns set"],
    )
    steady = {stack: data_statements(s) for stack, s in sql["steady"].items()}
    for stack, label in (
        ("ours", "next request"),
        ("ours-wsgi", "next request"),
        ("guide", "at the next login only"),
        ("stock", "never (keeps no name, e-mail, groups)"),
    ):
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
    change.notes.append(
        "the guide's row is its login with the changed identity, compared with its "
        "steady-state request; last_login (set by every login) is left out of the columns"
    )
    return [timing, change], _django_checks(results)


def _django_checks(results: DjangoResults) -> list[Check]:
    sql, samples = results.statements, results.samples
    checks = []
    stock = sql["steady"]["stock"]
    for stack in OURS:
        ours = sql["steady"][stack]
        checks.append(
            Check(
                f"Django steady state ({stack}): SQL statements as stock",
                f"{len(ours)} vs {len(stock)}",
                "equal",
                [kind(s) for s in ours] == [kind(s) for s in stock],
            )
        )
        checks.append(
            Check(
                f"Django steady state ({stack}): writes",
                str(len(writes(ours))),
                "0",
                not writes(ours),
            )
        )
        ratio = paired_ratio(samples["steady"][stack], samples["steady"]["stock"])
        checks.append(
            Check(
                f"Django steady state ({stack}): time / stock",
                _ratio(ratio),
                f"<= {STEADY_MAX_RATIO:.2f}",
                ratio.value <= STEADY_MAX_RATIO,
            )
        )
    changed = sql["changed"]["ours"]
    extra = len(data_statements(changed)) - len(data_statements(sql["steady"]["ours"]))
    transaction = sum(kind(s) == "transaction" for s in changed)
    checks.append(
        Check(
            "Identity changed (ours): statements beyond steady state",
            f"{extra} (+{transaction} BEGIN/COMMIT)",
            f"<= {CHANGED_MAX_EXTRA}",
            extra <= CHANGED_MAX_EXTRA,
        )
    )
    columns = updated_columns(changed, "auth_user")
    checks.append(
        Check(
            "Identity changed (ours): auth_user columns written",
            ", ".join(columns) or "none",
            "email only",
            columns == ["email"],
        )
    )
    new_ours, new_stock = data_statements(sql["new"]["ours"]), data_statements(sql["new"]["stock"])
    checks.append(
        Check(
            "First login of a new user (ours): statements / stock",
            f"{len(new_ours)} vs {len(new_stock)}",
            "<= stock",
            len(new_ours) <= len(new_stock),
        )
    )
    ratio = paired_ratio(samples["new"]["ours"], samples["new"]["stock"])
    checks.append(
        Check(
            "First login of a new user (ours): time / stock",
            _ratio(ratio),
            f"<= {FIRST_LOGIN_MAX_RATIO:.2f}",
            ratio.value <= FIRST_LOGIN_MAX_RATIO,
        )
    )
    return checks


def e2e_table(results: E2EResults) -> tuple[Table, Check]:
    """Throughput and latency per stack; the ratio check."""
    ratio = paired_ratio(results.rps["ours"], results.rps["stock"])
    table = Table(
        f"End to end: nginx -> gunicorn (2 workers) -> example site, {results.database}",
        ["stack", "requests/s", "ms/request (1/throughput)", "p50 latency ms", "ratio to stock"],
    )
    for stack, label in (("stock", STACK_LABELS["stock"]), ("ours", STACK_LABELS["ours-wsgi"])):
        rps = median(results.rps[stack])
        table.rows.append(
            [
                label,
                f"{rps:.0f}",
                f"{1000 / rps:.3f}",
                f"{median(results.latency_ms[stack]):.2f}",
                "1.000" if stack == "stock" else _ratio(ratio),
            ]
        )
    table.notes.append(
        f"wrk, 1 thread, {results.connections} connections, {results.seconds:.0f} s per run, "
        f"GET /whoami.json with the session cookie; {len(results.rps['ours'])} rounds"
    )
    check = Check(
        "End to end: throughput / stock",
        _ratio(ratio),
        f">= {E2E_MIN_RATIO:.2f}",
        ratio.value >= E2E_MIN_RATIO,
    )
    return table, check
