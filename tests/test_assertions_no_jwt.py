"""Without the ``jwt`` extra: ``import remote_identity`` (and every module but the PyJWT
adapter) works, and building a verifier says which extra to install. Proved in a process
where ``import jwt`` and ``import cryptography`` fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from remote_identity import ConfigurationError
from remote_identity.assertions import AssertionVerifier, pomerium

SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import json
    import pkgutil
    import sys
    import warnings

    class BlockExtra(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("jwt", "cryptography"):
                raise ImportError(f"{name} is blocked in this test", name=name)
            return None

    sys.meta_path.insert(0, BlockExtra())
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import remote_identity
    from remote_identity import ConfigurationError
    from remote_identity.assertions import AssertionVerifier

    imported, failed = [], {}
    for module in pkgutil.walk_packages(remote_identity.__path__, "remote_identity."):
        try:
            importlib.import_module(module.name)
        except ImportError as error:
            failed[module.name] = error.name
        else:
            imported.append(module.name)
    try:
        AssertionVerifier(
            header="X-Pomerium-Jwt-Assertion",
            issuer="app.example.com",
            audience="app.example.com",
            algorithms=["ES256"],
            jwks_url="https://app.example.com/.well-known/pomerium/jwks.json",
        )
    except ConfigurationError as error:
        message = str(error)
    else:
        message = None
    print(json.dumps({
        "imported": imported,
        "failed": failed,
        "message": message,
        "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("jwt", "cryptography")),
    }))
    """
)


def test_core_works_without_the_jwt_extra() -> None:
    env = {**os.environ, "PYTHONDEVMODE": "1"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == {"remote_identity.assertions._backend": "jwt"}
    assert {
        "remote_identity.assertions",
        "remote_identity.assertions.verifier",
        "remote_identity.assertions.presets",
        "remote_identity.assertions.sources",
        "remote_identity.gate",
        "remote_identity.wsgi",
    } <= set(report["imported"])
    assert report["message"] == (
        "signed assertions need PyJWT and cryptography: pip install 'remote-identity[jwt]'"
    )
    assert report["loaded"] == []


def test_missing_extra_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # makes "import jwt" raise ImportError
    monkeypatch.delitem(sys.modules, "remote_identity.assertions._backend", raising=False)
    with pytest.raises(ConfigurationError, match=r"remote-identity\[jwt\]") as info:
        pomerium(host="app.example.com")
    assert isinstance(info.value.__cause__, ImportError)
    with pytest.raises(ConfigurationError, match=r"remote-identity\[jwt\]"):
        AssertionVerifier(header="X", issuer="i", audience="a", algorithms=["ES256"], jwks={})
