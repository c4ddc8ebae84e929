"""Tests of remote_identity.fields: decoded text -> identity fields, one rule set for the
values of headers and for the claims of signed assertions."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote_identity import Identity, IdentityError, ParsingPolicy
from remote_identity.fields import (
    ParseResult,
    clean_email,
    clean_groups,
    clean_name,
    clean_username,
    email_field,
    identity_from_claims,
)
from remote_identity.parsing import parse_headers
from remote_identity.policy import DEFAULT_POLICY

LABELS = {
    "username": "X-Assertion claim 'sub'",
    "name": "X-Assertion claim 'name'",
    "email": "X-Assertion claim 'email'",
    "groups": "X-Assertion claim 'groups'",
}
REJECT_EMAIL = ParsingPolicy(invalid_email="reject")


def reason(function, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(IdentityError) as info:
        function(*args)
    return info.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("alice", "alice", id="ascii"),
        pytest.param("jörn", "jörn", id="composed"),
        pytest.param("jo\u0308rn", "jörn", id="nfc-composes"),
        pytest.param("alice@example.com", "alice@example.com", id="address-as-name"),
    ],
)
def test_clean_username(text: str, expected: str) -> None:
    assert clean_username(text, "X", DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A claim is not trimmed: " alice" would otherwise become the account "alice".
        pytest.param(" alice", "edge_whitespace", id="leading-space"),
        pytest.param("alice\t", "edge_whitespace", id="trailing-tab"),
        pytest.param("alice\u00a0", "edge_whitespace", id="trailing-nbsp"),
        pytest.param("ad\x00min", "control_character", id="nul"),
        pytest.param("admin\u200b", "control_character", id="zero-width-space"),
        pytest.param("\u202enimda", "control_character", id="bidi-override"),
        pytest.param("ad\u3164min", "invisible_character", id="hangul-filler"),
        pytest.param("\u212aevin", "equivalent_character", id="kelvin-sign"),
        pytest.param("\u1d2cdmin", "compatibility_character", id="modifier-letter"),
        pytest.param("ａｄｍｉｎ", "compatibility_character", id="full-width"),
        pytest.param("admin,bob", "multiple_values", id="comma"),
        pytest.param("a" * 151, "too_long", id="too-long"),
    ],
)
def test_clean_username_refuses(text: str, expected: str) -> None:
    assert reason(clean_username, text, "X", DEFAULT_POLICY) == expected


def test_username_case_lower_composes_the_final_value() -> None:
    policy = ParsingPolicy(username_case="lower")
    assert clean_username("W\u030a", "X", policy) == "\u1e98"  # "ẘ"
    assert clean_username("ALICE", "X", policy) == "alice"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(" Jörn Müller\t", "Jörn Müller", id="trimmed"),
        pytest.param("Jo\u0308rn", "Jörn", id="nfc"),
        pytest.param("", "", id="empty"),
        pytest.param("Anna\u200dMaria", "Anna\u200dMaria", id="zero-width-joiner-kept"),
    ],
)
def test_clean_name(text: str, expected: str) -> None:
    assert clean_name(text, "X", DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Eve\nAdmin", "control_character", id="newline"),
        pytest.param("\u202eEve", "control_character", id="bidi"),
        pytest.param("n" * 256, "too_long", id="too-long"),
    ],
)
def test_clean_name_refuses(text: str, expected: str) -> None:
    assert reason(clean_name, text, "X", DEFAULT_POLICY) == expected


def test_clean_email() -> None:
    assert clean_email("Alice@Example.COM", "X", DEFAULT_POLICY) == "Alice@example.com"
    assert clean_email("jörn@bücher.example", "X", DEFAULT_POLICY) == "jörn@bücher.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("alice", "invalid_email", id="no-at"),
        pytest.param("a b@example.com", "invalid_email", id="space-in-local"),
        pytest.param("alice@-example.com", "invalid_email", id="bad-label"),
        pytest.param(" alice@example.com", "edge_whitespace", id="leading-space"),
        pytest.param("alice\u200b@example.com", "control_character", id="zero-width"),
        pytest.param("a" * 250 + "@example.com", "too_long", id="too-long"),
    ],
)
def test_clean_email_refuses(text: str, expected: str) -> None:
    assert reason(clean_email, text, "X", DEFAULT_POLICY) == expected


@pytest.mark.parametrize(
    ("text", "result", "dropped"),
    [
        pytest.param("alice@example.com", "alice@example.com", [], id="valid"),
        pytest.param("not-an-address", None, ["invalid_email"], id="dropped"),
        pytest.param("a" * 250 + "@example.com", None, ["too_long"], id="too-long-dropped"),
    ],
)
def test_email_field_drops_a_malformed_address(
    text: str, result: str | None, dropped: list[str]
) -> None:
    email, errors = email_field(text, "X", DEFAULT_POLICY)
    assert (email, [error.reason for error in errors]) == (result, dropped)


@pytest.mark.parametrize(
    ("text", "policy", "expected"),
    [
        pytest.param("not-an-address", REJECT_EMAIL, "invalid_email", id="rejected-by-policy"),
        pytest.param(
            "a\u200b@example.com", DEFAULT_POLICY, "control_character", id="never-dropped"
        ),
    ],
)
def test_email_field_refuses(text: str, policy: ParsingPolicy, expected: str) -> None:
    assert reason(email_field, text, "X", policy) == expected


def test_clean_groups() -> None:
    parts = ["admins", "", "Ünïcode Group", "admins", "a,b"]
    assert clean_groups(parts, "X", DEFAULT_POLICY) == ("admins", "Ünïcode Group", "a,b")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param([" admins"], "edge_whitespace", id="edge"),
        pytest.param(["admins\u200b"], "control_character", id="zero-width"),
        pytest.param(["g" * 151], "too_long", id="too-long"),
        pytest.param([f"g{i}" for i in range(1001)], "too_many_groups", id="too-many"),
    ],
)
def test_clean_groups_refuses(parts: list[str], expected: str) -> None:
    assert reason(clean_groups, parts, "X", DEFAULT_POLICY) == expected


def test_identity_from_claims() -> None:
    result = identity_from_claims(
        "alice",
        "Alice",
        "alice@example.com",
        ("admins", "staff"),
        labels=LABELS,
        policy=DEFAULT_POLICY,
    )
    assert result == ParseResult(
        Identity("alice", "Alice", "alice@example.com", ("admins", "staff"))
    )


@pytest.mark.parametrize(
    ("email", "expected"),
    [pytest.param("", None, id="empty"), pytest.param(None, None, id="absent")],
)
def test_identity_from_claims_without_an_address(email: str | None, expected: None) -> None:
    result = identity_from_claims("alice", None, email, (), labels=LABELS, policy=DEFAULT_POLICY)
    assert result == ParseResult(Identity("alice", None, expected, ()))


def test_identity_from_claims_drops_a_malformed_address() -> None:
    identity, dropped = identity_from_claims(
        "alice", None, "nope", (), labels=LABELS, policy=DEFAULT_POLICY
    )
    assert identity == Identity("alice")
    assert [(e.reason, e.header) for e in dropped] == [("invalid_email", LABELS["email"])]


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        pytest.param(("ad\u200bmin", None, None, ()), "username", id="username"),
        pytest.param(("alice", "Eve\nAdmin", None, ()), "name", id="name"),
        pytest.param(("alice", None, "a\u200b@example.com", ()), "email", id="email"),
        pytest.param(("alice", None, None, ("admins\u200b",)), "groups", id="groups"),
    ],
)
def test_identity_from_claims_names_the_claim_at_fault(
    fields: tuple[str, str | None, str | None, tuple[str, ...]], label: str
) -> None:
    with pytest.raises(IdentityError) as info:
        identity_from_claims(*fields, labels=LABELS, policy=DEFAULT_POLICY)
    assert (info.value.reason, info.value.header) == ("control_character", LABELS[label])


# --- one rule set: the same values give the same identity, or the same refusal ------

# Any character but surrogates (not UTF-8), with no white space at either end (a header
# loses it, a claim is refused for it) and not Caddy's placeholder form.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12).filter(
    lambda text: text.strip(" \t") == text and not text.startswith("{http.")
)
GROUP = TEXT.filter(lambda text: "," not in text)


def wire(text: str) -> str:
    """A header value as a WSGI server hands it over: UTF-8 bytes as latin-1 text."""
    return text.encode("utf-8").decode("latin-1")


def outcome(function, *args, **kwargs) -> object:  # type: ignore[no-untyped-def]
    try:
        return function(*args, **kwargs)
    except IdentityError as error:
        return error.reason


@settings(max_examples=300, deadline=None)
@given(
    username=TEXT,
    name=st.none() | TEXT,
    email=st.none() | TEXT,
    groups=st.lists(GROUP, max_size=4),
)
def test_headers_and_claims_follow_the_same_rules(
    username: str, name: str | None, email: str | None, groups: list[str]
) -> None:
    environ = {"HTTP_REMOTE_USER": wire(username), "HTTP_REMOTE_GROUPS": wire(",".join(groups))}
    if name is not None:
        environ["HTTP_REMOTE_NAME"] = wire(name)
    if email is not None:
        environ["HTTP_REMOTE_EMAIL"] = wire(email)
    from_headers = outcome(parse_headers, environ)
    from_claims = outcome(
        identity_from_claims,
        username,
        name,
        email,
        groups,
        labels=LABELS,
        policy=DEFAULT_POLICY,
    )
    if isinstance(from_headers, ParseResult) and isinstance(from_claims, ParseResult):
        assert from_headers.identity == from_claims.identity
        assert [e.reason for e in from_headers.dropped] == [e.reason for e in from_claims.dropped]
    else:
        assert from_headers == from_claims


def test_limits_apply_to_the_stored_value() -> None:
    """A decomposed value that NFC composes to the limit fits; one beyond it does not."""
    policy = ParsingPolicy(max_email_length=3, max_group_length=1)
    assert clean_email("a\u0301@0", "X", policy) == "\u00e1@0"  # 4 code points, 3 stored
    assert clean_groups(["a\u0301"], "X", policy) == ("\u00e1",)
    assert reason(clean_email, "ab\u0301@0", "X", policy) == "too_long"
    assert reason(clean_groups, ["ab"], "X", policy) == "too_long"


def test_the_longest_composition_fits_at_the_limit() -> None:
    """Four code points compose into one (U+1FAF): a value of four times the limit that
    composes to the limit passes the early bound and is stored at the limit."""
    omega = unicodedata.normalize("NFD", "\u1faf")
    assert len(omega) == 4
    policy = ParsingPolicy(max_group_length=3)
    assert clean_groups([omega * 3], "X", policy) == ("\u1faf" * 3,)
    assert reason(clean_groups, [omega * 3 + "a"], "X", policy) == "too_long"


def test_a_value_far_beyond_the_limit_is_refused_before_the_character_rules() -> None:
    policy = ParsingPolicy(max_email_length=10, max_group_length=10)
    far = "\u200b" * 41  # would be a control_character, but it is refused for its length
    assert reason(clean_email, far + "@x", "X", policy) == "too_long"
    assert reason(clean_groups, [far], "X", policy) == "too_long"
