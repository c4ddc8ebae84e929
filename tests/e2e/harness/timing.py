"""How long each stage of the end-to-end run took, printed at the end of the run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timings:
    """Named durations, in the order the stages ended."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (also when it fails)."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.stages.append((name, time.monotonic() - start))

    def lines(self) -> list[str]:
        """One line per stage, then the total."""
        lines = [f"{seconds:7.1f} s  {name}" for name, seconds in self.stages]
        total = sum(seconds for _, seconds in self.stages)
        return [*lines, f"{total:7.1f} s  total of the stages above"]
