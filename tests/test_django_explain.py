"""``manage.py remote_identity explain`` (remote_identity_django.explain): the core's report
with the site's own settings, and what the site's middleware does with the verdict.

No test here may touch the database (none is marked ``django_db``): the command reads
settings only.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from remote_identity_django.backends import RemoteIdentityBackend
from tests.assertion_support.signing import claims, ec_key, jwks

ROOT = Path(__file__).resolve().parent.parent
KEY = ec_key("site-1")
FORGER = ec_key("site-1")  # the same kid, another key
ASSERTION = {
    "header": "X-Assertion",
    "issuer": "https://issuer.example",
    "audience": "app",
    "algorithms": ["ES256"],
    "jwks": jwks(KEY),
}
SIGNED = {"REMOTE_IDENTITY_ASSERTION": ASSERTION, "REMOTE_IDENTITY_TRUSTED_PROXIES": []}
OURS = "remote_identity_django.middleware.RemoteIdentityMiddleware"
PERSISTENT = "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"
BACKEND = "remote_identity_django.backends.RemoteIdentityBackend"
TRUSTED = "peer:      127.0.0.1 (trusted; trusted proxies: 127.0.0.1)"
ATTACKER = "203.0.113.9"


class LowerCaseBackend(RemoteIdentityBackend):
    """A site's backend that lower-cases usernames."""

    def clean_username(self, username: str) -> str:
        return username.lower()


def run(*argv: str) -> tuple[int, str]:
    """The exit status and standard output of ``manage.py remote_identity explain``."""
    out = io.StringIO()
    code: object = 0
    try:
        call_command("remote_identity", "explain", *argv, stdout=out)
    except SystemExit as exc:
        code = exc.code
    assert isinstance(code, int)
    return code, out.getvalue()


def site_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("django:")]


def middleware(path: str) -> list[str]:
    from tests.django_settings import MIDDLEWARE

    return [path if m == OURS else m for m in MIDDLEWARE]


