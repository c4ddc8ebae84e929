"""One line about the machine and the software measured, for the table and the docs."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from benchmarks.e2e import E2EResults

__all__ = ["describe_machine"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe_machine(django_version: str, e2e: E2EResults | None) -> str:
    """``"2 CPUs (model), Linux ..., Python 3.12.1, Django 6.1.3, gunicorn ..."``."""
    parts = [
        f"{os.cpu_count()} CPUs ({cpu_model()})",
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        f"Django {django_version}",
    ]
    if e2e is not None:
        parts.extend(e2e.versions.values())
    return ", ".join(parts)
