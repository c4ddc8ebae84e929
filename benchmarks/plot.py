"""The PNG in docs/benchmarks.md: time per request of every variant, one panel per part."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

from benchmarks.django_requests import DjangoResults
from benchmarks.e2e import E2EResults
from benchmarks.rounds import median

__all__ = ["plot"]

COLORS = {"stock": "#888888", "guide": "#d08a3c", "ours": "#2f6fb0", "ours-wsgi": "#1b3f66"}


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]


def plot(
    path: Path,
    wsgi: dict[str, list[float]],
    django: list[DjangoResults],
    e2e: E2EResults | None,
    title: str,
) -> None:
    """Write the figure to ``path``: medians as bars, the rounds' quartiles as whiskers;
    a Django panel per database."""
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    widths = [1.2, *(0.4 * len(run.stacks) for run in django)]
    if e2e is not None:
        widths.append(0.7)
    figure, axes = plt.subplots(
        1, len(widths), figsize=(5 * len(widths), 5.2), gridspec_kw={"width_ratios": widths}
    )
    figure.suptitle("\n".join(textwrap.wrap(title, 160)), fontsize=9)

    ax = axes[0]
    names = list(wsgi)
    values = [median(wsgi[name]) for name in names]
    ax.barh(range(len(names)), values, color=[_wsgi_color(n) for n in names])
    ax.set_yticks(range(len(names)), [n.replace(", ", "\n", 1) for n in names], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ns per request (median of rounds)")
    ax.set_title("WSGI core, in-process", fontsize=10)

    for ax, run in zip(axes[1:], django, strict=False):
        _django_panel(ax, run)

    if e2e is not None:
        ax = axes[-1]
        stacks = ["stock", "ours"]
        meds = [1000 / median(e2e.rps[s]) for s in stacks]
        ax.bar(stacks, meds, color=[COLORS["stock"], COLORS["ours-wsgi"]])
        ax.set_ylabel("ms per request (1 / throughput)")
        ax.set_title(f"End to end, wrk ({e2e.database})", fontsize=10)

    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _django_panel(ax: Any, run: DjangoResults) -> None:
    scenarios = list(run.samples)
    width = 0.8 / len(run.stacks)
    for i, stack in enumerate(run.stacks):
        xs = [s + (i - (len(run.stacks) - 1) / 2) * width for s in range(len(scenarios))]
        meds = [median(run.samples[s][stack]) * 1e6 for s in scenarios]
        quartiles = [_quartiles(run.samples[s][stack]) for s in scenarios]
        errors = [
            [m - q[0] * 1e6 for m, q in zip(meds, quartiles, strict=True)],
            [q[1] * 1e6 - m for m, q in zip(meds, quartiles, strict=True)],
        ]
        ax.bar(xs, meds, width, yerr=errors, capsize=2, label=stack, color=COLORS[stack])
    ax.set_xticks(range(len(scenarios)), scenarios)
    ax.set_ylabel("us of CPU per request (median of rounds)")
    backend = "\nCPU of the worker and its database backend" if run.engine == "PostgreSQL" else ""
    ax.set_title(f"Django, in-process ({run.database}){backend}", fontsize=10)
    ax.legend(fontsize=8)


def _wsgi_color(name: str) -> str:
    if name.startswith("RemoteIdentity"):
        return COLORS["ours"]
    if name.startswith("hand-written"):
        return COLORS["guide"]
    return COLORS["stock"]
