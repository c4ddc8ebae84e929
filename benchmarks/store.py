"""Every sample as pyperf JSON, so that pyperf's tools can read a run.

``python -m pyperf stats .run/bench/pyperf.json`` shows each variant's distribution;
``python -m pyperf compare_to old.json new.json`` compares two runs. One pyperf
benchmark per variant, one pyperf run per round, values in seconds per request.
"""

from __future__ import annotations

from pathlib import Path

import pyperf  # type: ignore[import-untyped]

from benchmarks.django_requests import DjangoResults
from benchmarks.e2e import E2EResults

__all__ = ["save_pyperf"]


#: Metadata that changes from one moment to the next: left out, the rest is the machine's.
_VOLATILE = ("date", "load_avg_1min", "mem_max_rss", "runnable_threads", "uptime", "cpu_freq")


def machine_metadata() -> dict[str, object]:
    """What pyperf records about the machine and the interpreter, collected once."""
    probe = pyperf.Benchmark([pyperf.Run([1.0], metadata={"name": "probe"})])
    metadata: dict[str, object] = dict(probe.get_metadata())
    for key in (*_VOLATILE, "name"):
        metadata.pop(key, None)
    return metadata


def _benchmark(
    name: str, values: list[float], loops: int, machine: dict[str, object]
) -> pyperf.Benchmark:
    metadata = {**machine, "name": name, "unit": "second", "loops": loops}
    return pyperf.Benchmark(
        [pyperf.Run([value], metadata=metadata, collect_metadata=False) for value in values]
    )


def save_pyperf(
    path: Path,
    wsgi: dict[str, list[float]],
    wsgi_loops: int,
    django: list[DjangoResults],
    e2e: E2EResults | None,
    *,
    assertions: tuple[dict[str, list[float]], int] | None = None,
) -> None:
    """Write (replace) ``path`` with every part's samples (``django``: one run per
    database, the SQLite one named ``django SCENARIO: STACK``, the others ``django
    postgresql SCENARIO: STACK``; ``assertions``: the signed-mode samples and their calls
    per round)."""
    machine = machine_metadata()
    benchmarks = [
        _benchmark(f"wsgi: {name}", [ns * 1e-9 for ns in values], wsgi_loops, machine)
        for name, values in wsgi.items()
    ]
    if assertions is not None:
        samples, loops = assertions
        benchmarks.extend(
            _benchmark(f"assertion: {name}", [ns * 1e-9 for ns in values], loops, machine)
            for name, values in samples.items()
        )
    for run in django:
        prefix = "django" if run.engine == "SQLite" else f"django {run.engine.lower()}"
        for scenario, stacks in run.samples.items():
            benchmarks.extend(
                _benchmark(f"{prefix} {scenario}: {stack}", values, run.loops[scenario], machine)
                for stack, values in stacks.items()
            )
    if e2e is not None:
        benchmarks.extend(
            _benchmark(f"e2e: {stack}", [1 / rps for rps in values], 1, machine)
            for stack, values in e2e.rps.items()
        )
    path.unlink(missing_ok=True)
    pyperf.BenchmarkSuite(benchmarks).dump(str(path))
