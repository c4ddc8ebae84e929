"""Tests that need something outside Python: when they run, and what a skip means.

A plain ``pytest`` runs the unit, property-based and Django tests, with nothing but the
``test`` extra installed. Three kinds of tests need more, and run only when asked:

- end-to-end tests (marker ``e2e``): nginx, Caddy, HAProxy, PostgreSQL, Chromium; asked
  for with ``--e2e`` (``scripts/test`` and ``scripts/test-e2e`` pass it);
- PostgreSQL tests (marker ``postgres``): asked for by naming a server in
  ``REMOTE_IDENTITY_TEST_POSTGRES``;
- Django's own remote-user tests, downloaded from the package index at test time.

Not asked for (or not available), they are skipped with a message that says how to run
them, and pytest's summary (``-ra``) lists it. In CI (``CI`` set) and under
``scripts/test`` (``REMOTE_IDENTITY_TEST_STRICT=1``), such a skip is a failure instead:
there, every test must run.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

E2E_OPTION = "--e2e"
POSTGRES_VARIABLE = "REMOTE_IDENTITY_TEST_POSTGRES"
STRICT_VARIABLE = "REMOTE_IDENTITY_TEST_STRICT"
_FALSE = ("", "0", "false", "no", "off")


def strict() -> bool:
    """Must every test run (CI, or ``scripts/test``)?"""
    return any(
        os.environ.get(name, "").strip().lower() not in _FALSE for name in ("CI", STRICT_VARIABLE)
    )


def unavailable(what: str, how: str, *, allow_module_level: bool = False) -> NoReturn:
    """Skip (locally) or fail (in CI): ``what`` did not run; ``how`` says how to run it."""
    if strict():
        pytest.fail(
            f"{what}; {how}. In CI ($CI) and under scripts/test (${STRICT_VARIABLE}) every "
            "test must run: a skip is a failure.",
            pytrace=False,
        )
    pytest.skip(f"{what}; {how}", allow_module_level=allow_module_level)


def require_markers(item: pytest.Item) -> None:
    """Skip or fail ``item`` when it needs what this run was not asked for."""
    if item.get_closest_marker("e2e") and not item.config.getoption("e2e"):
        unavailable(
            "end-to-end test not run: it needs nginx, Caddy, HAProxy, PostgreSQL and Chromium",
            f"run scripts/test-e2e (it sets them up), or pytest {E2E_OPTION} where they are "
            "installed",
        )
    if item.get_closest_marker("postgres") and not os.environ.get(POSTGRES_VARIABLE):
        unavailable(
            "PostgreSQL test not run: no server named",
            f"set {POSTGRES_VARIABLE}=postgresql://USER@127.0.0.1:PORT/NAME (scripts/postgres "
            "start DIR starts one and prints it), or run scripts/test",
        )
