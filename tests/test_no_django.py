"""The core never imports Django: proved in a process where ``import django`` fails."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import textwrap

import remote_identity

SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import json
    import pkgutil
    import sys
    import warnings

    attempts = []

    class BlockDjango(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "django" or name.startswith("django."):
                attempts.append(name)
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockDjango())
    try:
        import django  # noqa: F401
    except ImportError:
        blocked = True
    else:
        blocked = False
    del attempts[:]

    # WebOb 1.8 imports the deprecated cgi module on Python 3.12; nothing else may warn.
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import remote_identity

    imported = [remote_identity.__name__]
    for module in pkgutil.walk_packages(remote_identity.__path__, "remote_identity."):
        importlib.import_module(module.name)
        imported.append(module.name)
    print(json.dumps({
        "blocked": blocked,
        "imported": imported,
        "django": sorted(m for m in sys.modules if m == "django" or m.startswith("django.")),
        "attempts": attempts,
    }))
    """
)


def test_core_imports_without_django() -> None:
    env = {**os.environ, "PYTHONDEVMODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["blocked"] is True
    assert report["django"] == []
    assert report["attempts"] == []  # not even an import guarded by try/except
    expected = {
        "remote_identity",
        *(m.name for m in pkgutil.walk_packages(remote_identity.__path__, "remote_identity.")),
    }
    assert set(report["imported"]) == expected
    assert {
        "remote_identity.cli",
        "remote_identity.errors",
        "remote_identity.gate",
        "remote_identity.identity",
        "remote_identity.parsing",
        "remote_identity.schemes",
        "remote_identity.trust",
        "remote_identity.wsgi",
        "remote_identity.__main__",
    } <= expected
