"""Tests of remote_identity.parsing: one table per rule, through the public functions."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import pytest

from remote_identity import (
    DEFAULT_POLICY,
    PRESETS,
    ConfigurationError,
    HeaderScheme,
    Identity,
    IdentityError,
    ParsingPolicy,
    parse_identity,
)
from remote_identity.parsing import (
    ParseResult,
    parse_email,
    parse_groups,
    parse_headers,
    parse_name,
    parse_username,
)


def wire(text: str) -> str:
    """``text`` as a PEP 3333 server hands it over: its UTF-8 bytes read as latin-1."""
    return text.encode("utf-8").decode("latin-1")


NFD_JORN = unicodedata.normalize("NFD", "Jörn")
LOWER = ParsingPolicy(username_case="lower")
COMPAT = ParsingPolicy(allow_compatibility_characters=True)
REJECT_EMAIL = ParsingPolicy(invalid_email="reject")


# --- username ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "policy", "expected"),
    [
        pytest.param("alice", DEFAULT_POLICY, "alice", id="plain"),
        pytest.param("  alice\t", DEFAULT_POLICY, "alice", id="trimmed"),
        pytest.param("", DEFAULT_POLICY, None, id="empty-is-nobody"),
        pytest.param("   ", DEFAULT_POLICY, None, id="blank-is-nobody"),
        pytest.param("Alice", DEFAULT_POLICY, "Alice", id="case-preserved"),
        pytest.param("Alice", LOWER, "alice", id="case-lowered"),
        pytest.param(wire("JÖRN"), LOWER, "jörn", id="non-ascii-lowered"),
        pytest.param(wire("Jörn"), DEFAULT_POLICY, "Jörn", id="utf8"),
        pytest.param(wire(NFD_JORN), DEFAULT_POLICY, "Jörn", id="nfd-to-nfc"),
        pytest.param("alice@example.com", DEFAULT_POLICY, "alice@example.com", id="email-like"),
        pytest.param("a lice", DEFAULT_POLICY, "a lice", id="inner-space"),
        pytest.param("x" * 150, DEFAULT_POLICY, "x" * 150, id="exactly-max"),
        pytest.param(wire("ᴬdmin"), COMPAT, "ᴬdmin", id="compatibility-allowed"),
        pytest.param(wire("ｆｕｌｌ"), COMPAT, "ｆｕｌｌ", id="full-width-allowed"),
        pytest.param(wire("渡辺"), DEFAULT_POLICY, "渡辺", id="cjk"),
    ],
)
def test_parse_username(value: str, policy: ParsingPolicy, expected: str | None) -> None:
    assert parse_username(value, "Remote-User", policy) == expected


@pytest.mark.parametrize(
    ("value", "policy", "reason"),
    [
        pytest.param("alice,bob", DEFAULT_POLICY, "multiple_values", id="comma"),
        pytest.param("alice, alice", DEFAULT_POLICY, "multiple_values", id="joined-duplicate"),
        pytest.param("alice,", DEFAULT_POLICY, "multiple_values", id="trailing-comma"),
        pytest.param("x" * 151, DEFAULT_POLICY, "too_long", id="max-plus-one"),
        pytest.param("x" * 11, ParsingPolicy(max_username_length=10), "too_long", id="custom-max"),
        pytest.param("al\x00ice", DEFAULT_POLICY, "control_character", id="nul"),
        pytest.param("al\rice", DEFAULT_POLICY, "control_character", id="carriage-return"),
        pytest.param("al\x7fice", DEFAULT_POLICY, "control_character", id="delete"),
        pytest.param("al\x1bice", DEFAULT_POLICY, "control_character", id="escape"),
        pytest.param(wire("nimda\u202e"), DEFAULT_POLICY, "control_character", id="bidi-override"),
        pytest.param(wire("\u2066admin"), DEFAULT_POLICY, "control_character", id="bidi-isolate"),
        pytest.param(wire("ad\u200bmin"), DEFAULT_POLICY, "control_character", id="zero-width"),
        pytest.param(wire("ad\ufeffmin"), DEFAULT_POLICY, "control_character", id="bom"),
        pytest.param(wire("ad\u2028min"), DEFAULT_POLICY, "control_character", id="line-sep"),
        pytest.param(wire("ad\ue000min"), DEFAULT_POLICY, "control_character", id="private-use"),
        pytest.param(wire("ad\x85min"), DEFAULT_POLICY, "control_character", id="c1-control"),
        pytest.param(wire("ᴬdmin"), DEFAULT_POLICY, "compatibility_character", id="nfkc"),
        pytest.param(wire("ｆｕｌｌ"), DEFAULT_POLICY, "compatibility_character", id="full-width"),
        pytest.param(wire("ﬁle"), DEFAULT_POLICY, "compatibility_character", id="ligature"),
        pytest.param(wire("a\u00a0b"), DEFAULT_POLICY, "invisible_character", id="nbsp"),
        pytest.param(wire("a\u00a0b"), COMPAT, "invisible_character", id="nbsp-compat-policy"),
        pytest.param("J\xf6rn", DEFAULT_POLICY, "not_utf8", id="latin-1"),
    ],
)
def test_parse_username_rejects(value: str, policy: ParsingPolicy, reason: str) -> None:
    with pytest.raises(IdentityError) as info:
        parse_username(value, "Remote-User", policy)
    assert info.value.reason == reason
    assert info.value.header == "Remote-User"


def test_username_length_is_in_characters_not_bytes() -> None:
    assert parse_username(wire("é" * 150)) == "é" * 150
    with pytest.raises(IdentityError, match="too_long"):
        parse_username(wire("é" * 151))


def test_username_length_checked_after_lower_casing() -> None:
    # "İ" (U+0130) lower-cases to two characters: the stored name must still fit.
    policy = ParsingPolicy(max_username_length=4, username_case="lower")
    assert parse_username(wire("İİ"), policy=policy) == "i̇i̇"
    with pytest.raises(IdentityError) as info:
        parse_username(wire("İİİ"), policy=policy)
    assert info.value.reason == "too_long"
    assert info.value.expected == "at most 4 characters, got 6"
    assert parse_username(wire("İİİ"), policy=ParsingPolicy(max_username_length=4)) == "İİİ"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("accounts.google.com:alice@example.com", "alice@example.com", id="stripped"),
        pytest.param("accounts.google.com: alice ", "alice", id="stripped-trimmed"),
        pytest.param("accounts.google.com:", None, id="prefix-only"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_username_prefix(value: str, expected: str | None) -> None:
    assert parse_username(value, "X-Goog", prefix="accounts.google.com:") == expected


def test_parse_username_missing_prefix() -> None:
    with pytest.raises(IdentityError) as info:
        parse_username("alice@example.com", "X-Goog", prefix="accounts.google.com:")
    assert info.value.reason == "missing_prefix"
    assert "'accounts.google.com:'" in info.value.expected


# --- name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Alice Example", "Alice Example", id="plain"),
        pytest.param(" Alice ", "Alice", id="trimmed"),
        pytest.param("", "", id="empty"),
        pytest.param("   ", "", id="blank"),
        pytest.param(wire("Jörn Müller"), "Jörn Müller", id="utf8"),
        pytest.param(wire(NFD_JORN), "Jörn", id="nfd-to-nfc"),
        pytest.param("Doe, Jane", "Doe, Jane", id="comma-allowed"),
        pytest.param(wire("ᴬlice"), "ᴬlice", id="compatibility-allowed"),
        pytest.param(wire("क्\u200dष"), "क्\u200dष", id="zero-width-joiner-allowed"),
        pytest.param("n" * 255, "n" * 255, id="exactly-max"),
    ],
)
def test_parse_name(value: str, expected: str) -> None:
    assert parse_name(value) == expected


@pytest.mark.parametrize(
    ("value", "policy", "reason"),
    [
        pytest.param("n" * 256, DEFAULT_POLICY, "too_long", id="max-plus-one"),
        pytest.param("n" * 6, ParsingPolicy(max_name_length=5), "too_long", id="custom-max"),
        pytest.param("Al\nice", DEFAULT_POLICY, "control_character", id="newline"),
        pytest.param("Al\x00ice", DEFAULT_POLICY, "control_character", id="nul"),
        pytest.param(wire("Al\u202eice"), DEFAULT_POLICY, "control_character", id="bidi"),
        pytest.param(wire("Al\u2029ice"), DEFAULT_POLICY, "control_character", id="para-sep"),
        pytest.param(wire("Al\x9bice"), DEFAULT_POLICY, "control_character", id="c1-csi"),
        pytest.param("J\xf6rn", DEFAULT_POLICY, "not_utf8", id="latin-1"),
    ],
)
def test_parse_name_rejects(value: str, policy: ParsingPolicy, reason: str) -> None:
    with pytest.raises(IdentityError) as info:
        parse_name(value, "Remote-Name", policy)
    assert (info.value.reason, info.value.header) == (reason, "Remote-Name")


# --- email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("alice@example.com", "alice@example.com", id="plain"),
        pytest.param(" alice@example.com ", "alice@example.com", id="trimmed"),
        pytest.param("Alice@EXAMPLE.COM", "Alice@example.com", id="domain-lowered-local-kept"),
        pytest.param("alice+tag@mail.example.com", "alice+tag@mail.example.com", id="plus"),
        pytest.param("a.b-c_d@ex-ample.co.uk", "a.b-c_d@ex-ample.co.uk", id="punctuation"),
        pytest.param("alice@localhost", "alice@localhost", id="single-label"),
        pytest.param(wire("jörn@bücher.example"), "jörn@bücher.example", id="idn"),
        pytest.param(wire("alice@BÜCHER.example"), "alice@bücher.example", id="idn-lowered"),
        pytest.param("alice@xn--bcher-kva.example", "alice@xn--bcher-kva.example", id="punycode"),
        pytest.param("", None, id="empty-is-none"),
        pytest.param("  ", None, id="blank-is-none"),
        pytest.param("a" * 242 + "@example.com", "a" * 242 + "@example.com", id="exactly-max"),
    ],
)
def test_parse_email(value: str, expected: str | None) -> None:
    assert parse_email(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("alice", "invalid_email", id="no-at"),
        pytest.param("@example.com", "invalid_email", id="no-local"),
        pytest.param("alice@", "invalid_email", id="no-domain"),
        pytest.param("alice@@example.com", "invalid_email", id="two-ats"),
        pytest.param("a@b@example.com", "invalid_email", id="at-in-local"),
        pytest.param("al ice@example.com", "invalid_email", id="space-in-local"),
        pytest.param("alice,bob@example.com", "invalid_email", id="comma-in-local"),
        pytest.param("<alice@example.com>", "invalid_email", id="angle-brackets"),
        pytest.param('"alice"@example.com', "invalid_email", id="quoted-local"),
        pytest.param("alice@example..com", "invalid_email", id="empty-label"),
        pytest.param("alice@example.com.", "invalid_email", id="trailing-dot"),
        pytest.param("alice@-example.com", "invalid_email", id="leading-hyphen"),
        pytest.param("alice@exa_mple.com", "invalid_email", id="underscore-domain"),
        pytest.param("alice@exa mple.com", "invalid_email", id="space-domain"),
        pytest.param("alice@" + "a" * 64 + ".com", "invalid_email", id="label-too-long"),
        pytest.param(
            wire("a@" + ".".join(["ü" * 30] * 7) + ".de"),  # 221 characters, 261 in ASCII
            "invalid_email",
            id="idna-domain-too-long",
        ),
        pytest.param(
            wire("alice@\u2024.com"), "compatibility_character", id="one-dot-leader-in-domain"
        ),
        pytest.param(wire("alice@aא.com"), "invalid_email", id="idna-bidi-refused"),
        pytest.param("a" * 243 + "@example.com", "too_long", id="max-plus-one"),
        pytest.param("alice@exa\x00mple.com", "control_character", id="nul"),
        pytest.param(wire("alice\u202e@example.com"), "control_character", id="bidi"),
        pytest.param(wire("alice\u200b@example.com"), "control_character", id="zero-width"),
        pytest.param("j\xf6rn@example.com", "not_utf8", id="latin-1"),
    ],
)
def test_parse_email_rejects(value: str, reason: str) -> None:
    with pytest.raises(IdentityError) as info:
        parse_email(value, "Remote-Email")
    assert (info.value.reason, info.value.header) == (reason, "Remote-Email")


def test_email_length_checked_after_lower_casing() -> None:
    policy = ParsingPolicy(max_email_length=10)
    assert parse_email(wire("a@İİ.de"), policy=policy) == "a@i̇i̇.de"
    with pytest.raises(IdentityError) as info:
        parse_email(wire("ab@İİİ.de"), policy=policy)
    assert info.value.reason == "too_long"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("accounts.google.com:alice@example.com", "alice@example.com", id="stripped"),
        pytest.param("accounts.google.com:", None, id="prefix-only"),
    ],
)
def test_parse_email_prefix(value: str, expected: str | None) -> None:
    assert parse_email(value, prefix="accounts.google.com:") == expected


def test_parse_email_missing_prefix() -> None:
    with pytest.raises(IdentityError, match="missing_prefix"):
        parse_email("alice@example.com", prefix="accounts.google.com:")


# --- groups -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "separator", "expected"),
    [
        pytest.param("admins,staff", ",", ("admins", "staff"), id="split"),
        pytest.param(" admins , staff ", ",", ("admins", "staff"), id="trimmed"),
        pytest.param("admins,,staff,", ",", ("admins", "staff"), id="empties-dropped"),
        pytest.param("", ",", (), id="empty"),
        pytest.param(" , ,", ",", (), id="only-separators"),
        pytest.param("b,a,b,c,a", ",", ("b", "a", "c"), id="dedupe-keeps-order"),
        pytest.param("admins, admins", ",", ("admins",), id="dedupe-after-trim"),
        pytest.param("Admins,admins", ",", ("Admins", "admins"), id="case-sensitive"),
        pytest.param("a|b,c|d", "|", ("a", "b,c", "d"), id="pipe-separator"),
        pytest.param("a;;b", ";;", ("a", "b"), id="multi-char-separator"),
        pytest.param(wire("Ärzte,渡辺"), ",", ("Ärzte", "渡辺"), id="utf8"),
        pytest.param(wire(NFD_JORN + "," + "Jörn"), ",", ("Jörn",), id="nfc-then-dedupe"),
        pytest.param("g" * 150, ",", ("g" * 150,), id="exactly-max-length"),
        pytest.param(
            ",".join(f"g{n}" for n in range(1000)),
            ",",
            tuple(f"g{n}" for n in range(1000)),
            id="exactly-max-count",
        ),
    ],
)
def test_parse_groups(value: str, separator: str, expected: tuple[str, ...]) -> None:
    assert parse_groups(value, "Remote-Groups", separator) == expected


@pytest.mark.parametrize(
    ("value", "policy", "reason"),
    [
        pytest.param(
            ",".join(f"g{n}" for n in range(1001)), DEFAULT_POLICY, "too_many_groups", id="count"
        ),
        pytest.param("a,b,c", ParsingPolicy(max_groups=2), "too_many_groups", id="custom-count"),
        pytest.param("ok," + "g" * 151, DEFAULT_POLICY, "too_long", id="group-too-long"),
        pytest.param("ok,abc", ParsingPolicy(max_group_length=2), "too_long", id="custom-length"),
        pytest.param("ok,ad\x00mins", DEFAULT_POLICY, "control_character", id="nul"),
        pytest.param("ok,ad\nmins", DEFAULT_POLICY, "control_character", id="newline"),
        pytest.param(wire("ok,ad\u202emins"), DEFAULT_POLICY, "control_character", id="bidi"),
        pytest.param("ok,\xc3", DEFAULT_POLICY, "not_utf8", id="not-utf8"),
    ],
)
def test_parse_groups_rejects(value: str, policy: ParsingPolicy, reason: str) -> None:
    with pytest.raises(IdentityError) as info:
        parse_groups(value, "Remote-Groups", ",", policy)
    assert (info.value.reason, info.value.header) == (reason, "Remote-Groups")


# --- policy -----------------------------------------------------------------------------


# --- parse_identity ---------------------------------------------------------------------

AUTHELIA = {
    "HTTP_REMOTE_USER": "alice",
    "HTTP_REMOTE_NAME": wire("Alice Ärger"),
    "HTTP_REMOTE_EMAIL": "alice@EXAMPLE.com",
    "HTTP_REMOTE_GROUPS": "admins,staff,admins",
}


@pytest.mark.parametrize(
    ("environ", "scheme", "expected"),
    [
        pytest.param(
            AUTHELIA,
            "authelia",
            Identity("alice", "Alice Ärger", "alice@example.com", ("admins", "staff")),
            id="authelia-full",
        ),
        pytest.param({"HTTP_REMOTE_USER": "alice"}, "authelia", Identity("alice"), id="user-only"),
        pytest.param(
            {**AUTHELIA, "HTTP_REMOTE_NAME": "", "HTTP_REMOTE_EMAIL": "", "HTTP_REMOTE_GROUPS": ""},
            "authelia",
            Identity("alice", ""),
            id="empty-optionals",
        ),
        pytest.param({}, "authelia", None, id="no-headers"),
        pytest.param({**AUTHELIA, "HTTP_REMOTE_USER": ""}, "authelia", None, id="empty-user"),
        pytest.param({**AUTHELIA, "HTTP_REMOTE_USER": " "}, "authelia", None, id="blank-user"),
        pytest.param(
            {k: v for k, v in AUTHELIA.items() if k != "HTTP_REMOTE_USER"},
            "authelia",
            None,
            id="no-user",
        ),
        pytest.param(
            {"HTTP_REMOTE_USER": b"alice", "HTTP_REMOTE_NAME": "x"},
            "authelia",
            None,
            id="bytes-user",
        ),
        pytest.param(
            {
                "HTTP_REMOTE_USER": "alice",
                "HTTP_REMOTE_NAME": None,
                "HTTP_REMOTE_EMAIL": 1,
                "HTTP_REMOTE_GROUPS": ["admins"],
            },
            "authelia",
            Identity("alice"),
            id="non-str-optionals-ignored",
        ),
        pytest.param(
            {
                "HTTP_REMOTE_USER": "bob",
                "HTTP_REMOTE_NAME": "Bob",
                "HTTP_REMOTE_EMAIL": "bob@example.com",
                "HTTP_REMOTE_GROUPS": "users",
            },
            "tinyauth",
            Identity("bob", "Bob", "bob@example.com", ("users",)),
            id="tinyauth",
        ),
        pytest.param(
            {
                "HTTP_X_AUTHENTIK_USERNAME": "alice",
                "HTTP_X_AUTHENTIK_NAME": "Alice",
                "HTTP_X_AUTHENTIK_EMAIL": "alice@example.com",
                "HTTP_X_AUTHENTIK_GROUPS": "authentik Admins|staff, ops|authentik Admins",
                "HTTP_X_AUTHENTIK_JWT": "eyJ...",
            },
            "authentik",
            Identity("alice", "Alice", "alice@example.com", ("authentik Admins", "staff, ops")),
            id="authentik-pipe",
        ),
        pytest.param(
            {"HTTP_REMOTE_USER": "alice"}, "authentik", None, id="authentik-ignores-remote-user"
        ),
        pytest.param(
            {
                "HTTP_X_FORWARDED_PREFERRED_USERNAME": "alice",
                "HTTP_X_FORWARDED_USER": "0b8f1c",
                "HTTP_X_FORWARDED_EMAIL": "alice@example.com",
                "HTTP_X_FORWARDED_GROUPS": "role:admin,role:user",
            },
            "oauth2-proxy",
            Identity("0b8f1c", None, "alice@example.com", ("role:admin", "role:user")),
            id="oauth2-proxy-unique-user-not-preferred",
        ),
        pytest.param(
            {"HTTP_X_FORWARDED_PREFERRED_USERNAME": "admin"},
            "oauth2-proxy",
            None,
            id="oauth2-proxy-preferred-alone-is-nobody",
        ),
        pytest.param(
            {"HTTP_X_FORWARDED_PREFERRED_USERNAME": "a,b", "HTTP_X_FORWARDED_USER": "0b8f1c"},
            "oauth2-proxy",
            Identity("0b8f1c"),
            id="oauth2-proxy-preferred-not-parsed",
        ),
        pytest.param(
            {"HTTP_X_FORWARDED_USER": ""},
            "oauth2-proxy",
            None,
            id="oauth2-proxy-empty",
        ),
        pytest.param(
            {
                "HTTP_X_AUTH_REQUEST_USER": "0b8f1c",
                "HTTP_X_AUTH_REQUEST_PREFERRED_USERNAME": "admin",
                "HTTP_X_AUTH_REQUEST_EMAIL": "alice@example.com",
                "HTTP_X_AUTH_REQUEST_GROUPS": "ops,dev",
            },
            "oauth2-proxy-auth-request",
            Identity("0b8f1c", None, "alice@example.com", ("ops", "dev")),
            id="oauth2-proxy-auth-request",
        ),
        pytest.param(
            {
                "HTTP_TAILSCALE_USER_LOGIN": "alice@example.com",
                "HTTP_TAILSCALE_USER_NAME": "=?utf-8?q?Kr=C5=ABmi=C5=86a?=",
                "HTTP_TAILSCALE_USER_PROFILE_PIC": "https://example.com/a.png",
            },
            "tailscale",
            Identity("alice@example.com", "Krūmiņa"),
            id="tailscale-encoded-name",
        ),
        pytest.param(
            {
                "HTTP_TAILSCALE_USER_LOGIN": "=?utf-8?q?j=C3=B6rn@example.com?=",
                "HTTP_TAILSCALE_USER_NAME": "Alice Smith",
            },
            "tailscale",
            Identity("jörn@example.com", "Alice Smith"),
            id="tailscale-encoded-login",
        ),
        pytest.param(
            {"HTTP_TAILSCALE_USER_LOGIN": "=?utf-8?q?admin?="},
            "tailscale",
            Identity("=?utf-8?q?admin?="),
            id="tailscale-encoded-ascii-kept-literally",
        ),
        pytest.param(
            {
                "HTTP_X_VOUCH_USER": "alice@example.com",
                "HTTP_X_VOUCH_IDP_CLAIMS_NAME": "Alice",
                "HTTP_X_VOUCH_IDP_CLAIMS_EMAIL": "alice@example.com",
                "HTTP_X_VOUCH_IDP_CLAIMS_GROUPS": '"a","b",""',
            },
            "vouch",
            Identity("alice@example.com", "Alice", "alice@example.com", ("a", "b")),
            id="vouch",
        ),
        pytest.param(
            {
                "HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL": "accounts.google.com:alice@Example.com",
                "HTTP_X_GOOG_AUTHENTICATED_USER_ID": "accounts.google.com:1234567890",
            },
            "google-iap",
            Identity("alice@Example.com", None, "alice@example.com"),
            id="google-iap-prefix-stripped",
        ),
        pytest.param(
            {"HTTP_CF_ACCESS_AUTHENTICATED_USER_EMAIL": "alice@example.com"},
            "cloudflare-access",
            Identity("alice@example.com", None, "alice@example.com"),
            id="cloudflare-access",
        ),
        pytest.param(
            {"HTTP_X_CORP_USER": "alice", "HTTP_X_CORP_ROLES": "a; b;a"},
            HeaderScheme(
                name="corp",
                user_headers=("X-Corp-User",),
                groups_header="X-Corp-Roles",
                group_separator=";",
            ),
            Identity("alice", groups=("a", "b")),
            id="custom-scheme",
        ),
    ],
)
def test_parse_identity(
    environ: dict[str, Any], scheme: str | HeaderScheme, expected: Identity | None
) -> None:
    assert parse_identity(environ, scheme) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"HTTP_REMOTE_USER": "{http.reverse_proxy.header.Remote-User}"},
            None,
            id="placeholder-user-is-absent",
        ),
        pytest.param(
            {
                "HTTP_REMOTE_USER": "alice",
                "HTTP_REMOTE_NAME": "{http.reverse_proxy.header.Remote-Name}",
                "HTTP_REMOTE_EMAIL": "{http.reverse_proxy.header.Remote-Email}",
                "HTTP_REMOTE_GROUPS": "{http.reverse_proxy.header.Remote-Groups}",
            },
            Identity("alice"),
            id="placeholder-optionals-are-absent",
        ),
        pytest.param(
            {"HTTP_REMOTE_USER": "alice", "HTTP_REMOTE_NAME": "{http.x} and more"},
            Identity("alice", "{http.x} and more"),
            id="not-only-a-placeholder",
        ),
        pytest.param(
            {"HTTP_REMOTE_USER": "alice", "HTTP_REMOTE_NAME": "{http.a{b}}"},
            Identity("alice", "{http.a{b}}"),
            id="nested-braces-are-a-value",
        ),
        pytest.param(
            {"HTTP_REMOTE_USER": "alice", "HTTP_REMOTE_GROUPS": "{https.x}"},
            Identity("alice", groups=("{https.x}",)),
            id="other-prefix-is-a-value",
        ),
    ],
)
def test_caddy_placeholders(environ: dict[str, Any], expected: Identity | None) -> None:
    assert parse_identity(environ) == expected


def test_parse_identity_default_scheme_is_authelia() -> None:
    assert parse_identity(AUTHELIA) == parse_identity(AUTHELIA, PRESETS["authelia"])


def test_parse_identity_lower_case_policy() -> None:
    identity = parse_identity({"HTTP_REMOTE_USER": "Alice"}, policy=LOWER)
    assert identity == Identity("alice")


@pytest.mark.parametrize(
    ("environ", "scheme", "reason", "header"),
    [
        pytest.param(
            {"HTTP_REMOTE_USER": "alice,mallory"},
            "authelia",
            "multiple_values",
            "Remote-User",
            id="joined-user",
        ),
        pytest.param(
            {**AUTHELIA, "HTTP_REMOTE_NAME": "A\x00"},
            "authelia",
            "control_character",
            "Remote-Name",
            id="bad-name",
        ),
        pytest.param(
            {**AUTHELIA, "HTTP_REMOTE_GROUPS": "ok,\xff"},
            "authelia",
            "not_utf8",
            "Remote-Groups",
            id="bad-groups",
        ),
        pytest.param(
            {**AUTHELIA, "HTTP_REMOTE_EMAIL": "alice\x01@example.com"},
            "authelia",
            "control_character",
            "Remote-Email",
            id="email-control-rejected-in-drop-mode",
        ),
        pytest.param(
            {**AUTHELIA, "HTTP_REMOTE_EMAIL": "\xe9@example.com"},
            "authelia",
            "not_utf8",
            "Remote-Email",
            id="email-not-utf8-rejected-in-drop-mode",
        ),
        pytest.param(
            {"HTTP_X_FORWARDED_USER": "a,b"},
            "oauth2-proxy",
            "multiple_values",
            "X-Forwarded-User",
            id="oauth2-proxy-joined-user",
        ),
        pytest.param(
            {"HTTP_TAILSCALE_USER_LOGIN": "=?utf-8?q?=FF?="},
            "tailscale",
            "not_utf8",
            "Tailscale-User-Login",
            id="tailscale-encoded-not-utf8",
        ),
        pytest.param(
            {"HTTP_TAILSCALE_USER_LOGIN": "=?utf-8?q?=E2=84=AAevin?="},
            "tailscale",
            "equivalent_character",
            "Tailscale-User-Login",
            id="tailscale-encoded-kelvin",
        ),
        pytest.param(
            {"HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL": "alice@example.com"},
            "google-iap",
            "missing_prefix",
            "X-Goog-Authenticated-User-Email",
            id="google-iap-missing-prefix",
        ),
    ],
)
def test_parse_identity_rejects(
    environ: dict[str, Any], scheme: str, reason: str, header: str
) -> None:
    with pytest.raises(IdentityError) as info:
        parse_identity(environ, scheme)
    assert (info.value.reason, info.value.header) == (reason, header)


def test_parse_identity_unknown_scheme() -> None:
    with pytest.raises(ConfigurationError, match="unknown header scheme 'authelia2'"):
        parse_identity(AUTHELIA, "authelia2")


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        pytest.param("not-an-address", "invalid_email", id="invalid"),
        pytest.param("a" * 300 + "@example.com", "too_long", id="too-long"),
    ],
)
def test_invalid_email_dropped_and_returned_without_logging(
    caplog: pytest.LogCaptureFixture, email: str, reason: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        for _ in range(2):
            result = parse_headers({**AUTHELIA, "HTTP_REMOTE_EMAIL": email})
            assert result.identity == Identity("alice", "Alice Ärger", None, ("admins", "staff"))
            assert [(e.reason, e.header) for e in result.dropped] == [(reason, "Remote-Email")]
        assert parse_identity({**AUTHELIA, "HTTP_REMOTE_EMAIL": email}) == result.identity
    assert caplog.records == []


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("not-an-address", id="invalid"),
        pytest.param("a" * 300 + "@example.com", id="too-long"),
    ],
)
def test_invalid_email_rejected_by_policy(caplog: pytest.LogCaptureFixture, email: str) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="remote_identity.parsing"),
        pytest.raises(IdentityError) as info,
    ):
        parse_identity({**AUTHELIA, "HTTP_REMOTE_EMAIL": email}, policy=REJECT_EMAIL)
    assert info.value.header == "Remote-Email"
    assert caplog.records == []


def test_valid_email_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        assert parse_identity(AUTHELIA) is not None
    assert caplog.records == []


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        pytest.param("a,,b,", 2, ("a", "b"), id="empties-do-not-count"),
        pytest.param("a,a,a,b", 2, ("a", "b"), id="duplicates-do-not-count"),
        pytest.param(" , ,", 1, (), id="only-empties"),
    ],
)
def test_group_limit_counts_distinct_groups(
    value: str, limit: int, expected: tuple[str, ...]
) -> None:
    assert parse_groups(value, policy=ParsingPolicy(max_groups=limit)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('"admins","editors"', ("admins", "editors"), id="quoted"),
        pytest.param('admins,"editors"', ("admins", "editors"), id="mixed"),
        pytest.param('"a,b"', ('"a', 'b"'), id="separator-inside-quotes-is-not-special"),
        pytest.param('"', ('"',), id="lone-quote-kept"),
        pytest.param('"" , " x "', ("x",), id="empty-and-padded"),
    ],
)
def test_group_quotes_removed(value: str, expected: tuple[str, ...]) -> None:
    assert parse_groups(value, quote='"') == expected


def test_parse_headers_reads_only_the_parsed_keys() -> None:
    class Recorder(dict[str, object]):
        def __init__(self, values: dict[str, object]) -> None:
            super().__init__(values)
            self.read: list[str] = []

        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            self.read.append(key)
            return super().get(key, default)

    for name, scheme in PRESETS.items():
        value = f"{scheme.value_prefix}u@example.com"
        environ = Recorder(dict.fromkeys(scheme.environ_keys, value))
        assert parse_headers(environ, scheme).identity is not None, name
        assert set(environ.read) == set(scheme.parsed_keys), name


def test_parse_result_defaults() -> None:
    assert ParseResult(None) == (None, ())
