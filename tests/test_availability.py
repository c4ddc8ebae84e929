"""``tests/availability.py``: what a plain ``pytest`` runs, and what a skip means in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.availability import POSTGRES_VARIABLE, STRICT_VARIABLE, strict, unavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, False, id="local"),
        pytest.param({"CI": "true"}, True, id="ci"),
        pytest.param({"CI": "1"}, True, id="ci-1"),
        pytest.param({"CI": "false"}, False, id="ci-false"),
        pytest.param({"CI": ""}, False, id="ci-empty"),
        pytest.param({STRICT_VARIABLE: "1"}, True, id="scripts-test"),
        pytest.param({STRICT_VARIABLE: "0", "CI": "no"}, False, id="both-off"),
    ],
)
def test_strict(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: bool) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(STRICT_VARIABLE, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert strict() is expected


def test_unavailable_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(STRICT_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^thing not run; do this$"):
        unavailable("thing not run", "do this")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^thing not run; do this\. In CI"):
        unavailable("thing not run", "do this")


def _pytest(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", STRICT_VARIABLE, POSTGRES_VARIABLE, "PYTEST_ADDOPTS")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("test_file", "says"),
    [
        pytest.param("tests/e2e/test_recipes.py", "run scripts/test-e2e", id="e2e"),
        pytest.param("tests/test_django_postgres.py", f"set {POSTGRES_VARIABLE}=", id="postgres"),
    ],
)
def test_a_plain_run_skips_and_says_how_to_run_and_ci_fails(test_file: str, says: str) -> None:
    local = _pytest(test_file)
    assert local.returncode == 0, local.stdout + local.stderr
    summary = [line for line in local.stdout.splitlines() if line.startswith("SKIPPED [")]
    assert summary, local.stdout  # listed in the summary, never silent
    assert all(says in line for line in summary), summary
    assert " passed" not in local.stdout

    ci = _pytest(test_file, CI="true")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "a skip is a failure" in ci.stdout
    assert "skipped" not in ci.stdout.splitlines()[-1]


def test_the_django_suite_download_failing_is_said_locally_and_fails_in_ci(
    tmp_path: Path,
) -> None:
    offline = {
        "REMOTE_IDENTITY_DJANGO_SUITE_CACHE": str(tmp_path / "empty-cache"),
        "PIP_NO_INDEX": "1",  # pip download fails at once, as without network
        "PIP_FIND_LINKS": "",
    }
    suite = "tests/test_django_remote_user_suite.py"
    other = "tests/test_availability.py::test_strict"  # so that some test runs
    local = _pytest(suite, other, **offline)
    assert local.returncode == 0, local.stdout + local.stderr
    summary = [line for line in local.stdout.splitlines() if line.startswith("SKIPPED [")]
    assert len(summary) == 1, local.stdout
    assert "Django's own remote-user tests were not run" in summary[0]

    ci = _pytest(suite, other, CI="true", **offline)
    assert ci.returncode != 0, ci.stdout + ci.stderr
    assert "Django's own remote-user tests were not run" in ci.stdout
    assert "a skip is a failure" in ci.stdout
