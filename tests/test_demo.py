"""``scripts/demo``: the README's main command, run for real with ``--check``.

``--check`` starts the example site under gunicorn and the sign-in front on free
loopback ports, walks through the demo with real HTTP requests (sign-in, groups and
flags, a group change in the users file, a spoofed request around the front, logout),
then stops both servers. ``--check --signed`` does the same in signed mode (the front
signs, the site verifies; a forged token around the front is refused). ``DEMO_PYTHON``
makes it use this interpreter's packages instead of setting up ``.venv``, which the test
run may be using.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.availability import unavailable

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scripts" / "demo"


def _can_bind(address: str) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def _run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EXAMPLE_")}
    env["DEMO_PYTHON"] = sys.executable
    return subprocess.run(
        ["bash", str(DEMO), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    "mode", [pytest.param((), id="header-mode"), pytest.param(("--signed",), id="signed")]
)
def test_demo_check_walks_through_the_demo(mode: tuple[str, ...]) -> None:
    if importlib.util.find_spec("gunicorn") is None:
        unavailable("gunicorn is not installed here", 'pip install -e ".[test]"')
    if not _can_bind("127.0.0.2"):
        unavailable("127.0.0.2 is not a local address here", "run the test on Linux")
    done = _run("--check", *mode)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "FAIL" not in done.stdout, output
    assert "PASS: the demo works" in done.stdout
    counts = re.search(r"^(\d+) of (\d+) steps passed$", done.stdout, re.MULTILINE)
    assert counts is not None, output
    assert counts[1] == counts[2], output
    forged = "a token forged with another key, sent around the front, is refused (400)"
    assert (forged in done.stdout) is bool(mode), output


@pytest.mark.parametrize(
    ("args", "status"),
    [
        pytest.param(("--help",), 0, id="help"),
        pytest.param(("--bogus",), 2, id="unknown-option"),
        pytest.param(("--check", "extra"), 2, id="too-many"),
        pytest.param(("--signed", "--bogus"), 2, id="signed-unknown-option"),
    ],
)
def test_demo_usage(args: tuple[str, ...], status: int) -> None:
    done = _run(*args, timeout=10)
    assert done.returncode == status
    assert "scripts/demo --check" in (done.stdout if status == 0 else done.stderr)
