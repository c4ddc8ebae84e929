"""Run the ``remote-identity`` commands shown in the documentation and compare the output.

Every ```` ```console ```` block in ``docs/**/*.md`` is a list of ``$ command`` lines, each
followed by the output it prints. Commands that call ``remote-identity`` (directly, as
``python -m remote_identity``, or at the end of a pipe) are run with ``bash`` from the
repository root, and ``python manage.py remote_identity explain ...`` from the example site
(``example/``, with its default settings), with ``.venv/bin`` first on ``PATH``; their
standard output and
standard error must match the block line by line (trailing white space ignored). A line
``...`` in a block matches any number of lines. Other commands (``pip``, ``curl``) are
not run here.

Usage: ``python docs/check_examples.py`` (``scripts/docs`` runs it). Exit status 1 when an
example differs, with a diff.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BLOCK = re.compile(
    r"^(?P<indent> *)```console\n(?P<body>.*?)^(?P=indent)```$", re.MULTILINE | re.DOTALL
)
RUNS = re.compile(r"(^|\|\s*)(remote-identity|python -m remote_identity)\b")
#: A command of the example site, run in its directory.
MANAGE = re.compile(r"^python manage\.py remote_identity explain\b")
SITE = ROOT / "example"


def examples(text: str) -> list[tuple[str, list[str]]]:
    """The ``(command, expected output lines)`` pairs of every console block."""
    found: list[tuple[str, list[str]]] = []
    for block in BLOCK.finditer(text):
        indent = len(block["indent"])
        for line in (line[indent:] for line in block["body"].splitlines()):
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line.rstrip())
    return found


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, where a ``...`` line matches any lines."""
    if not expected:
        return not actual
    head, *rest = expected
    if head == "...":
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and matches(rest, actual[1:])


def run(command: str) -> list[str]:
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONDEVMODE", None)
    site = bool(MANAGE.search(command))
    if site:  # the example site's defaults, whatever the environment says
        for name in [n for n in env if n.startswith(("EXAMPLE_", "DJANGO_"))]:
            del env[name]
    result = subprocess.run(  # noqa: S603 - the commands are the documentation's own
        ["bash", "-c", f"{{ {command}\n}} 2>&1"],  # noqa: S607
        cwd=SITE if site else ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line.rstrip() for line in result.stdout.splitlines()]


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main() -> int:
    failures = checked = 0
    for page in sorted(DOCS.rglob("*.md")):
        if "_build" in page.parts:
            continue
        for command, expected in examples(page.read_text(encoding="utf-8")):
            if not RUNS.search(command) and not MANAGE.search(command):
                continue
            checked += 1
            actual = run(command)
            if not matches(expected, actual):
                failures += 1
                where = page.relative_to(ROOT)
                diff = difflib.unified_diff(expected, actual, "documented", "actual", lineterm="")
                say(f"{where}: the output of this command differs:\n$ {command}")
                say("\n".join(diff) + "\n")
    say(f"check_examples: {checked} commands run, {failures} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
