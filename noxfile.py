"""The test matrix: each supported Python with the Django release it is paired with.

Run through ``scripts/test-matrix``, which finds the interpreters and installs nox.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

# (Python, Django): every supported Django series on a Python it supports.
MATRIX = [
    ("3.10", "4.2"),
    ("3.11", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.1"),
]


@nox.session
@nox.parametrize(("python", "django"), MATRIX, ids=[f"py{p}-django{d}" for p, d in MATRIX])
def tests(session: nox.Session, django: str) -> None:
    """Unit and Django tests (not the end-to-end ones) on one Python and Django."""
    # The same list (the "test" extra) and the same constraints as scripts/test and a
    # contributor's `pip install -e ".[test]"`. The constraints file pins a version for
    # each Python: where a pinned release needs a newer Python than the session's, an
    # environment-marked line names the newest one that runs on it. Django and Django REST
    # framework are left to the session: it installs the Django series under test.
    session.install(
        "--constraint", "requirements-constraints.txt", "-e", ".[test]", f"django~={django}.0"
    )
    session.run(
        "pytest",
        "-W",
        "error",
        "-p",
        "no:cacheprovider",
        "-m",
        "not e2e",
        *session.posargs,
        env={"PYTHONDEVMODE": "1"},
    )
