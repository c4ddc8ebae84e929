"""Assert the exact contents of the built wheel and source distribution.

Usage: ``python scripts/check_dist_contents.py WHEEL SDIST`` (``scripts/check-dist`` runs
it). Exit status 1, with the differences, when either holds a file it should not or
lacks one it should.

- The wheel holds the two packages, every file of them (``py.typed`` included) and
  nothing else, beside its ``.dist-info`` (metadata, entry points, the license).
- The source distribution holds every file that git tracks under the paths its tests and
  documentation need (``[tool.hatch.build.targets.sdist] include``), and nothing that git
  does not track, beside ``PKG-INFO`` and ``.gitignore`` (hatchling adds both).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import tomllib  # this script runs on the project's Python (3.12): tomllib is there

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("remote_identity", "remote_identity_django")
#: The files of the wheel's .dist-info directory, exactly.
DIST_INFO = {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"}
_CACHE = re.compile(r"(^|/)__pycache__/|\.py[co]$")


def package_files() -> set[str]:
    """Every file of the two packages in the source tree (not caches)."""
    return {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and not _CACHE.search(path.relative_to(ROOT).as_posix())
    }


def check_wheel(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    info = {n for n in names if re.match(r"^remote_identity-[^/]+\.dist-info/", n)}
    problems = [f"wheel: unexpected file {n}" for n in sorted(names - info - package_files())]
    problems += [f"wheel: missing {n}" for n in sorted(package_files() - names)]
    found = {n.split("/", 1)[1] for n in info}
    problems += [f"wheel: unexpected .dist-info/{n}" for n in sorted(found - DIST_INFO)]
    problems += [f"wheel: missing .dist-info/{n}" for n in sorted(DIST_INFO - found)]
    for package in PACKAGES:
        if f"{package}/py.typed" not in names:
            problems.append(f"wheel: {package}/py.typed is missing")
    return problems


def tracked(paths: list[str]) -> set[str]:
    """Files git tracks under ``paths`` (relative to the root), plus new files not ignored."""
    output = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *paths],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line for line in output.splitlines() if (ROOT / line).is_file()}


def check_sdist(sdist: Path) -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
    top = members[0].name.split("/", 1)[0]
    names = {m.name.split("/", 1)[1] for m in members}
    expected = tracked([p.lstrip("/") for p in include])
    expected |= {"pyproject.toml", "PKG-INFO", ".gitignore"}
    problems = [f"sdist: unexpected file {n}" for n in sorted(names - expected)]
    problems += [f"sdist: missing {n}" for n in sorted(expected - names)]
    problems += [f"sdist: {m.name} is outside {top}/" for m in members if m.name[: len(top)] != top]
    scripts = [m for m in members if m.name.startswith(f"{top}/scripts/") and "." not in m.name]
    problems += [f"sdist: {m.name} is not executable" for m in scripts if not m.mode & 0o100]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].endswith(".whl") or not argv[1].endswith(".tar.gz"):
        print(__doc__)
        return 2
    problems = check_wheel(Path(argv[0])) + check_sdist(Path(argv[1]))
    for problem in problems:
        print(problem)
    if not problems:
        print(f"dist contents: {Path(argv[0]).name} and {Path(argv[1]).name} hold what they should")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
