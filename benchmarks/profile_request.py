"""Where a Django request's time goes, for one stack and scenario, with cProfile.

    python -m benchmarks.profile_request ours steady [--loops 2000] [--sort tottime]

The stack runs in this process exactly as in ``django_requests.py`` (same settings,
same scenario code); the profile covers ``--loops`` requests after a warm-up. For a
sampling profile of the same loop without cProfile's own overhead, run it under py-spy
(installed in ``.venv-bench``): ``py-spy record -o profile.svg -- python -m
benchmarks.profile_request ours steady --no-profile``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from pathlib import Path

from benchmarks.django_worker import SCENARIOS, Worker, set_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stack", choices=["stock", "guide", "ours", "ours-wsgi"])
    parser.add_argument("scenario", choices=list(SCENARIOS))
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key")
    parser.add_argument("--limit", type=int, default=40, help="rows of the profile")
    parser.add_argument("--no-profile", action="store_true", help="time only (for py-spy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="remote-identity-profile-") as directory:
        set_up(args.stack, str(Path(directory) / "db.sqlite3"))
        worker = Worker(args.stack)
        worker.time(args.scenario, 50)  # warm-up
        if args.no_profile:
            cpu, _ = worker.time(args.scenario, args.loops)
            print(f"{args.stack} {args.scenario}: {cpu * 1e6:.1f} us CPU per request")
            return
        profile = cProfile.Profile()
        profile.enable()
        worker.time(args.scenario, args.loops)
        profile.disable()
    stats = pstats.Stats(profile)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
