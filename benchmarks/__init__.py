"""The benchmark suite (``scripts/bench``); see ``docs/benchmarks.md``."""