CASES = [
    pytest.param(
        {},
        ["-H", "Remote-User: alice", "-H", "Remote-Groups: staff"],
        0,
        [TRUSTED, "outcome:   identity", "username:  alice", "groups:    staff"],
        [f"django:    signs in as 'alice' ({BACKEND})"],
        id="trusted-identity",
    ),
    pytest.param(
        {},
        ["--peer", ATTACKER, "-H", "Remote-User: admin", "-H", "Remote-Groups: admins"],
        1,
        [
            f"peer:      {ATTACKER} (NOT trusted; trusted proxies: 127.0.0.1)",
            "stripped:  Remote-User, Remote-Groups",
            "outcome:   anonymous",
        ],
        ["django:    no identity: a session a remote-user backend made is logged out"],
        id="untrusted-spoofed",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_ON_UNTRUSTED": "reject"},
        ["--peer", ATTACKER, "-H", "Remote-User: admin"],
        2,
        ["outcome:   rejected"],
        [
            "django:    RemoteIdentityMiddleware answers 403: Identity refused: untrusted_peer "
            "(Remote-User); expected identity headers only from a trusted proxy."
        ],
        id="untrusted-rejected",
    ),
    pytest.param(
        {},
        ["-H", "Remote-User: alice,bob"],
        2,
        ["outcome:   rejected", "reason:    multiple_values: Remote-User: "],
        ["django:    RemoteIdentityMiddleware answers 400: Identity refused: multiple_values"],
        id="invalid-identity",
    ),
    pytest.param(
        SIGNED,
        ["--peer", ATTACKER, "--assertion", KEY.sign(claims(sub="carol"))],
        0,
        [
            f"peer:      {ATTACKER} (NOT trusted; trusted proxies: none: the signature alone "
            "decides)",
            "assertion: X-Assertion, keys from the configured jwks",
            "token:     alg ES256, kid site-1 (unverified header)",
            "verified:  key site-1, expires ",
            "outcome:   identity",
            "username:  carol",
        ],
        [f"django:    signs in as 'carol' ({BACKEND})"],
        id="signed-valid",
    ),
    pytest.param(
        SIGNED,
        ["--assertion", FORGER.sign(claims(sub="admin"))],
        2,
        ["failed:    signature", "outcome:   rejected", "reason:    assertion_signature: "],
        ["django:    RemoteIdentityMiddleware answers 400: Identity refused: assertion_signature"],
        id="signed-forged",
    ),
    pytest.param(
        SIGNED,
        ["-H", "Remote-User: admin"],
        1,
        ["token:     none: nobody is signed in", "outcome:   anonymous"],
        ["django:    no identity: a session a remote-user backend made is logged out"],
        id="signed-without-token",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_ENABLED": False},
        ["-H", "Remote-User: alice"],
        1,
        [TRUSTED, "outcome:   identity", "username:  alice"],
        [
            "django:    REMOTE_IDENTITY_ENABLED is False: the site reads no identity header and "
            "every request is anonymous (above: what the settings decide once it is enabled)"
        ],
        id="disabled",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_EXCLUDED_PATHS": ["/api/"]},
        ["--path", "/api/items?page=2", "-H", "Remote-User: alice"],
        0,
        ["outcome:   identity"],
        [
            "django:    the path '/api/items' is under REMOTE_IDENTITY_EXCLUDED_PATHS: the "
            "middleware logs nobody in or out there"
        ],
        id="excluded-path",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_EXCLUDED_PATHS": ["/api/"]},
        ["--path", "/apis", "-H", "Remote-User: alice"],
        0,
        ["outcome:   identity"],
        [f"django:    signs in as 'alice' ({BACKEND})"],
        id="path-not-excluded",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_IDENTIFY_BY": "email"},
        ["-H", "Remote-User: alice", "-H", "Remote-Email: Alice@Example.com"],
        0,
        ["email:     Alice@example.com"],
        [f"django:    signs in as 'Alice@example.com' ({BACKEND})"],
        id="identify-by-email",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_IDENTIFY_BY": "email", "REMOTE_IDENTITY_USERNAME_CASE": "lower"},
        ["-H", "Remote-User: alice", "-H", "Remote-Email: Alice@Example.com"],
        0,
        ["email:     Alice@example.com"],
        [f"django:    signs in as 'alice@example.com' ({BACKEND})"],
        id="identify-by-email-lower",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_IDENTIFY_BY": "email"},
        ["-H", "Remote-User: alice"],
        0,
        ["outcome:   identity"],
        [
            "django:    no sign-in: the identity has no e-mail address, and "
            "REMOTE_IDENTITY_IDENTIFY_BY is 'email'"
        ],
        id="identify-by-email-without-email",
    ),
    pytest.param(
        {"AUTHENTICATION_BACKENDS": [f"{__name__}.LowerCaseBackend"]},
        ["-H", "Remote-User: Alice"],
        0,
        ["username:  Alice"],
        [f"django:    signs in as 'alice' ({__name__}.LowerCaseBackend)"],
        id="backend-clean-username",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_CREATE_UNKNOWN_USER": False},
        ["-H", "Remote-User: alice"],
        0,
        [],
        [
            f"django:    signs in as 'alice' ({BACKEND}); REMOTE_IDENTITY_CREATE_UNKNOWN_USER "
            "is False: only if that user exists"
        ],
        id="no-user-creation",
    ),
    pytest.param(
        {"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]},
        ["-H", "Remote-User: alice"],
        0,
        [],
        [
            "django:    signs in 'alice' through AUTHENTICATION_BACKENDS, which has no "
            "RemoteIdentityBackend: nothing is synced from the identity"
        ],
        id="no-remote-backend",
    ),
    pytest.param(
        {"MIDDLEWARE": middleware(PERSISTENT)},
        [],
        1,
        ["outcome:   anonymous"],
        ["django:    no identity: PersistentRemoteIdentityMiddleware keeps the session"],
        id="persistent-middleware",
    ),
    pytest.param(
        {"MIDDLEWARE": ["no.such.Middleware", *middleware("no.such.Middleware")]},
        ["-H", "Remote-User: alice"],
        0,
        ["outcome:   identity"],
        [
            "django:    MIDDLEWARE has no RemoteIdentityMiddleware: no request signs anybody "
            "in (remote_identity.E028)"
        ],
        id="no-middleware",
    ),
    pytest.param(
        {"REMOTE_IDENTITY_SCHEME": "cloudflare-access"},
        ["-H", "Cf-Access-Authenticated-User-Email: alice@example.com"],
        0,
        [
            "note:      the cloudflare-access headers are believed from an address, which is "
            "safe only behind a private tunnel: the proxy signs what it sends, verify that "
            "instead (REMOTE_IDENTITY_ASSERTION = {'preset': 'cloudflare-access'})"
        ],
        [f"django:    signs in as 'alice@example.com' ({BACKEND})"],
        id="advice-names-the-setting",
    ),
]


@pytest.mark.parametrize(("overrides", "argv", "status", "report", "site"), CASES)
def test_explain(
    settings: Any,
    overrides: dict[str, Any],
    argv: list[str],
    status: int,
    report: list[str],
    site: list[str],
) -> None:
    for name, value in overrides.items():
        setattr(settings, name, value)
    code, out = run(*argv)
    assert code == status
    lines = out.splitlines()
    for expected in report:  # each expected line, or the start of one, in order
        found = [i for i, line in enumerate(lines) if line.startswith(expected)]
        assert found, f"{expected!r} not in:\n{out}"
        lines = lines[found[0] + 1 :]
    assert [line[: len(site[0])] for line in site_lines(out)] == site
    assert "eyJ" not in out  # a token (its JOSE header) is never printed


def test_the_report_is_the_core_reports(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The same request, with the settings as flags: the same report, then the site's."""
    from remote_identity.cli import main

    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["10.0.0.0/24"]
    argv = ["--peer", "10.0.0.7", "-H", "Remote-User: jörn", "-H", "Remote-Email: j@example.com"]
    code, out = run(*argv)
    assert code == main(["explain", "--trusted", "10.0.0.0/24", *argv]) == 0
    core = capsys.readouterr().out
    assert out == core + f"django:    signs in as 'jörn' ({BACKEND})\n"


def test_json(settings: Any) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = ["/api/"]
    code, out = run("--json", "--server", "uvicorn", "--path", "/api/", "-H", "Remote-User: a")
    assert code == 0
    report = json.loads(out)
    assert report["outcome"] == "identity"
    assert report["identity"]["username"] == "a"
    assert report["django"] == {
        "enabled": True,
        "outcome": "identity",
        "middleware": OURS,
        "backend": BACKEND,
        "path": "/api/",
        "excluded": True,
        "action": "none",
        "status": None,
        "username": None,
        "notes": [
            "the path '/api/' is under REMOTE_IDENTITY_EXCLUDED_PATHS: the middleware logs "
            "nobody in or out there"
        ],
    }


def test_json_of_a_refusal_and_a_sign_in() -> None:
    code, out = run("--json", "-H", "Remote-User: a,b")
    assert code == 2
    assert json.loads(out)["django"]["action"] == "refuse"
    assert json.loads(out)["django"]["status"] == 400
    code, out = run("--json", "-H", "Remote-User: a")
    assert code == 0
    assert json.loads(out)["django"]["action"] == "login"
    assert json.loads(out)["django"]["username"] == "a"


def test_raw_request(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO(b"GET / HTTP/1.1\r\nRemote-User: bob\r\nnot a header\r\n\r\n")

    monkeypatch.setattr(sys, "stdin", Stdin())
    code, out = run("--raw")
    assert code == 0
    assert "note:      ignored a line that is not a header: b'not a header'" in out
    assert "username:  bob" in out


def test_the_library_log_stays_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("--peer", ATTACKER, "-H", "Remote-User: admin")
    assert code == 1
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--server", "nginx"], "argument --server: invalid choice", id="server"),
        pytest.param(["-H", "no colon"], "expected 'Name: value'", id="header"),
        pytest.param(["--trusted", "127.0.0.1"], "unrecognized arguments: --trusted", id="gate"),
        pytest.param(["--assertion-preset", "authelia"], "unrecognized arguments", id="preset"),
        pytest.param(
            ["--assertion", "x.y.z"],
            "--assertion needs the verifier the site configures: REMOTE_IDENTITY_ASSERTION "
            "is not set",
            id="token-without-verifier",
        ),
    ],
)
def test_usage_errors_exit_3(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError) as info:
        run(*argv)
    assert info.value.returncode == 3
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        pytest.param(
            "REMOTE_IDENTITY_TRUSTED_PROXIES",
            "127.0.0.1",
            "REMOTE_IDENTITY_TRUSTED_PROXIES: ",
            id="trusted-proxies",
        ),
        pytest.param("REMOTE_IDENTITY_SCHEME", "nope", "REMOTE_IDENTITY_SCHEME: ", id="scheme"),
        pytest.param(
            "REMOTE_IDENTITY_USERNAME_CASE", "upper", "REMOTE_IDENTITY_USERNAME_CASE: ", id="case"
        ),
        pytest.param(
            "REMOTE_IDENTITY_ASSERTION",
            {"preset": "nope"},
            "REMOTE_IDENTITY_ASSERTION: ",
            id="assertion",
        ),
    ],
)
def test_bad_settings_exit_3_naming_the_setting(
    settings: Any, name: str, value: object, message: str
) -> None:
    setattr(settings, name, value)
    with pytest.raises(CommandError) as info:
        run("-H", "Remote-User: alice")
    assert info.value.returncode == 3
    assert str(info.value).startswith(message)


