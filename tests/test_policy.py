"""Tests of remote_identity.policy: ``ParsingPolicy`` and its validation."""

from __future__ import annotations

from typing import Any

import pytest

from remote_identity import DEFAULT_POLICY, ConfigurationError, ParsingPolicy


def test_default_policy() -> None:
    expected = ParsingPolicy(
        max_username_length=150,
        max_name_length=255,
        max_email_length=254,
        max_group_length=150,
        max_groups=1000,
        username_case="preserve",
        allow_compatibility_characters=False,
        invalid_email="drop",
    )
    assert expected == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("kwargs", "message", "option", "reason"),
    [
        pytest.param(
            {"max_username_length": 0},
            "max_username_length must be a positive",
            "max_username_length",
            "not_a_positive_integer",
            id="zero",
        ),
        pytest.param(
            {"max_name_length": -1},
            "max_name_length must be a positive",
            "max_name_length",
            "not_a_positive_integer",
            id="negative",
        ),
        pytest.param(
            {"max_email_length": 1.5},
            "max_email_length .* not 1.5",
            "max_email_length",
            "not_a_positive_integer",
            id="float",
        ),
        pytest.param(
            {"max_group_length": "150"},
            "max_group_length .* not '150'",
            "max_group_length",
            "not_a_positive_integer",
            id="string",
        ),
        pytest.param(
            {"max_groups": True},
            "max_groups must be a positive integer, not True",
            "max_groups",
            "not_a_positive_integer",
            id="bool",
        ),
        pytest.param(
            {"username_case": "upper"},
            "username_case must be 'preserve' or 'lower'",
            "username_case",
            "not_a_choice",
            id="case",
        ),
        pytest.param(
            {"invalid_email": "ignore"},
            "invalid_email must be 'drop' or 'reject'",
            "invalid_email",
            "not_a_choice",
            id="email",
        ),
        pytest.param(
            {"allow_compatibility_characters": 1},
            "allow_compatibility_characters",
            "allow_compatibility_characters",
            "not_a_bool",
            id="compat",
        ),
    ],
)
def test_policy_validation(kwargs: dict[str, Any], message: str, option: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        ParsingPolicy(**kwargs)
    assert (info.value.option, info.value.reason) == (option, reason)


@pytest.mark.parametrize(
    ("case", "name", "expected"),
    [
        pytest.param("preserve", "Alice@example.com", "Alice@example.com", id="preserve"),
        pytest.param("lower", "Alice@example.com", "alice@example.com", id="lower"),
        pytest.param("lower", "STRAẞE", "straße", id="str-lower-not-casefold"),
        pytest.param("lower", "W\u030a", "\u1e98", id="nfc-after-lowering"),
        pytest.param("lower", "İ", "i\u0307", id="lengthens"),
    ],
)
def test_apply_username_case(case: Any, name: str, expected: str) -> None:
    assert ParsingPolicy(username_case=case).apply_username_case(name) == expected
