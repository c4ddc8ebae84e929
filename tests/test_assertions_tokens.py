"""Tests of remote_identity.assertions.tokens: the first, unauthenticated look at a token."""

from __future__ import annotations

import pytest

from remote_identity.assertions import InvalidAssertion
from remote_identity.assertions.tokens import read_token
from tests.assertion_support.signing import b64, unsigned


def read(value: object, **options: object) -> object:
    base: dict[str, object] = {
        "header": "X-T",
        "max_bytes": 16384,
        "profile": "jwt",
        "bearer": False,
    }
    base.update(options)
    return read_token(value, **base)  # type: ignore[arg-type]


def refused(value: object, **options: object) -> tuple[str, str]:
    with pytest.raises(InvalidAssertion) as info:
        read(value, **options)
    return info.value.reason, info.value.expected


def test_reads_the_header() -> None:
    token = unsigned({"alg": "ES256", "kid": "k1", "jku": "https://evil"}, {"a": 1}, b"sig")
    parsed = read(f"  {token}\t")
    assert parsed.token == token  # type: ignore[attr-defined]
    assert parsed.alg == "ES256"  # type: ignore[attr-defined]
    assert parsed.kid == "k1"  # type: ignore[attr-defined]
    assert parsed.fields["jku"] == "https://evil"  # type: ignore[attr-defined]


def test_empty_kid_is_no_kid() -> None:
    parsed = read(unsigned({"alg": "RS256", "kid": ""}, {}, b"s"))
    assert parsed.kid is None  # type: ignore[attr-defined]


def test_aws_alb_profile_accepts_padding() -> None:
    token = ".".join(b64(part, padded=True) for part in (b'{"alg":"ES256"}', b"{}", b"s" * 64))
    assert token.count("=") == 3
    assert read(token, profile="aws-alb").alg == "ES256"  # type: ignore[attr-defined]
    assert refused(token) == (
        "assertion_malformed",
        "a compact JWS token: three base64url segments separated by dots",
    )


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        pytest.param("x" * 300, {"max_bytes": 256}, "a token of at most 256 bytes", id="long"),
        pytest.param(3.5, {}, "a token in a text header", id="float"),
        pytest.param(
            b64(b'{"alg":"' + b"A" * 5000 + b'"}') + ".e30.e30",
            {},
            "a JOSE header of at most 4096 bytes",
            id="long-header",
        ),
        pytest.param(
            b64(b"[" * 2000) + ".e30.e30",
            {},
            "a JOSE header that is base64url-encoded JSON",
            id="deep-header",
        ),
        pytest.param("e30x.e30.e30", {}, "a JOSE header that is base64url-encoded JSON", id="b64"),
        pytest.param(b64(b'"s"') + ".e30.e30", {}, "a JOSE header that is a JSON object", id="str"),
        pytest.param(
            "e30.e30.e30", {"bearer": True}, "the Bearer authentication scheme", id="bearer"
        ),
        pytest.param(
            "e30==.e30.e30",
            {"profile": "aws-alb"},
            "a JOSE header that is base64url-encoded JSON",
            id="pad",
        ),
    ],
)
def test_refused(value: object, options: dict[str, object], expected: str) -> None:
    assert refused(value, **options)[1] == expected


@pytest.mark.parametrize("crit", [["exp"], ["b64"], [], "x"])
def test_critical_extensions_are_refused(crit: object) -> None:
    """RFC 7515 makes a recipient refuse a ``crit`` it does not understand; none is used
    by the proxies, so every one is refused (PyJWT before 2.12 did not check)."""
    token = unsigned({"alg": "ES256", "crit": crit, "b64": False}, {}, b"s")
    assert refused(token) == ("assertion_malformed", "a token without critical header extensions")
