"""The method every benchmark here shares: interleaved rounds, medians and paired ratios.

This machine is shared and noisy, so absolute times move from one minute to the next.
What holds is the comparison of variants measured side by side:

- every round measures every variant once, one after the other, and the order rotates
  from round to round (A B C, B C A, C A B, ...; for two variants A B, B A), so that a
  slow spell or a warming cache falls on all variants alike;
- a variant's figure is the median of its rounds;
- a ratio is the median, over the rounds, of the ratio measured *within* each round
  (paired), with the interquartile range of those per-round ratios as its spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Ratio", "interleave", "median", "paired_ratio", "rotations"]


def rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order of the variants in each round: rotated by one place per round."""
    count = len(names)
    return [[names[(start + i) % count] for i in range(count)] for start in range(rounds)]


def interleave(
    variants: Mapping[str, Callable[[], float]], rounds: int, *, warmup: bool = True
) -> dict[str, list[float]]:
    """Call each variant once per round, in rotating order; its samples, in round order.

    Each callable measures one sample (e.g. seconds per request over a batch) and
    returns it. With ``warmup``, every variant is called once first and that sample
    is thrown away.
    """
    names = list(variants)
    if warmup:
        for name in names:
            variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for order in rotations(names, rounds):
        for name in order:
            samples[name].append(variants[name]())
    return samples


def median(values: Sequence[float]) -> float:
    """The median (of the rounds of one variant)."""
    return statistics.median(values)


@dataclass(frozen=True)
class Ratio:
    """``value`` = median over the rounds of (variant / baseline) within each round."""

    value: float
    low: float  # first quartile of the per-round ratios
    high: float  # third quartile

    def __str__(self) -> str:
        return f"{self.value:.3f}"


def paired_ratio(variant: Sequence[float], baseline: Sequence[float]) -> Ratio:
    """The median and interquartile range of the per-round ratios variant / baseline."""
    if len(variant) != len(baseline) or not variant:
        raise ValueError("paired samples must be non-empty and of the same length")
    ratios = sorted(v / b for v, b in zip(variant, baseline, strict=True))
    if len(ratios) < 2:
        return Ratio(ratios[0], ratios[0], ratios[0])
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return Ratio(statistics.median(ratios), low, high)
