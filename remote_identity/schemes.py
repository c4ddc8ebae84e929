"""Header schemes: which header carries which identity field, for each proxy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import ConfigurationError

__all__ = ["PRESETS", "HeaderScheme", "check_header_name", "environ_key", "get_scheme"]

# RFC 9110 token characters, minus "_": WSGI servers either drop header names with an
# underscore or fold them onto the hyphenated name, so a scheme must never rely on one.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^`|~0-9A-Za-z-]+$")
_ENCODINGS = ("", "rfc2047")


def environ_key(header: str) -> str:
    """The WSGI environ key a server stores ``header`` under (PEP 3333 CGI naming)."""
    return "HTTP_" + header.upper().replace("-", "_")


@dataclass(frozen=True, slots=True)
class HeaderScheme:
    """Which request headers carry the identity, and how to read them.

    Attributes:
        name: a short label for logs and ``explain`` output.
        user_headers: the username header(s); the first one present with a non-empty
            value wins. Required.
        name_header: the display-name header, or ``None``.
        email_header: the e-mail header, or ``None``.
        groups_header: the groups header, or ``None``.
        group_separator: what separates groups in ``groups_header``.
        group_quote: a quote character around each group name, removed when a name
            both starts and ends with it (vouch-proxy sends ``"admins","editors"``).
        value_prefix: a prefix every user and e-mail value must carry and which is removed
            (Google IAP sends ``accounts.google.com:alice@example.com``).
        value_encoding: ``""`` for values sent as raw UTF-8 bytes (most proxies), or
            ``"rfc2047"`` for proxies that send non-ASCII values as RFC 2047 encoded-words
            (Tailscale Serve: ``=?utf-8?q?J=C3=B6rn?=``).
        extra_headers: other headers the proxy owns (signed assertions, user ids). They are
            not parsed, but they are stripped from untrusted peers like the others.
        headers: every header of the scheme, in order (derived).
        environ_keys: the environ keys of ``headers`` (derived).
        parsed_headers: the headers the identity is parsed from, in order, each once
            (derived): the user, name, e-mail and groups headers.
        parsed_keys: the environ keys of ``parsed_headers`` (derived). The gate's parse
            cache is keyed by their values, and parsing reads nothing else.
    """

    name: str
    user_headers: tuple[str, ...]
    name_header: str | None = None
    email_header: str | None = None
    groups_header: str | None = None
    group_separator: str = ","
    group_quote: str = ""
    value_prefix: str = ""
    value_encoding: str = ""
    extra_headers: tuple[str, ...] = ()
    headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    environ_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    parsed_headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    parsed_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attr in ("user_headers", "extra_headers"):
            value = getattr(self, attr)
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise _error(
                    f"HeaderScheme {self.name!r}: {attr} must be a tuple of header names, "
                    f"not {type(value).__name__} {value!r}"
                )
            object.__setattr__(self, attr, tuple(value))
        if not self.user_headers:
            raise _error(f"HeaderScheme {self.name!r}: user_headers is empty")
        optional = (self.name_header, self.email_header, self.groups_header)
        parsed = tuple(dict.fromkeys([*self.user_headers, *(h for h in optional if h is not None)]))
        headers = tuple(dict.fromkeys([*parsed, *self.extra_headers]))
        for header in headers:
            check_header_name(header, f"HeaderScheme {self.name!r}: ")
        if not isinstance(self.group_separator, str) or not self.group_separator.strip():
            raise _error(f"HeaderScheme {self.name!r}: group_separator must be a non-blank string")
        if self.value_encoding not in _ENCODINGS:
            raise _error(
                f"HeaderScheme {self.name!r}: value_encoding must be one of "
                f"{', '.join(map(repr, _ENCODINGS))}, not {self.value_encoding!r}"
            )
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "environ_keys", tuple(environ_key(h) for h in headers))
        object.__setattr__(self, "parsed_headers", parsed)
        object.__setattr__(self, "parsed_keys", tuple(environ_key(h) for h in parsed))


def _error(message: str) -> ConfigurationError:
    return ConfigurationError(message, option="scheme", reason="bad_scheme")


def check_header_name(header: object, context: str = "", option: str = "scheme") -> str:
    """``header`` if it is a portable header name, else ``ConfigurationError``."""
    if not isinstance(header, str) or not _HEADER_NAME.fullmatch(header):
        raise ConfigurationError(
            f"{context}{header!r} is not a valid header name "
            "(expected letters, digits and hyphens; underscores are not portable)",
            option=option,
            reason="bad_header_name",
        )
    return header


def _remote(name: str) -> HeaderScheme:
    return HeaderScheme(
        name=name,
        user_headers=("Remote-User",),
        name_header="Remote-Name",
        email_header="Remote-Email",
        groups_header="Remote-Groups",
    )


#: The built-in schemes, by name. ``"authelia"`` is the default everywhere.
PRESETS: Mapping[str, HeaderScheme] = MappingProxyType(
    {
        "authelia": _remote("authelia"),
        "tinyauth": _remote("tinyauth"),
        "authentik": HeaderScheme(
            name="authentik",
            user_headers=("X-authentik-username",),
            name_header="X-authentik-name",
            email_header="X-authentik-email",
            groups_header="X-authentik-groups",
            group_separator="|",
            extra_headers=(
                "X-authentik-uid",
                "X-authentik-jwt",
                "X-authentik-entitlements",
                "X-authentik-meta-jwks",
                "X-authentik-meta-outpost",
                "X-authentik-meta-provider",
                "X-authentik-meta-app",
                "X-authentik-meta-version",
            ),
        ),
        # oauth2-proxy's X-Forwarded-User is the user id its session is keyed on; OpenID
        # Connect does not require X-Forwarded-Preferred-Username to be unique, so it is
        # only removed, never believed (docs/proxies/oauth2-proxy.md shows the opt-in).
        # With its default skip_auth_strip_headers=true oauth2-proxy deletes both from
        # client requests.
        "oauth2-proxy": HeaderScheme(
            name="oauth2-proxy",
            user_headers=("X-Forwarded-User",),
            email_header="X-Forwarded-Email",
            groups_header="X-Forwarded-Groups",
            extra_headers=("X-Forwarded-Preferred-Username", "X-Forwarded-Access-Token"),
        ),
        # oauth2-proxy answering nginx's auth_request (--set-xauthrequest): nginx copies
        # these from the auth response with auth_request_set.
        "oauth2-proxy-auth-request": HeaderScheme(
            name="oauth2-proxy-auth-request",
            user_headers=("X-Auth-Request-User",),
            email_header="X-Auth-Request-Email",
            groups_header="X-Auth-Request-Groups",
            extra_headers=("X-Auth-Request-Preferred-Username", "X-Auth-Request-Access-Token"),
        ),
        # Tailscale Serve deletes every one of these from the request before it sets
        # them, and RFC 2047-encodes non-ASCII values.
        "tailscale": HeaderScheme(
            name="tailscale",
            user_headers=("Tailscale-User-Login",),
            name_header="Tailscale-User-Name",
            value_encoding="rfc2047",
            extra_headers=(
                "Tailscale-User-Profile-Pic",
                "Tailscale-Funnel-Request",
                "Tailscale-Headers-Info",
                "Tailscale-App-Capabilities",
            ),
        ),
        "vouch": HeaderScheme(
            name="vouch",
            user_headers=("X-Vouch-User",),
            name_header="X-Vouch-IdP-Claims-Name",
            email_header="X-Vouch-IdP-Claims-Email",
            groups_header="X-Vouch-IdP-Claims-Groups",
            group_quote='"',
            extra_headers=("X-Vouch-Success", "X-Vouch-Token"),
        ),
        "google-iap": HeaderScheme(
            name="google-iap",
            user_headers=("X-Goog-Authenticated-User-Email",),
            email_header="X-Goog-Authenticated-User-Email",
            value_prefix="accounts.google.com:",
            extra_headers=("X-Goog-Authenticated-User-Id", "X-Goog-IAP-JWT-Assertion"),
        ),
        "cloudflare-access": HeaderScheme(
            name="cloudflare-access",
            user_headers=("Cf-Access-Authenticated-User-Email",),
            email_header="Cf-Access-Authenticated-User-Email",
            extra_headers=("Cf-Access-Jwt-Assertion",),
        ),
    }
)


def get_scheme(scheme: str | HeaderScheme) -> HeaderScheme:
    """The scheme itself, or the preset of that name; ``ConfigurationError`` otherwise."""
    if isinstance(scheme, HeaderScheme):
        return scheme
    if isinstance(scheme, str) and scheme in PRESETS:
        return PRESETS[scheme]
    raise ConfigurationError(
        f"unknown header scheme {scheme!r}; expected a HeaderScheme or one of "
        f"{', '.join(sorted(PRESETS))}",
        option="scheme",
        reason="unknown_scheme",
    )
