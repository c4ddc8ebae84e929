"""Property-based tests: every parser, for arbitrary header bytes.

Header values arrive as PEP 3333 "bytes-as-str" (each character one byte, latin-1). For
any such value a parser returns a value whose invariants hold, or raises ``IdentityError``
with a known reason code. Any other exception is a bug.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import ipaddress
import json
import logging
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote_identity import (
    PRESETS,
    REASONS,
    Identity,
    IdentityError,
    IdentityGate,
    ParsingPolicy,
    TrustedProxies,
    parse_identity,
)
from remote_identity.cli import build_environ, main
from remote_identity.parsing import (
    decode_header_value,
    parse_email,
    parse_groups,
    parse_name,
    parse_username,
)

PROPERTY = settings(max_examples=300, deadline=None)

USERNAME_FORBIDDEN = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"}
TEXT_FORBIDDEN = {"Cc", "Zl", "Zp", "Cs"}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
EMAIL_LOCAL_FORBIDDEN = set(' \t()<>[]\\,;:"@')

# Characters that exercise the rules: separators, controls, look-alikes, case changers,
# blanks and the characters NFC replaces (Kelvin, Ohm, Angstrom signs).
TRICKY = (
    "aZz09 .-_@,|;:\t\x00\x1c\x1f\x7f\x85\xa0\xad"
    "ÅåİıßẞᴬＡｆﬁΩΩϴ\u0301\u0307\u0308\u0323\u200b\u200d\u202e\u2066\u2028\ufeff\ue000"
    "\u212a\u212b\u2126\u034f\u115f\u3164\u2800\u3000\ufe0f\uffa0"
    "渡辺🦊אب"
)


# Characters of acceptable names, some of which change length or form when normalized.
PLAIN = "abcXYZ019 ._-@ÅåİıßẞΩΩ渡辺"


def wire(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


# Arbitrary bytes, arbitrary valid UTF-8, valid UTF-8 made of tricky characters, and
# mostly acceptable values (so that the invariants of accepted values get exercised).
header_values = st.one_of(
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.text(max_size=60).map(wire),
    st.text(alphabet=TRICKY, max_size=60).map(wire),
    st.text(alphabet=PLAIN, max_size=20).map(wire),
)
email_values = st.one_of(
    header_values,
    st.tuples(
        st.text(alphabet=TRICKY, min_size=1, max_size=12),
        st.text(alphabet="abcXYZ-.İÜü0", min_size=1, max_size=20),
    ).map(lambda parts: wire(f"{parts[0]}@{parts[1]}")),
)
group_values = st.one_of(
    header_values,
    st.lists(st.text(alphabet=TRICKY, max_size=8), max_size=12).map(lambda g: wire(",".join(g))),
)
policies = st.builds(
    ParsingPolicy,
    max_username_length=st.integers(1, 40),
    max_name_length=st.integers(1, 40),
    max_email_length=st.integers(1, 60),
    max_group_length=st.integers(1, 10),
    max_groups=st.integers(1, 8),
    username_case=st.sampled_from(["preserve", "lower"]),
    allow_compatibility_characters=st.booleans(),
    invalid_email=st.sampled_from(["drop", "reject"]),
)
any_policy = st.one_of(st.just(ParsingPolicy()), policies)


def attempt(function: Callable[..., Any], *args: Any) -> tuple[Any, IdentityError | None]:
    """``(function(*args), None)``, or ``(None, error)`` if it raised ``IdentityError``.

    Any other exception propagates and fails the test.
    """
    try:
        return function(*args), None
    except IdentityError as error:
        return None, error


def check_error(error: IdentityError, header: str) -> None:
    assert error.reason in REASONS
    assert error.reason not in ("untrusted_peer", "bad_secret")  # gate reasons, not parsing
    assert error.header == header


def check_text(text: str, limit: int, forbidden: set[str]) -> None:
    assert isinstance(text, str)
    assert unicodedata.is_normalized("NFC", text)
    assert text == text.strip(" \t")
    assert len(text) <= limit
    assert not any(unicodedata.category(c) in forbidden or c in BIDI for c in text)


def check_identifier(text: str, limit: int, policy: ParsingPolicy) -> None:
    """The rules of remote_identity.names, restated: one name, one account."""
    check_text(text, limit, USERNAME_FORBIDDEN)
    assert text
    assert not text[0].isspace()
    assert not text[-1].isspace()
    for char in text:
        assert not (char != " " and unicodedata.category(char) == "Zs")
        assert unicodedata.is_normalized("NFC", char)
        assert not any(w in unicodedata.name(char, "") for w in ("FILLER", "BLANK", "SELECTOR"))
        if not policy.allow_compatibility_characters:
            assert unicodedata.is_normalized("NFKC", char)


def check_username(username: str, policy: ParsingPolicy) -> None:
    check_identifier(username, policy.max_username_length, policy)
    assert username
    assert "," not in username
    if not policy.allow_compatibility_characters:
        assert unicodedata.is_normalized("NFKC", username)
    if policy.username_case == "lower":
        assert username == username.lower()


def check_email(email: str, policy: ParsingPolicy) -> None:
    check_identifier(email, policy.max_email_length, policy)
    local, at, domain = email.partition("@")
    assert at
    assert local
    assert "@" not in domain
    assert not set(local) & EMAIL_LOCAL_FORBIDDEN
    assert domain == domain.lower()
    assert 0 < len(domain.encode("idna")) <= 253


def check_groups(groups: tuple[str, ...], policy: ParsingPolicy) -> None:
    assert isinstance(groups, tuple)
    assert len(groups) <= policy.max_groups
    assert len(set(groups)) == len(groups)
    for group in groups:
        check_identifier(group, policy.max_group_length, policy)


@PROPERTY
@given(st.binary(max_size=80))
def test_decode_bytes(raw: bytes) -> None:
    try:
        expected = unicodedata.normalize("NFC", raw.decode("utf-8"))
    except UnicodeDecodeError:
        expected = None
    text, error = attempt(decode_header_value, raw.decode("latin-1"), "Remote-Name")
    if error is not None:
        check_error(error, "Remote-Name")
        assert error.reason == "not_utf8"
    assert text == expected


@PROPERTY
@given(st.text(max_size=60))
def test_decode_round_trip(text: str) -> None:
    assert decode_header_value(wire(text), "Remote-Name") == unicodedata.normalize("NFC", text)


@PROPERTY
@given(header_values, any_policy)
def test_parse_username(value: str, policy: ParsingPolicy) -> None:
    try:
        username = parse_username(value, "Remote-User", policy)
    except IdentityError as error:
        check_error(error, "Remote-User")
        return
    decoded = unicodedata.normalize("NFC", value.encode("latin-1").decode("utf-8")).strip(" \t")
    if username is None:
        assert decoded == ""
        return
    check_username(username, policy)
    # Nothing is silently changed beyond decoding, trimming and the case policy.
    assert username == (decoded.lower() if policy.username_case == "lower" else decoded)


@PROPERTY
@given(header_values, st.sampled_from(["preserve", "lower"]))
def test_username_limit_applies_to_the_stored_value(value: str, case: Any) -> None:
    try:
        unbounded = parse_username(
            value, policy=ParsingPolicy(max_username_length=10**6, username_case=case)
        )
    except IdentityError:
        return
    if unbounded is None:
        return
    exact = ParsingPolicy(max_username_length=len(unbounded), username_case=case)
    assert parse_username(value, policy=exact) == unbounded
    if len(unbounded) > 1:
        shorter = dataclasses.replace(exact, max_username_length=len(unbounded) - 1)
        with pytest.raises(IdentityError) as info:
            parse_username(value, policy=shorter)
        assert info.value.reason == "too_long"


@PROPERTY
@given(email_values)
def test_email_limit_applies_to_the_stored_value(value: str) -> None:
    try:
        unbounded = parse_email(value, policy=ParsingPolicy(max_email_length=10**6))
    except IdentityError:
        return
    if unbounded is None:
        return
    exact = ParsingPolicy(max_email_length=len(unbounded))
    assert parse_email(value, policy=exact) == unbounded
    shorter = ParsingPolicy(max_email_length=len(unbounded) - 1)
    with pytest.raises(IdentityError) as info:
        parse_email(value, policy=shorter)
    assert info.value.reason == "too_long"


@PROPERTY
@given(header_values, st.sampled_from(["accounts.google.com:", "x|"]))
def test_parse_username_with_prefix(value: str, prefix: str) -> None:
    try:
        username = parse_username(prefix + value, "X-User", prefix=prefix)
    except IdentityError as error:
        check_error(error, "X-User")
        return
    if username is not None:
        check_username(username, ParsingPolicy())
        assert not username.startswith(prefix) or value.strip(" \t").startswith(prefix)


@PROPERTY
@given(header_values, any_policy)
def test_parse_name(value: str, policy: ParsingPolicy) -> None:
    try:
        name = parse_name(value, "Remote-Name", policy)
    except IdentityError as error:
        check_error(error, "Remote-Name")
        return
    check_text(name, policy.max_name_length, TEXT_FORBIDDEN)


@PROPERTY
@given(email_values, any_policy)
def test_parse_email(value: str, policy: ParsingPolicy) -> None:
    try:
        email = parse_email(value, "Remote-Email", policy)
    except IdentityError as error:
        check_error(error, "Remote-Email")
        return
    if email is not None:
        check_email(email, policy)


@PROPERTY
@given(group_values, st.sampled_from([",", "|", ";;"]), any_policy)
def test_parse_groups(value: str, separator: str, policy: ParsingPolicy) -> None:
    try:
        groups = parse_groups(value, "Remote-Groups", separator, policy)
    except IdentityError as error:
        check_error(error, "Remote-Groups")
        return
    check_groups(groups, policy)
    assert not any(separator in group for group in groups)


@st.composite
def scheme_environs(draw: Any) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(PRESETS)))
    scheme = PRESETS[name]
    environ: dict[str, Any] = {}
    for header, key in zip(scheme.headers, scheme.environ_keys, strict=True):
        if header == scheme.email_header:
            value = draw(st.none() | email_values)
        elif header == scheme.groups_header:
            value = draw(st.none() | group_values)
        else:
            value = draw(st.none() | header_values | email_values.map(scheme.value_prefix.__add__))
        if value is not None:
            environ[key] = value
    return name, environ


@pytest.fixture
def _quiet_parsing_log() -> Iterator[None]:
    logger = logging.getLogger("remote_identity.parsing")
    disabled = logger.disabled
    logger.disabled = True  # dropped e-mails warn; thousands of records help nobody here
    yield
    logger.disabled = disabled


@PROPERTY
@given(scheme_environs(), any_policy)
@pytest.mark.usefixtures("_quiet_parsing_log")
def test_parse_identity(case: tuple[str, dict[str, Any]], policy: ParsingPolicy) -> None:
    name, environ = case
    scheme = PRESETS[name]
    identity, error = attempt(parse_identity, environ, name, policy)
    if error is not None:
        check_error(error, error.header)
        assert error.header in scheme.headers
        return
    if identity is None:
        return
    assert isinstance(identity, Identity)
    check_username(identity.username, policy)
    if identity.name is not None:
        check_text(identity.name, policy.max_name_length, TEXT_FORBIDDEN)
        assert scheme.name_header is not None
    if identity.email is not None:
        check_email(identity.email, policy)
    check_groups(identity.groups, policy)
    twin = Identity(identity.username, identity.name, identity.email, identity.groups)
    assert twin.fingerprint == identity.fingerprint
    assert len(identity.fingerprint) == 64


@PROPERTY
@given(
    st.one_of(st.none(), st.sampled_from(["10.0.0.1", "10.0.0.2", "", "/run/s", "::1"])),
    st.dictionaries(
        st.sampled_from([*PRESETS["authelia"].environ_keys, "HTTP_X_SECRET", "HTTP_X_OTHER"]),
        header_values,
    ),
    st.sampled_from(["strip", "reject"]),
    st.sampled_from(["reject", "anonymous"]),
    st.booleans(),
)
@pytest.mark.usefixtures("_quiet_parsing_log")
def test_gate_never_fails(
    peer: str | None,
    headers: dict[str, str],
    on_untrusted: Any,
    on_invalid: Any,
    with_secret: bool,
) -> None:
    secret: dict[str, Any] = {
        "shared_secret_header": "X-Secret",
        "shared_secret": "0123456789abcdef",
    }
    gate = IdentityGate(
        trusted_proxies=["10.0.0.1", "::1"],
        on_untrusted=on_untrusted,
        on_invalid=on_invalid,
        **(secret if with_secret else {}),
    )
    environ: dict[str, Any] = dict(headers)
    if peer is not None:
        environ["REMOTE_ADDR"] = peer
    security = logging.getLogger("remote_identity.security")
    disabled, security.disabled = security.disabled, True
    try:
        verdict = gate.process(environ)
    finally:
        security.disabled = disabled
    assert environ["remote_identity"] is verdict.identity
    assert (verdict.outcome == "identity") is (verdict.identity is not None)
    if verdict.identity is not None:
        assert verdict.trusted
    if not verdict.trusted or (verdict.outcome == "anonymous" and verdict.error is not None):
        assert not set(PRESETS["authelia"].environ_keys) & set(environ)
    if verdict.outcome == "rejected":
        assert verdict.error is not None
    if with_secret:
        assert "HTTP_X_SECRET" not in environ


@st.composite
def identities(draw: Any) -> Identity:
    text = st.text(alphabet=TRICKY, max_size=6)
    return Identity(
        draw(st.text(alphabet=TRICKY, min_size=1, max_size=6)),
        draw(st.none() | text),
        draw(st.none() | text),
        tuple(draw(st.lists(text, max_size=4))),
    )


@PROPERTY
@given(identities())
def test_fingerprint_depends_only_on_content(identity: Identity) -> None:
    copy = Identity(
        str(identity.username),
        identity.name,
        identity.email,
        identity.groups + identity.groups,  # duplicates are removed before hashing
    )
    assert copy.fingerprint == identity.fingerprint
    assert len(identity.fingerprint) == 64
    assert int(identity.fingerprint, 16) >= 0


@PROPERTY
@given(identities(), identities())
def test_different_content_different_fingerprint(first: Identity, second: Identity) -> None:
    content = (first.username, first.name, first.email, first.groups)
    other = (second.username, second.name, second.email, second.groups)
    assert (first.fingerprint == second.fingerprint) is (content == other)


@PROPERTY
@given(st.text(max_size=40))
def test_trust_decision_never_fails(peer: str) -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "2001:db8::/32", "unix"])
    assert proxies.is_trusted(peer) in (True, False)


@PROPERTY
@given(st.integers(0, 2**32 - 1))
def test_ipv4_mapped_peer_decided_like_ipv4(number: int) -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "192.0.2.1"])
    address = ipaddress.IPv4Address(number)
    mapped = f"::ffff:{address}"
    assert proxies.is_trusted(mapped) is proxies.is_trusted(str(address))
    assert proxies.is_trusted(str(address)) is (
        address in ipaddress.ip_network("10.0.0.0/8") or str(address) == "192.0.2.1"
    )


@PROPERTY
@given(
    st.lists(st.tuples(st.binary(min_size=1, max_size=20), st.binary(max_size=30)), max_size=6),
    st.sampled_from(["gunicorn", "waitress", "granian"]),
)
def test_build_environ_never_fails(headers: list[tuple[bytes, bytes]], server: str) -> None:
    environ, notes = build_environ(headers, "10.0.0.1", server)
    assert environ["REMOTE_ADDR"] == "10.0.0.1"
    assert all(isinstance(value, str) for value in environ.values())
    assert all(isinstance(note, str) for note in notes)


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@PROPERTY
@given(st.binary(max_size=200))
def test_explain_raw_never_fails(raw: bytes) -> None:
    logger = logging.getLogger("remote_identity")
    handlers, propagate = list(logger.handlers), logger.propagate
    out = io.StringIO()
    stdin = _Stdin(b"GET / HTTP/1.1\r\n" + raw)
    try:
        with contextlib.redirect_stdout(out), _replace_stdin(stdin):
            code = main(["explain", "--trusted", "127.0.0.1", "--raw", "--json"])
    finally:
        logger.handlers[:] = handlers
        logger.propagate = propagate
    report = json.loads(out.getvalue())
    assert code == {"identity": 0, "anonymous": 1, "rejected": 2}[report["outcome"]]
    assert report["trusted"] is True


@contextlib.contextmanager
def _replace_stdin(stdin: Any) -> Iterator[None]:
    import sys

    saved, sys.stdin = sys.stdin, stdin
    try:
        yield
    finally:
        sys.stdin = saved
