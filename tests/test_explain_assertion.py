"""``remote-identity explain`` with a signed assertion (remote_identity.explain_assertion):
which check refused the token, and never the token itself."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from remote_identity import cli
from remote_identity.cli import EXIT_USAGE, main
from remote_identity.explain_assertion import CHECKS, NAME_RULES, token_header
from tests.assertion_support.signing import claims, ec_key, hmac_token, jwks, unsigned

KEY = ec_key("demo-1")
FORGER = ec_key("demo-1")
HOST = "app.example.com"
HEADER = "X-Pomerium-Jwt-Assertion"
NOW = int(time.time())


def token(**overrides: Any) -> str:
    return KEY.sign(claims(**{"iss": HOST, "aud": HOST, **overrides}))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    logger = logging.getLogger("remote_identity")
    handlers, propagate = list(logger.handlers), logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(KEY)), encoding="utf-8")
    return path


def preset(keys: Path) -> list[str]:
    return [
        "--assertion-preset",
        "pomerium",
        "--assertion-option",
        f"host={HOST}",
        "--jwks-file",
        str(keys),
    ]


def run(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, *argv: str
) -> tuple[int, str]:
    """Exit status and everything written: standard output and error, and every log
    record the library made (``explain`` collects them instead of emitting them)."""
    seen: list[logging.LogRecord] = []
    collect = cli.quiet_library_log

    @contextmanager
    def keeping() -> Iterator[list[logging.LogRecord]]:
        with collect() as records:
            yield records
        seen.extend(records)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "quiet_library_log", keeping)
        with caplog.at_level(logging.DEBUG, logger="remote_identity"):
            code = main(["explain", *argv])
    out, err = capsys.readouterr()
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in seen)
    return code, out + err + logged


CASES = [
    pytest.param(token(), 0, None, id="valid"),
    pytest.param(token(exp=NOW - 3600), 2, CHECKS["assertion_expired"], id="expired"),
    pytest.param(token(aud="other.example.com"), 2, CHECKS["assertion_audience"], id="audience"),
    pytest.param(token(iss="evil.example.com"), 2, CHECKS["assertion_issuer"], id="issuer"),
    pytest.param(
        FORGER.sign(claims(iss=HOST, aud=HOST)), 2, CHECKS["assertion_signature"], id="forged"
    ),
    pytest.param(
        unsigned({"alg": "none", "kid": "demo-1"}, claims(iss=HOST, aud=HOST)),
        2,
        CHECKS["assertion_algorithm"],
        id="alg-none",
    ),
    pytest.param(
        hmac_token(KEY.pem().encode(), {"alg": "HS256", "kid": "demo-1"}, claims(iss=HOST)),
        2,
        CHECKS["assertion_algorithm"],
        id="hs256-with-the-public-key",
    ),
    pytest.param(
        ec_key("other").sign(claims(iss=HOST, aud=HOST)),
        2,
        CHECKS["assertion_unknown_key"],
        id="unknown-kid",
    ),
    pytest.param(token(sub="admin\u200b"), 2, NAME_RULES, id="claim-not-a-clean-name"),
]


@pytest.mark.parametrize(("value", "status", "failed"), CASES)
@pytest.mark.parametrize("how", ["--assertion", "-H", "--raw"])
def test_which_check_failed_and_never_the_token(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    keys: Path,
    value: str,
    status: int,
    failed: str | None,
    how: str,
) -> None:
    if how == "--assertion":
        request = ["--assertion", value]
    elif how == "-H":
        request = ["-H", f"{HEADER}: {value}"]
    else:
        raw = f"GET / HTTP/1.1\r\n{HEADER}: {value}\r\n\r\n".encode()
        monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BytesIO(raw)})())
        request = ["--raw"]
    code, output = run(capsys, caplog, *preset(keys), *request, "-H", "Remote-User: admin")
    assert code == status
    assert value not in output
    assert value.split(".")[1] not in output  # not even the claims
    assert "token:     alg " in output
    if failed is None:
        assert "username:  alice" in output
        assert "verified:  key demo-1, expires " in output
    else:
        assert f"failed:    {failed}\n" in output
    assert "stripped:  Remote-User" in output
    if failed is not None:  # the refusal was logged, without the token
        assert "signed assertion from 127.0.0.1 refused" in output


def test_json_report(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    value = token(exp=NOW - 3600)
    code, output = run(capsys, caplog, *preset(keys), "--json", "--assertion", value)
    report = json.loads(output[: output.index("\n}\n") + 2])
    assert code == 2
    assert report["reason"] == "assertion_expired"
    assert report["assertion"] == {
        "header": HEADER,
        "keys": str(keys),
        "present": True,
        "token": {"alg": "ES256", "kid": "demo-1"},
        "verified": False,
        "key_id": None,
        "expires": None,
        "failed_check": CHECKS["assertion_expired"],
        "key_log": [],
    }
    assert value not in output


def test_no_token_is_anonymous(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    code, output = run(capsys, caplog, *preset(keys), "-H", "Remote-User: admin")
    assert code == 1
    assert "token:     none: nobody is signed in" in output
    assert "trusted proxies: none: the signature alone decides" in output


def test_both_must_hold(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    value = token()
    code, output = run(
        capsys, caplog, *preset(keys), "--peer", "203.0.113.9", "--trusted", "10.0.0.2",
        "--assertion", value,
    )  # fmt: skip
    assert code == 1
    assert "reason:    untrusted_peer" in output
    assert "failed:" not in output
    assert value not in output


def test_unreachable_keys_are_shown_from_the_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from tests.assertion_support.keyserver import refused_url

    url = refused_url()
    value = token()
    code, output = run(
        capsys, caplog,
        "--assertion-preset", "pomerium", "--assertion-option", f"host={HOST}",
        "--jwks-url", url, "--assertion-option", "fetch_timeout=0.5", "--assertion", value,
    )  # fmt: skip
    assert code == 2
    assert f"failed:    {CHECKS['assertion_keys_unavailable']}" in output
    assert f"keys log:  no keys from {url}" in output
    assert value not in output


def test_the_verifiers_own_options(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    value = KEY.sign(claims())
    code, output = run(
        capsys, caplog,
        "--assertion-option", "header=Authorization",
        "--assertion-option", "bearer=true",
        "--assertion-option", "issuer=https://issuer.example",
        "--assertion-option", 'audience=["app", "other"]',
        "--assertion-option", 'algorithms=["ES256"]',
        "--jwks-file", str(keys),
        "-H", f"Authorization: Bearer {value}",
    )  # fmt: skip
    assert code == 0
    assert "assertion: Authorization, keys from" in output
    assert "token:     alg ES256, kid demo-1" in output
    assert value not in output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--assertion", "x.y.z"], "--assertion needs the verifier's", id="no-config"),
        pytest.param(
            ["--assertion-preset", "pomerium"], "missing a required", id="missing-parameter"
        ),
        pytest.param(["--assertion-option", "host"], "expected NAME=VALUE", id="not-name-value"),
        pytest.param(["--assertion-preset", "nginx"], "invalid choice", id="unknown-preset"),
        pytest.param(
            ["--assertion-preset", "pomerium", "--assertion-option", "host=a.example",
             "--assertion-option", 'algorithms=["HS256"]'],
            "HMAC algorithm",
            id="hmac",
        ),
    ],
)  # fmt: skip
def test_usage_errors(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    argv: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["explain", *argv]))
    assert info.value.code == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_the_cloud_header_mode_note(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code, output = run(
        capsys, caplog, "--trusted", "127.0.0.1", "--scheme", "google-iap",
        "-H", "X-Goog-Authenticated-User-Email: accounts.google.com:ceo@example.com",
    )  # fmt: skip
    assert code == 0
    assert "safe only behind a private tunnel" in output
    assert "(--assertion-preset google-iap)" in output


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(token(), {"alg": "ES256", "kid": "demo-1"}, id="token"),
        pytest.param("not a token", {}, id="garbage"),
        pytest.param("", {}, id="empty"),
    ],
)
def test_token_header(value: str, expected: dict[str, Any]) -> None:
    assert token_header(value) == expected


def test_a_token_without_kid(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    value = unsigned({"alg": "none"}, claims(iss=HOST, aud=HOST))
    code, output = run(capsys, caplog, *preset(keys), "--assertion", value)
    assert code == 2
    assert "token:     alg none, no kid (unverified header)" in output
    assert f"failed:    {CHECKS['assertion_algorithm']}" in output


def test_a_token_without_a_readable_header(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, keys: Path
) -> None:
    code, output = run(capsys, caplog, *preset(keys), "--assertion", "not-a-token")
    assert code == 2
    assert "\ntoken:" not in output  # no header to show
    assert f"failed:    {CHECKS['assertion_malformed']}" in output
    assert "not-a-token" not in output
