"""From raw samples to the tables and the checks of the speed targets (the Django part's
in ``django_analysis.py``); the targets themselves are defined here."""

from __future__ import annotations

from benchmarks import assertion_cost, wsgi_overhead
from benchmarks.e2e import E2EResults
from benchmarks.rounds import Ratio, median, paired_ratio
from benchmarks.tables import Check, Table

__all__ = ["STACK_LABELS", "assertion_table", "e2e_table", "ratio_text", "wsgi_table"]

#: The speed targets: each a ratio against the stack people run today.
WSGI_MAX_RATIO = 1.0
STEADY_MAX_RATIO = 1.03
#: SQL statements an identity change may run beyond the steady state's, per database:
#: PostgreSQL locks the user's row with a statement of its own.
CHANGED_MAX_EXTRA = {"SQLite": 4, "PostgreSQL": 5}
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


def ratio_text(ratio: Ratio) -> str:
    """``"0.913 [0.870-0.963]"``: the ratio and its interquartile range."""
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
            ratio = ratio_text(paired_ratio(values, baseline))
        table.rows.append([name, f"{median(values):.0f}", ratio])
    table.notes.append(
        "the ratio is the median of the per-round ratios of the whole request (the "
        "middleware around a bare application); the cached paths read their keys from a "
        "JWKS file, the first verifications have the token cache off"
    )
    checks = []
    for name in (assertion_cost.CACHED, assertion_cost.CACHED_PROXY):
        value = paired_ratio(samples[name], baseline).value
        checks.append(
            Check(
                f"{name} / trusted-header path",
                f"{value:.2f}",
                f"<= {CACHED_ASSERTION_MAX_RATIO:.2f}",
                value <= CACHED_ASSERTION_MAX_RATIO,
            )
        )
    return table, checks


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
                "1.000" if stack == "stock" else ratio_text(ratio),
            ]
        )
    table.notes.append(
        f"wrk, 1 thread, {results.connections} connections, {results.seconds:.0f} s per run, "
        f"GET /whoami.json with the session cookie; {len(results.rps['ours'])} rounds"
    )
    check = Check(
        "End to end: throughput / stock",
        ratio_text(ratio),
        f">= {E2E_MIN_RATIO:.2f}",
        ratio.value >= E2E_MIN_RATIO,
    )
    return table, check