def test_failed_system_checks_exit_3(settings: Any) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = "/api/"  # a string, not a list
    out = io.StringIO()
    with pytest.raises(SystemCheckError) as info:
        call_command("remote_identity", "explain", skip_checks=False, stdout=out, stderr=out)
    assert info.value.returncode == 3
    assert "remote_identity.E" in str(info.value)
    assert "REMOTE_IDENTITY_EXCLUDED_PATHS" in str(info.value)


def test_failed_system_checks_of_users_keep_their_status(settings: Any) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = "/api/"
    out = io.StringIO()
    with pytest.raises(SystemCheckError) as info:
        call_command("remote_identity", "users", skip_checks=False, stdout=out, stderr=out)
    assert info.value.returncode == 1


def _manage(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.django_settings", "PYTHONPATH": str(ROOT)}
    env.pop("REMOTE_IDENTITY_TEST_POSTGRES", None)
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "django", "remote_identity", "explain", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "status", "out", "err"),
    [
        pytest.param(["-H", "Remote-User: alice"], 0, TRUSTED, "", id="identity"),
        pytest.param(["-H", "Remote-User: a,b"], 2, TRUSTED, "", id="rejected"),
        pytest.param(["--server", "nginx"], 3, "", "invalid choice", id="usage"),
    ],
)
def test_as_a_program(argv: list[str], status: int, out: str, err: str) -> None:
    result = _manage(*argv)
    assert result.returncode == status, result.stderr
    assert result.stdout.startswith(out)
    assert err in result.stderr
    if not err:
        assert "django:    " in result.stdout
