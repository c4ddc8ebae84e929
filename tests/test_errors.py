"""Tests of remote_identity.errors: the exception hierarchy and the reason codes."""

from __future__ import annotations

import copy
import pickle

import pytest

import remote_identity
from remote_identity.errors import (
    CONFIGURATION_REASONS,
    REASONS,
    ConfigurationError,
    IdentityError,
    InvalidAssertion,
    RemoteIdentityError,
)

# The reason codes are a public contract (logs, 400 bodies, `explain`): adding one is a
# feature, renaming or removing one is a breaking change. This list must be edited on purpose.
STABLE_REASONS = [
    "not_utf8",
    "control_character",
    "multiple_values",
    "too_long",
    "too_many_groups",
    "compatibility_character",
    "invalid_email",
    "missing_prefix",
    "untrusted_peer",
    "bad_secret",
    "edge_whitespace",
    "equivalent_character",
    "invisible_character",
    "ambiguous_peer",
    "assertion_malformed",
    "assertion_signature",
    "assertion_expired",
    "assertion_not_yet_valid",
    "assertion_audience",
    "assertion_issuer",
    "assertion_algorithm",
    "assertion_unknown_key",
    "assertion_claims",
    "assertion_keys_unavailable",
]

# ConfigurationError.reason codes: the Django checks map them to their ids.
STABLE_CONFIGURATION_REASONS = [
    "not_a_list",
    "not_a_string",
    "malformed",
    "zone_id",
    "trusts_everyone",
    "too_wide",
    "unknown_scheme",
    "not_a_policy",
    "not_a_choice",
    "not_a_positive_integer",
    "not_a_bool",
    "unpaired",
    "too_short",
    "whitespace",
    "bad_header_name",
    "bad_scheme",
]


def test_reason_codes_are_stable() -> None:
    assert list(REASONS) == STABLE_REASONS
    assert list(CONFIGURATION_REASONS) == STABLE_CONFIGURATION_REASONS
    assert all(text.strip() for text in CONFIGURATION_REASONS.values())


def test_configuration_error_carries_option_and_reason() -> None:
    error = ConfigurationError("bad", option="shared_secret", reason="too_short")
    assert (str(error), error.option, error.reason) == ("bad", "shared_secret", "too_short")
    plain = ConfigurationError("message only")
    assert (str(plain), plain.option, plain.reason, plain.args) == (
        "message only",
        None,
        None,
        ("message only",),
    )


def test_configuration_error_refuses_an_unknown_reason() -> None:
    with pytest.raises(ValueError, match="unknown ConfigurationError reason 'made_up'") as info:
        ConfigurationError("bad", option="scheme", reason="made_up")
    assert not isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ConfigurationError("m", option="scheme", reason="unknown_scheme"), id="full"),
        pytest.param(ConfigurationError("m"), id="message-only"),
    ],
)
def test_configuration_error_pickle_and_copy(error: ConfigurationError) -> None:
    clones = [copy.copy(error), copy.deepcopy(error)]
    clones += [
        pickle.loads(pickle.dumps(error, protocol=protocol))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
    ]
    for clone in clones:
        assert type(clone) is ConfigurationError
        assert (str(clone), clone.option, clone.reason) == (str(error), error.option, error.reason)


@pytest.mark.parametrize("reason", STABLE_REASONS)
def test_every_reason_has_a_description(reason: str) -> None:
    assert isinstance(REASONS[reason], str)
    assert REASONS[reason].strip()


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        pytest.param(IdentityError, (RemoteIdentityError, ValueError), id="identity-error"),
        pytest.param(ConfigurationError, (RemoteIdentityError, ValueError), id="config-error"),
        pytest.param(RemoteIdentityError, (Exception,), id="base"),
    ],
)
def test_hierarchy(cls: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    assert all(issubclass(cls, base) for base in bases)


def test_configuration_error_is_not_an_identity_error() -> None:
    assert not issubclass(ConfigurationError, IdentityError)
    assert not issubclass(IdentityError, ConfigurationError)


def test_identity_error_attributes_and_message() -> None:
    error = IdentityError("too_long", "Remote-User", "at most 150 characters, got 151")
    assert error.reason == "too_long"
    assert error.header == "Remote-User"
    assert error.expected == "at most 150 characters, got 151"
    assert str(error) == (
        "Remote-User: the value is longer than the configured maximum (too_long); "
        "expected at most 150 characters, got 151"
    )
    assert error.args == (str(error),)


def test_identity_error_is_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="control_character"):
        raise IdentityError("control_character", "Remote-Name", "printable characters only")


def test_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown IdentityError reason 'made_up'") as info:
        IdentityError("made_up", "Remote-User", "anything")
    assert not isinstance(info.value, IdentityError)


@pytest.mark.parametrize("reason", STABLE_REASONS)
def test_pickle_round_trip(reason: str) -> None:
    error = IdentityError(reason, "Remote-Groups", "something sensible")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        clone = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(clone) is IdentityError
        assert (clone.reason, clone.header, clone.expected) == (
            reason,
            "Remote-Groups",
            "something sensible",
        )
        assert str(clone) == str(error)


def test_copy_round_trip() -> None:
    error = IdentityError("not_utf8", "Remote-Name", "UTF-8 encoded text")
    for clone in (copy.copy(error), copy.deepcopy(error)):
        assert clone is not error
        assert (clone.reason, clone.header, str(clone)) == ("not_utf8", "Remote-Name", str(error))


def test_pickle_keeps_a_subclass() -> None:
    clone = pickle.loads(pickle.dumps(_SubclassedError("bad_secret", "X-Secret", "the secret")))
    assert type(clone) is _SubclassedError
    assert clone.reason == "bad_secret"


class _SubclassedError(IdentityError):
    pass


def test_package_re_exports() -> None:
    assert remote_identity.IdentityError is IdentityError
    assert remote_identity.ConfigurationError is ConfigurationError
    assert remote_identity.RemoteIdentityError is RemoteIdentityError
    assert remote_identity.REASONS is REASONS
    assert remote_identity.CONFIGURATION_REASONS is CONFIGURATION_REASONS
    assert all(getattr(remote_identity, name) is not None for name in remote_identity.__all__)
    assert len(set(remote_identity.__all__)) == len(remote_identity.__all__)


def test_invalid_assertion() -> None:
    error = InvalidAssertion("assertion_expired", "X-Pomerium-Jwt-Assertion", "a fresh token")
    assert isinstance(error, IdentityError)
    assert str(error) == (
        "X-Pomerium-Jwt-Assertion: the signed assertion has expired (assertion_expired); "
        "expected a fresh token"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is InvalidAssertion
    assert (clone.reason, clone.header, clone.expected) == (
        "assertion_expired",
        "X-Pomerium-Jwt-Assertion",
        "a fresh token",
    )


@pytest.mark.parametrize("reason", ["too_long", "bad_secret"])
def test_invalid_assertion_takes_assertion_reasons_only(reason: str) -> None:
    with pytest.raises(ValueError, match=f"{reason!r} is not an assertion reason"):
        InvalidAssertion(reason, "X-Token", "anything")
