"""Tests of remote_identity.cli: ``remote-identity explain``, in-process and as a command."""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import remote_identity
from remote_identity.cli import EXIT_USAGE, build_environ, main
from remote_identity.options import OPTIONS, POLICY_OPTIONS

TRUSTED = ["--trusted", "127.0.0.1"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` silences the library's loggers for the process; undo that after each test."""
    logger = logging.getLogger("remote_identity")
    handlers, propagate = list(logger.handlers), logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "--json", *argv)
    return code, json.loads(out)


# --- text output ------------------------------------------------------------------------


def test_identity_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        *TRUSTED,
        "-H",
        "Remote-User: jörn",
        "-H",
        "Remote-Name: Jörn Müller",
        "-H",
        "Remote-Email: jorn@EXAMPLE.com",
        "-H",
        "Remote-Groups: admins, staff,admins",
    )
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[:3] == [
        "peer:      127.0.0.1 (trusted; trusted proxies: 127.0.0.1)",
        "scheme:    authelia",
        "outcome:   identity",
    ]
    assert lines[3:8] == [
        "username:  jörn",
        "name:      Jörn Müller",
        "email:     jorn@example.com",
        "groups:    admins, staff",
        lines[7],
    ]
    assert lines[7].startswith("fingerprint: ")
    assert len(lines[7].split()[1]) == 64
    assert len(lines) == 8


def test_anonymous_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *TRUSTED)
    assert code == 1
    assert "outcome:   anonymous" in out
    assert "username:" not in out
    assert "reason:" not in out


def test_untrusted_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "--peer",
        "203.0.113.9",
        *TRUSTED,
        "-H",
        "Remote-User: admin",
        "-H",
        "Remote-Groups: admins",
    )
    assert code == 1
    assert err == ""  # the security warning is not printed: the report says it
    assert "peer:      203.0.113.9 (NOT trusted; trusted proxies: 127.0.0.1)" in out
    assert "stripped:  Remote-User, Remote-Groups" in out
    assert "outcome:   anonymous" in out
    assert "reason:    untrusted_peer: Remote-User: " in out


def test_nobody_trusted_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-H", "Remote-User: alice")
    assert code == 1
    assert "(NOT trusted; trusted proxies: none: nobody is trusted)" in out


def test_rejected_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *TRUSTED, "-H", "Remote-User: alice,bob")
    assert code == 2
    assert "outcome:   rejected" in out
    assert "reason:    multiple_values: Remote-User: " in out


def test_untrusted_rejected_by_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--peer",
        "203.0.113.9",
        *TRUSTED,
        "--on-untrusted",
        "reject",
        "-H",
        "Remote-User: a",
    )
    assert code == 2
    assert "outcome:   rejected" in out


def test_invalid_made_anonymous_by_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, *TRUSTED, "--on-invalid", "anonymous", "-H", "Remote-User: a,b")
    assert code == 1
    assert (report["outcome"], report["reason"], report["stripped"]) == (
        "anonymous",
        "multiple_values",
        ["Remote-User"],
    )


def test_username_case_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, *TRUSTED, "--username-case", "lower", "-H", "Remote-User: Bob")
    assert code == 0
    assert report["identity"]["username"] == "bob"


@pytest.mark.parametrize(
    ("scheme", "headers", "username", "groups"),
    [
        pytest.param(
            "authentik",
            ["X-authentik-username: bob", "X-authentik-groups: a|b"],
            "bob",
            ["a", "b"],
            id="authentik",
        ),
        pytest.param("oauth2-proxy", ["X-Forwarded-User: 0b8f"], "0b8f", [], id="oauth2-proxy"),
        pytest.param(
            "google-iap",
            ["X-Goog-Authenticated-User-Email: accounts.google.com:a@example.com"],
            "a@example.com",
            [],
            id="google-iap",
        ),
    ],
)
def test_scheme_option(
    capsys: pytest.CaptureFixture[str],
    scheme: str,
    headers: list[str],
    username: str,
    groups: list[str],
) -> None:
    argv = [*TRUSTED, "--scheme", scheme]
    for header in headers:
        argv += ["-H", header]
    code, report = run_json(capsys, *argv)
    assert code == 0
    assert report["scheme"] == scheme
    assert (report["identity"]["username"], report["identity"]["groups"]) == (username, groups)


# --- JSON output ------------------------------------------------------------------------


def test_json_identity(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys,
        *TRUSTED,
        "--trusted",
        "unix",
        "-H",
        "Remote-User: alice",
        "-H",
        "Remote-Name: Älice",
    )
    assert code == 0
    fingerprint = report["identity"].pop("fingerprint")
    assert len(fingerprint) == 64
    assert report == {
        "peer": "127.0.0.1",
        "trusted": True,
        "trusted_proxies": ["127.0.0.1", "unix"],
        "scheme": "authelia",
        "outcome": "identity",
        "stripped": [],
        "identity": {"username": "alice", "name": "Älice", "email": None, "groups": []},
        "reason": None,
        "header": None,
        "message": None,
        "notes": [],
        "assertion": None,
        "log": [],
    }


def test_dropped_email_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*TRUSTED, "-H", "Remote-User: bob", "-H", "Remote-Email: not-an-address"]
    code, out, err = run(capsys, *argv)
    assert code == 0
    assert "logged:    Remote-Email dropped" in out
    assert "invalid_email" in out
    assert err == ""
    code, report = run_json(capsys, *argv)
    assert report["identity"]["email"] is None
    assert len(report["log"]) == 1
    assert "not-an-address" not in report["log"][0]  # the value is never logged


def test_name_length_option(capsys: pytest.CaptureFixture[str]) -> None:
    name = "Remote-Name: " + "n" * 151
    assert run(capsys, *TRUSTED, "-H", "Remote-User: bob", "-H", name)[0] == 0
    code, out, _ = run(
        capsys, *TRUSTED, "--max-name-length", "150", "-H", "Remote-User: bob", "-H", name
    )
    assert code == 2
    assert "too_long" in out


def test_json_is_not_ascii_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", *TRUSTED, "-H", "Remote-User: jörn")
    assert code == 0
    assert '"username": "jörn"' in out


def test_json_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys, *TRUSTED, "-H", "Remote-User: alice", "-H", "Remote-Name: A\x07"
    )
    assert code == 2
    assert report["outcome"] == "rejected"
    assert report["identity"] is None
    assert (report["reason"], report["header"]) == ("control_character", "Remote-Name")
    assert report["message"].startswith("Remote-Name: the value contains a control")


def test_json_untrusted(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys, "--peer", "::ffff:10.9.9.9", "--trusted", "10.0.0.0/8", "-H", "Remote-User: x"
    )
    assert code == 0
    assert report["trusted"] is True


# --- shared secret ----------------------------------------------------------------------

SECRET = ["--secret-header", "X-Proxy-Secret", "--secret", "0123456789abcdef"]


@pytest.mark.parametrize(
    ("sent", "code", "reason"),
    [
        pytest.param("0123456789abcdef", 0, None, id="correct"),
        pytest.param("wrong-wrong-wrong", 1, "bad_secret", id="wrong"),
        pytest.param(None, 1, "bad_secret", id="missing"),
    ],
)
def test_secret(
    capsys: pytest.CaptureFixture[str], sent: str | None, code: int, reason: str | None
) -> None:
    argv = [*TRUSTED, *SECRET, "-H", "Remote-User: alice"]
    if sent is not None:
        argv += ["-H", f"X-Proxy-Secret: {sent}"]
    got, report = run_json(capsys, *argv)
    assert got == code
    assert report["reason"] == reason


# --- raw requests on standard input -----------------------------------------------------


def test_raw_request(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    raw = (
        b"GET / HTTP/1.1\r\n"
        b"Host: app.example.com\r\n"
        b"Remote-User: j\xc3\xb6rn\r\n"
        b"Remote-Groups:  admins ,staff \r\n"
        b"this line is not a header\r\n"
        b"\r\n"
        b"Remote-Name: in the body, ignored\r\n"
    )
    monkeypatch.setattr(sys, "stdin", _Stdin(raw))
    code, report = run_json(capsys, *TRUSTED, "--raw", "-H", "Remote-Email: jorn@example.com")
    assert code == 0
    assert report["identity"]["username"] == "jörn"
    assert report["identity"]["groups"] == ["admins", "staff"]
    assert report["identity"]["email"] == "jorn@example.com"
    assert report["identity"]["name"] is None
    assert report["notes"] == ["ignored a line that is not a header: b'this line is not a header'"]


def test_raw_request_with_lf_only_and_no_blank_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"GET / HTTP/1.1\nRemote-User: bob"))
    code, report = run_json(capsys, *TRUSTED, "--raw")
    assert code == 0
    assert report["identity"]["username"] == "bob"


def test_raw_request_with_invalid_utf8(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"GET / HTTP/1.1\r\nRemote-User: j\xf6rn\r\n\r\n"))
    code, report = run_json(capsys, *TRUSTED, "--raw")
    assert code == 2
    assert report["reason"] == "not_utf8"


def test_raw_request_empty(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b""))
    code, report = run_json(capsys, *TRUSTED, "--raw")
    assert code == 1
    assert report["notes"] == []


# --- server emulation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "headers", "environ", "notes"),
    [
        pytest.param(
            "gunicorn",
            [(b"Remote-Groups", b"a"), (b"Remote-Groups", b"admins")],
            {"HTTP_REMOTE_GROUPS": "a,admins"},
            ["gunicorn joins the repeated header 'Remote-Groups' with ','"],
            id="gunicorn-joins-with-comma",
        ),
        pytest.param(
            "waitress",
            [(b"Remote-User", b"alice"), (b"remote-user", b"mallory")],
            {"HTTP_REMOTE_USER": "alice, mallory"},
            ["waitress joins the repeated header 'remote-user' with ', '"],
            id="waitress-joins-with-comma-space",
        ),
        pytest.param(
            "granian",
            [(b"Remote-User", b"alice"), (b"Remote_User", b"admin")],
            {"HTTP_REMOTE_USER": "admin"},
            ["granian keeps only the last HTTP_REMOTE_USER ('Remote_User' wins)"],
            id="granian-folds-underscore-last-wins",
        ),
        pytest.param(
            "granian",
            [(b"Remote_User", b"admin")],
            {"HTTP_REMOTE_USER": "admin"},
            [],
            id="granian-folds-underscore",
        ),
        pytest.param(
            "gunicorn",
            [(b"Remote_User", b"admin"), (b"Remote-User", b"alice")],
            {"HTTP_REMOTE_USER": "alice"},
            ["gunicorn drops the header 'Remote_User' (underscore in its name)"],
            id="gunicorn-drops-underscore",
        ),
        pytest.param(
            "waitress",
            [(b"Remote_User", b"admin")],
            {},
            ["waitress drops the header 'Remote_User' (underscore in its name)"],
            id="waitress-drops-underscore",
        ),
        pytest.param(
            "gunicorn",
            [(b"Content-Type", b"text/plain"), (b"content-length", b"3"), (b"X-A", b" \tv \t")],
            {"CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "3", "HTTP_X_A": "v"},
            [],
            id="cgi-keys-and-trimmed-values",
        ),
        pytest.param(
            "gunicorn",
            [(b"Remote-Name", "Jörn".encode())],
            {"HTTP_REMOTE_NAME": "Jörn".encode().decode("latin-1")},
            [],
            id="latin-1-bytes-as-str",
        ),
        pytest.param(
            "uvicorn",
            [(b"Remote-User", b"alice"), (b"Remote_User", b"admin")],
            {"HTTP_REMOTE_USER": "alice"},
            [
                "uvicorn passes the header 'Remote_User' on as it is; remote_identity.asgi "
                "removes underscore spellings of identity headers (Django before 5.2.13 and "
                "6.0.4 would read it as its hyphen spelling)"
            ],
            id="uvicorn-underscore-removed-by-the-asgi-layer",
        ),
        pytest.param(
            "uvicorn",
            [(b"Remote-User", b"alice"), (b"remote-user", b"mallory")],
            {"HTTP_REMOTE_USER": "alice,mallory"},
            ["remote_identity.asgi joins the repeated header 'remote-user' with ','"],
            id="uvicorn-repeated-joined-by-the-asgi-layer",
        ),
        pytest.param(
            "uvicorn",
            [(b"X-Forwarded-For", b"198.51.100.7")],
            {"HTTP_X_FORWARDED_FOR": "198.51.100.7"},
            [],
            id="uvicorn-peer-not-in-forwarded-allow-ips",
        ),
    ],
)
def test_build_environ(
    server: str,
    headers: list[tuple[bytes, bytes]],
    environ: dict[str, str],
    notes: list[str],
) -> None:
    built, got_notes = build_environ(headers, "10.0.0.1", server)
    assert built == {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "REMOTE_ADDR": "10.0.0.1",
        **environ,
    }
    assert got_notes == notes


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        pytest.param("127.0.0.1", [b"198.51.100.7"], "198.51.100.7", id="client-from-xff"),
        pytest.param("::1", [b"198.51.100.7:4711"], "198.51.100.7", id="ipv6-loopback-port"),
        pytest.param(
            "127.0.0.1", [b"203.0.113.9, 127.0.0.1"], "203.0.113.9", id="first-untrusted-from-right"
        ),
        pytest.param("127.0.0.1", [b"127.0.0.1"], "127.0.0.1", id="all-trusted-first-wins"),
        pytest.param("127.0.0.1", [b"a", b"[2001:db8::1]:80"], "2001:db8::1", id="two-headers"),
        pytest.param("127.0.0.1", [b"[::1"], "[::1", id="broken-bracket"),
        pytest.param("127.0.0.1", [b"host:port"], "host:port", id="not-a-port"),
        pytest.param("127.0.0.1", [b""], "127.0.0.1", id="empty-keeps-the-peer"),
        pytest.param("127.0.0.1", [], "127.0.0.1", id="no-xff"),
        pytest.param("10.0.5.2", [b"198.51.100.7"], "10.0.5.2", id="not-a-forwarded-allow-ip"),
    ],
)
def test_uvicorn_proxy_headers_replace_the_peer(
    peer: str, forwarded: list[bytes], expected: str
) -> None:
    headers = [(b"x-forwarded-for", value) for value in forwarded]
    built, notes = build_environ(headers, peer, "uvicorn")
    assert built["REMOTE_ADDR"] == expected
    assert bool(notes and "uvicorn replaced the peer" in notes[0]) is (expected != peer)


def test_build_environ_without_peer() -> None:
    built, notes = build_environ([], None)
    assert built == {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    assert notes == []


@pytest.mark.parametrize(
    ("server", "code", "reason", "note"),
    [
        pytest.param("gunicorn", 2, "multiple_values", "gunicorn joins", id="gunicorn"),
        pytest.param("waitress", 2, "multiple_values", "waitress joins", id="waitress"),
        pytest.param("granian", 0, None, "granian keeps only the last", id="granian"),
        pytest.param("uvicorn", 2, "multiple_values", "remote_identity.asgi joins", id="uvicorn"),
    ],
)
def test_server_option(
    capsys: pytest.CaptureFixture[str], server: str, code: int, reason: str | None, note: str
) -> None:
    got, out, _ = run(
        capsys, *TRUSTED, "--server", server, "-H", "Remote-User: alice", "-H", "Remote-User: admin"
    )
    assert got == code
    assert f"note:      {note}" in out
    assert (f"reason:    {reason}" in out) is (reason is not None)
    if reason is None:
        assert "username:  admin" in out


def test_uvicorn_behind_a_local_proxy_sees_the_user_as_the_peer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        *TRUSTED,
        "--server",
        "uvicorn",
        "-H",
        "X-Forwarded-For: 198.51.100.7",
        "-H",
        "Remote-User: alice",
    )
    assert code == 1
    assert "peer:      198.51.100.7 (NOT trusted" in out
    assert "run it with --no-proxy-headers" in out


def test_every_gate_option_is_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    out = capsys.readouterr().out
    for option in (*OPTIONS.values(), *POLICY_OPTIONS.values()):
        if option.flag is not None:
            assert option.flag in out
    assert "--max-name-length N" in out


def test_underscore_header_dropped_by_default_server(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *TRUSTED, "-H", "Remote_User: admin")
    assert code == 1
    assert "note:      gunicorn drops the header 'Remote_User' (underscore in its name)" in out


# --- usage and configuration errors -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["explain", "--trusted", "10.0.0.1/8"], "has host bits set", id="host-bits"),
        pytest.param(
            ["explain", "--trusted", "proxy.local"], "trusted proxy 'proxy.local'", id="name"
        ),
        pytest.param(
            ["explain", "--secret-header", "X-S"], "must be set together", id="secret-alone"
        ),
        pytest.param(
            ["explain", "--secret-header", "X-S", "--secret", "short"], "at least 16", id="short"
        ),
    ],
)
def test_configuration_error_exits_3(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == EXIT_USAGE == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("remote-identity: ")
    assert message in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param([], "the following arguments are required: command", id="no-command"),
        pytest.param(["judge"], "invalid choice: 'judge'", id="unknown-command"),
        pytest.param(
            ["explain", "-H", "Remote-User alice"], "expected 'Name: value'", id="no-colon"
        ),
        pytest.param(["explain", "-H", ": alice"], "expected 'Name: value'", id="no-name"),
        pytest.param(
            ["explain", "-H", "Rémote€: x"], "invalid _header_arg value", id="non-latin-1-name"
        ),
        pytest.param(
            ["explain", "--scheme", "authelia4"], "invalid choice: 'authelia4'", id="scheme"
        ),
        pytest.param(["explain", "--server", "uwsgi"], "invalid choice: 'uwsgi'", id="server"),
        pytest.param(
            ["explain", "--bogus"], "unrecognized arguments: --bogus", id="unknown-option"
        ),
    ],
)
def test_usage_error_exits_3(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: remote-identity")
    assert message in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["explain", "--help"])
    assert info.value.code == 0
    assert "--trusted ADDR" in capsys.readouterr().out


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"remote-identity {remote_identity.__version__}\n"


def test_main_keeps_the_library_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, err = run(capsys, "--peer", "203.0.113.9", "-H", "Remote-User: admin")
    assert "untrusted_peer" in out
    assert err == ""  # the security log is not repeated on standard error
    logger = logging.getLogger("remote_identity")
    assert logger.propagate is True  # and the process's logging is left as it was
    assert not any(isinstance(h, logging.NullHandler) for h in logger.handlers)


# --- as a program -----------------------------------------------------------------------


def test_module_entry_point_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys, "argv", ["remote_identity", "explain", *TRUSTED, "-H", "Remote-User: a"]
    )
    with pytest.raises(SystemExit) as info:
        runpy.run_module("remote_identity", run_name="__main__", alter_sys=True)
    assert info.value.code == 0
    assert "username:  a" in capsys.readouterr().out


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONDEVMODE": "1"}


def test_python_m_remote_identity() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "remote_identity",
            "explain",
            "--json",
            *TRUSTED,
            "-H",
            "Remote-User: jörn",
            "-H",
            "Remote-Groups: a,b",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["identity"]["username"] == "jörn"
    assert report["identity"]["groups"] == ["a", "b"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        pytest.param(["explain", *TRUSTED, "-H", "Remote-User: alice"], 0, id="identity"),
        pytest.param(["explain", *TRUSTED], 1, id="anonymous"),
        pytest.param(["explain", *TRUSTED, "-H", "Remote-User: a,b"], 2, id="rejected"),
        pytest.param(["explain", "--trusted", "nonsense"], 3, id="config-error"),
        pytest.param(["nonsense"], 3, id="usage-error"),
    ],
)
def test_console_script(argv: list[str], code: int) -> None:
    script = shutil.which("remote-identity", path=str(Path(sys.executable).parent))
    assert script is not None, "the remote-identity console script is not installed"
    result = subprocess.run(
        [script, *argv], capture_output=True, text=True, encoding="utf-8", env=_env(), check=False
    )
    assert result.returncode == code, result.stderr
    if code < 3:
        assert result.stdout.startswith(
            "peer:      127.0.0.1 (trusted; trusted proxies: 127.0.0.1)"
        )
    else:
        assert result.stderr


def test_module_import_does_not_run_the_command() -> None:
    module = importlib.import_module("remote_identity.__main__")
    assert module.main is main
