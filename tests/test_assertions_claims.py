"""Tests of remote_identity.assertions.claims: the claim map and the claims' JSON types."""

from __future__ import annotations

from typing import Any

import pytest

from remote_identity import ConfigurationError
from remote_identity.assertions import InvalidAssertion
from remote_identity.assertions.claims import DEFAULT_CLAIMS, claim_map, read_fields


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(None, dict(DEFAULT_CLAIMS), id="default"),
        pytest.param({}, dict(DEFAULT_CLAIMS), id="empty"),
        pytest.param(
            {"username": "email", "groups": None},
            {"username": "email", "email": "email", "name": "name"},
            id="override-and-remove",
        ),
        pytest.param(
            {"name": None, "email": None, "groups": None}, {"username": "sub"}, id="username-only"
        ),
    ],
)
def test_claim_map(given: Any, expected: dict[str, str]) -> None:
    assert dict(claim_map(given)) == expected


def test_claim_map_is_read_only() -> None:
    with pytest.raises(TypeError):
        claim_map({"username": "email"})["username"] = "sub"  # type: ignore[index]


@pytest.mark.parametrize(
    "given",
    [{"username": None}, {"uid": "sub"}, {"email": 5}, {"email": ""}, "sub", ["sub"]],
)
def test_claim_map_refuses(given: Any) -> None:
    with pytest.raises(ConfigurationError):
        claim_map(given)


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        pytest.param({"sub": "a"}, ("a", None, None, ()), id="username-only"),
        pytest.param(
            {"sub": "a", "name": "A", "email": "a@x", "groups": ["g", "h"]},
            ("a", "A", "a@x", ("g", "h")),
            id="all",
        ),
        pytest.param(
            {"sub": "a", "name": None, "email": None, "groups": None},
            ("a", None, None, ()),
            id="nulls",
        ),
        pytest.param({"sub": "a", "name": "", "groups": []}, ("a", "", None, ()), id="empties"),
        pytest.param({"sub": " a\u202e "}, (" a\u202e ", None, None, ()), id="not-normalized"),
    ],
)
def test_read_fields(payload: dict[str, Any], fields: tuple[Any, ...]) -> None:
    assert read_fields(payload, DEFAULT_CLAIMS, "X-T") == fields


def test_unmapped_fields_are_not_read() -> None:
    names = claim_map({"name": None, "groups": None})
    assert read_fields({"sub": "a", "name": 5, "groups": 5}, names, "X-T") == ("a", None, None, ())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param({}, "a 'sub' claim that is a non-blank string", id="missing"),
        pytest.param({"sub": 1}, "a 'sub' claim that is a non-blank string", id="int"),
        pytest.param({"sub": "\t"}, "a 'sub' claim that is a non-blank string", id="blank"),
        pytest.param({"sub": "a", "name": {}}, "a 'name' claim that is a string", id="name"),
        pytest.param({"sub": "a", "email": True}, "a 'email' claim that is a string", id="email"),
        pytest.param(
            {"sub": "a", "groups": "g"}, "a 'groups' claim that is a list of strings", id="g"
        ),
        pytest.param(
            {"sub": "a", "groups": [["g"]]},
            "a 'groups' claim that is a list of strings",
            id="nested",
        ),
    ],
)
def test_read_fields_refuses(payload: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidAssertion) as info:
        read_fields(payload, DEFAULT_CLAIMS, "X-T")
    assert (info.value.reason, info.value.header, info.value.expected) == (
        "assertion_claims",
        "X-T",
        expected,
    )
