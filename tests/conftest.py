"""Test set-up shared by every test module: warnings, and which tests run (see availability)."""

from __future__ import annotations

import warnings

import pytest

# WebOb 1.8 imports the standard library's ``cgi`` module, which warns on Python 3.12 and
# is gone in 3.13 (WebOb then uses the ``legacy-cgi`` backport, silently). Import WebOb
# once with exactly that warning silenced, so ``-W error`` keeps catching everything else.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import webob  # noqa: F401

from tests.availability import E2E_OPTION, require_markers


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        E2E_OPTION,
        action="store_true",
        dest="e2e",
        help="run the end-to-end tests (marker e2e); scripts/test-e2e sets up what they need",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: an end-to-end test's fixtures start servers.
    require_markers(item)
