"""Tests of remote_identity.assertions.options: the checks behind every constructor option."""

from __future__ import annotations

import pytest

from remote_identity import ConfigurationError
from remote_identity.assertions.options import (
    SUPPORTED_ALGORITHMS,
    check_algorithms,
    check_audience,
    check_header,
    check_names,
    check_number,
)


def test_algorithms_are_deduplicated_in_order() -> None:
    assert check_algorithms(["RS256", "ES256", "RS256"]) == ("RS256", "ES256")
    assert check_algorithms(list(SUPPORTED_ALGORITHMS)) == SUPPORTED_ALGORITHMS


@pytest.mark.parametrize("name", ["none", "NONE", "HS256", "HS384", "HS512", "hs256"])
def test_algorithms_never_allow_forgeable_ones(name: str) -> None:
    with pytest.raises(ConfigurationError):
        check_algorithms(["ES256", name])


def test_audience_forms() -> None:
    assert check_audience("a") == ("a",)
    assert check_audience(("a", "b")) == ("a", "b")
    with pytest.raises(ConfigurationError, match="arn must be a list of strings"):
        check_audience({"a"}, "arn")


def test_names() -> None:
    assert check_names("x", [], allow_empty=True) == ()
    with pytest.raises(ConfigurationError, match="x must not be empty"):
        check_names("x", [], allow_empty=False)


@pytest.mark.parametrize(
    ("value", "options", "ok"),
    [
        pytest.param(5, {"minimum": 0}, True, id="int"),
        pytest.param(0.5, {"minimum": 0}, True, id="float"),
        pytest.param(0.5, {"minimum": 0, "integer": True}, False, id="float-for-int"),
        pytest.param(11, {"minimum": 0, "maximum": 10}, False, id="above"),
        pytest.param(float("inf"), {"minimum": 0}, False, id="inf"),
        pytest.param(False, {"minimum": 0}, False, id="bool"),
    ],
)
def test_number(value: object, options: dict[str, object], ok: bool) -> None:
    if ok:
        assert check_number("n", value, **options) == value  # type: ignore[arg-type]
    else:
        with pytest.raises(ConfigurationError, match=r"^n must be"):
            check_number("n", value, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "header", ["Authorization", "X-Pomerium-Jwt-Assertion", "x-amzn-oidc-data"]
)
def test_header(header: str) -> None:
    assert check_header(header) == header


@pytest.mark.parametrize("header", ["X_Token", "X Token", "X-Token:", "é"])
def test_header_refused(header: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid header name"):
        check_header(header)
