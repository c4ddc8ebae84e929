"""Tests of remote_identity.schemes: header schemes, presets and environ keys."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from remote_identity import PRESETS, ConfigurationError, HeaderScheme
from remote_identity.schemes import environ_key, get_scheme


@pytest.mark.parametrize(
    ("header", "key"),
    [
        pytest.param("Remote-User", "HTTP_REMOTE_USER", id="hyphen"),
        pytest.param("remote-user", "HTTP_REMOTE_USER", id="lower-case"),
        pytest.param("X-authentik-username", "HTTP_X_AUTHENTIK_USERNAME", id="mixed-case"),
        pytest.param("Cf-Access-Jwt-Assertion", "HTTP_CF_ACCESS_JWT_ASSERTION", id="long"),
        pytest.param("X", "HTTP_X", id="one-letter"),
    ],
)
def test_environ_key(header: str, key: str) -> None:
    assert environ_key(header) == key


def test_preset_names() -> None:
    assert sorted(PRESETS) == [
        "authelia",
        "authentik",
        "cloudflare-access",
        "google-iap",
        "oauth2-proxy",
        "oauth2-proxy-auth-request",
        "tailscale",
        "tinyauth",
        "vouch",
    ]


def test_presets_are_read_only() -> None:
    with pytest.raises(TypeError):
        PRESETS["mine"] = PRESETS["authelia"]  # type: ignore[index]
    assert "mine" not in PRESETS


@pytest.mark.parametrize(
    ("name", "user", "display", "email", "groups", "separator", "prefix"),
    [
        pytest.param(
            "authelia",
            ("Remote-User",),
            "Remote-Name",
            "Remote-Email",
            "Remote-Groups",
            ",",
            "",
            id="authelia",
        ),
        pytest.param(
            "tinyauth",
            ("Remote-User",),
            "Remote-Name",
            "Remote-Email",
            "Remote-Groups",
            ",",
            "",
            id="tinyauth",
        ),
        pytest.param(
            "authentik",
            ("X-authentik-username",),
            "X-authentik-name",
            "X-authentik-email",
            "X-authentik-groups",
            "|",
            "",
            id="authentik",
        ),
        pytest.param(
            "oauth2-proxy",
            ("X-Forwarded-User",),
            None,
            "X-Forwarded-Email",
            "X-Forwarded-Groups",
            ",",
            "",
            id="oauth2-proxy",
        ),
        pytest.param(
            "oauth2-proxy-auth-request",
            ("X-Auth-Request-User",),
            None,
            "X-Auth-Request-Email",
            "X-Auth-Request-Groups",
            ",",
            "",
            id="oauth2-proxy-auth-request",
        ),
        pytest.param(
            "tailscale",
            ("Tailscale-User-Login",),
            "Tailscale-User-Name",
            None,
            None,
            ",",
            "",
            id="tailscale",
        ),
        pytest.param(
            "vouch",
            ("X-Vouch-User",),
            "X-Vouch-IdP-Claims-Name",
            "X-Vouch-IdP-Claims-Email",
            "X-Vouch-IdP-Claims-Groups",
            ",",
            "",
            id="vouch",
        ),
        pytest.param(
            "google-iap",
            ("X-Goog-Authenticated-User-Email",),
            None,
            "X-Goog-Authenticated-User-Email",
            None,
            ",",
            "accounts.google.com:",
            id="google-iap",
        ),
        pytest.param(
            "cloudflare-access",
            ("Cf-Access-Authenticated-User-Email",),
            None,
            "Cf-Access-Authenticated-User-Email",
            None,
            ",",
            "",
            id="cloudflare-access",
        ),
    ],
)
def test_preset(
    name: str,
    user: tuple[str, ...],
    display: str | None,
    email: str | None,
    groups: str | None,
    separator: str,
    prefix: str,
) -> None:
    scheme = PRESETS[name]
    assert scheme.name == name
    assert scheme.user_headers == user
    assert scheme.name_header == display
    assert scheme.email_header == email
    assert scheme.groups_header == groups
    assert scheme.group_separator == separator
    assert scheme.value_prefix == prefix


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        pytest.param("authentik", "X-authentik-jwt", id="authentik-jwt"),
        pytest.param("authentik", "X-authentik-uid", id="authentik-uid"),
        pytest.param("oauth2-proxy", "X-Forwarded-Access-Token", id="oauth2-proxy-token"),
        pytest.param("oauth2-proxy", "X-Forwarded-Preferred-Username", id="oauth2-proxy-preferred"),
        pytest.param(
            "oauth2-proxy-auth-request",
            "X-Auth-Request-Preferred-Username",
            id="auth-request-preferred",
        ),
        pytest.param(
            "oauth2-proxy-auth-request", "X-Auth-Request-Access-Token", id="auth-request-token"
        ),
        pytest.param("tailscale", "Tailscale-User-Profile-Pic", id="tailscale-picture"),
        pytest.param("tailscale", "Tailscale-Funnel-Request", id="tailscale-funnel"),
        pytest.param("tailscale", "Tailscale-Headers-Info", id="tailscale-info"),
        pytest.param("tailscale", "Tailscale-App-Capabilities", id="tailscale-capabilities"),
        pytest.param("vouch", "X-Vouch-Token", id="vouch-token"),
        pytest.param("google-iap", "X-Goog-IAP-JWT-Assertion", id="google-iap-jwt"),
        pytest.param("google-iap", "X-Goog-Authenticated-User-Id", id="google-iap-id"),
        pytest.param("cloudflare-access", "Cf-Access-Jwt-Assertion", id="cloudflare-jwt"),
    ],
)
def test_preset_extra_headers_are_stripped_headers(name: str, extra: str) -> None:
    scheme = PRESETS[name]
    assert extra in scheme.extra_headers
    assert extra in scheme.headers
    assert environ_key(extra) in scheme.environ_keys


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_derived_headers(name: str) -> None:
    scheme = PRESETS[name]
    named = [scheme.name_header, scheme.email_header, scheme.groups_header]
    expected = dict.fromkeys(
        [*scheme.user_headers, *(h for h in named if h), *scheme.extra_headers]
    )
    assert scheme.headers == tuple(expected)
    assert len(set(scheme.headers)) == len(scheme.headers)
    assert scheme.environ_keys == tuple(environ_key(h) for h in scheme.headers)
    parsed = dict.fromkeys([*scheme.user_headers, *(h for h in named if h)])
    assert scheme.parsed_headers == tuple(parsed)
    assert scheme.parsed_keys == tuple(environ_key(h) for h in scheme.parsed_headers)
    assert set(scheme.parsed_keys) <= set(scheme.environ_keys)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [pytest.param(name, "rfc2047" if name == "tailscale" else "", id=name) for name in PRESETS],
)
def test_value_encoding(name: str, encoding: str) -> None:
    assert PRESETS[name].value_encoding == encoding


def test_oauth2_proxy_preferred_username_is_an_opt_in() -> None:
    preset = PRESETS["oauth2-proxy"]
    opted_in = dataclasses.replace(
        preset,
        user_headers=("X-Forwarded-Preferred-Username", "X-Forwarded-User"),
        extra_headers=("X-Forwarded-Access-Token",),
    )
    assert set(opted_in.headers) == set(preset.headers)
    assert opted_in.parsed_headers[0] == "X-Forwarded-Preferred-Username"
    assert "X-Forwarded-Preferred-Username" not in preset.parsed_headers


def test_shared_user_and_email_header_listed_once() -> None:
    scheme = PRESETS["google-iap"]
    assert scheme.headers.count("X-Goog-Authenticated-User-Email") == 1
    assert scheme.headers[0] == "X-Goog-Authenticated-User-Email"


def test_custom_scheme() -> None:
    scheme = HeaderScheme(
        name="corp",
        user_headers=["X-Corp-User"],  # type: ignore[arg-type]
        groups_header="X-Corp-Roles",
        group_separator=";",
        extra_headers=["X-Corp-Token"],  # type: ignore[arg-type]
    )
    assert scheme.user_headers == ("X-Corp-User",)
    assert scheme.extra_headers == ("X-Corp-Token",)
    assert scheme.headers == ("X-Corp-User", "X-Corp-Roles", "X-Corp-Token")
    assert scheme.environ_keys == ("HTTP_X_CORP_USER", "HTTP_X_CORP_ROLES", "HTTP_X_CORP_TOKEN")
    assert scheme.name_header is None
    assert scheme.email_header is None


def test_scheme_is_frozen_and_comparable() -> None:
    scheme = HeaderScheme(name="a", user_headers=("X-User",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.group_separator = ";"  # type: ignore[misc]
    assert scheme == HeaderScheme(name="a", user_headers=["X-User"])  # type: ignore[arg-type]
    assert scheme != HeaderScheme(name="a", user_headers=("X-Other",))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"user_headers": "Remote-User"},
            "user_headers must be a tuple of header names, not str 'Remote-User'",
            id="user-headers-string",
        ),
        pytest.param(
            {"user_headers": None},
            "user_headers must be a tuple of header names, not NoneType",
            id="user-headers-none",
        ),
        pytest.param(
            {"user_headers": {"Remote-User"}},
            "user_headers must be a tuple of header names, not set",
            id="user-headers-set",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "extra_headers": "X-Token"},
            "extra_headers must be a tuple of header names, not str 'X-Token'",
            id="extra-headers-string",
        ),
        pytest.param({"user_headers": ()}, "user_headers is empty", id="no-user-header"),
        pytest.param(
            {"user_headers": ("Remote_User",)},
            "'Remote_User' is not a valid header name",
            id="underscore",
        ),
        pytest.param(
            {"user_headers": ("Remote User",)}, "'Remote User' is not a valid", id="space"
        ),
        pytest.param({"user_headers": ("",)}, "'' is not a valid header name", id="empty-name"),
        pytest.param(
            {"user_headers": ("Remote-User\n",)},
            r"'Remote-User\\n' is not a valid header name",
            id="trailing-newline",
        ),
        pytest.param(
            {"user_headers": ("Rémote-User",)}, "'Rémote-User' is not a valid", id="non-ascii"
        ),
        pytest.param(
            {"user_headers": ("X-User",), "name_header": "X:Name"},
            "'X:Name' is not a valid header name",
            id="bad-name-header",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "email_header": 5},
            "5 is not a valid header name",
            id="non-str-email-header",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "groups_header": "X_Groups"},
            "'X_Groups' is not a valid header name",
            id="bad-groups-header",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "extra_headers": ("X-Jwt", b"X-Raw")},
            "b'X-Raw' is not a valid header name",
            id="bytes-extra-header",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "group_separator": ""},
            "group_separator must be a non-blank string",
            id="empty-separator",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "group_separator": " "},
            "group_separator must be a non-blank string",
            id="blank-separator",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "group_separator": None},
            "group_separator must be a non-blank string",
            id="none-separator",
        ),
        pytest.param(
            {"user_headers": ("X-User",), "value_encoding": "base64"},
            "value_encoding must be one of '', 'rfc2047', not 'base64'",
            id="unknown-encoding",
        ),
    ],
)
def test_invalid_scheme(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        HeaderScheme(name="custom", **kwargs)
    assert str(info.value).startswith("HeaderScheme 'custom': ")
    assert info.value.option == "scheme"
    assert info.value.reason in ("bad_scheme", "bad_header_name")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_get_scheme_by_name(name: str) -> None:
    assert get_scheme(name) is PRESETS[name]


def test_get_scheme_passes_a_scheme_through() -> None:
    scheme = HeaderScheme(name="corp", user_headers=("X-Corp-User",))
    assert get_scheme(scheme) is scheme


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Authelia", id="wrong-case"),
        pytest.param("oauth2_proxy", id="underscore"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param(PRESETS, id="mapping"),
    ],
)
def test_get_scheme_unknown(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="unknown header scheme") as info:
        get_scheme(value)
    assert "authelia, authentik, cloudflare-access, google-iap" in str(info.value)
    assert (info.value.option, info.value.reason) == ("scheme", "unknown_scheme")
