"""Header schemes: which header carries which identity field, for each proxy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import ConfigurationError

__all__ = ["PRESETS", "HeaderScheme", "environ_key", "get_scheme"]

# RFC 9110 token characters, minus "_": WSGI servers either drop header names with an
# underscore or fold them onto the hyphenated name, so a scheme must never rely on one.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^`|~0-9A-Za-z-]+$")


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
        extra_headers: other headers the proxy owns (signed assertions, user ids). They are
            not parsed, but they are stripped from untrusted peers like the others.
        headers: every header of the scheme, in order (derived).
        environ_keys: the environ keys of ``headers`` (derived).
    """

    name: str
    user_headers: tuple[str, ...]
    name_header: str | None = None
    email_header: str | None = None
    groups_header: str | None = None
    group_separator: str = ","
    group_quote: str = ""
    value_prefix: str = ""
    extra_headers: tuple[str, ...] = ()
    headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    environ_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attr in ("user_headers", "extra_headers"):
            value = getattr(self, attr)
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise ConfigurationError(
                    f"HeaderScheme {self.name!r}: {attr} must be a tuple of header names, "
                    f"not {type(value).__name__} {value!r}"
                )
            object.__setattr__(self, attr, tuple(value))
        if not self.user_headers:
            raise ConfigurationError(f"HeaderScheme {self.name!r}: user_headers is empty")
        optional = (self.name_header, self.email_header, self.groups_header)
        named = [*self.user_headers, *(h for h in optional if h is not None)]
        headers = tuple(dict.fromkeys([*named, *self.extra_headers]))
        for header in headers:
            if not isinstance(header, str) or not _HEADER_NAME.fullmatch(header):
                raise ConfigurationError(
                    f"HeaderScheme {self.name!r}: {header!r} is not a valid header name "
                    "(expected letters, digits and hyphens; underscores are not portable)"
                )
        if not isinstance(self.group_separator, str) or not self.group_separator.strip():
            raise ConfigurationError(
                f"HeaderScheme {self.name!r}: group_separator must be a non-blank string"
            )
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "environ_keys", tuple(environ_key(h) for h in headers))


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
        # oauth2-proxy sets X-Forwarded-Preferred-Username only when the identity provider
        # has that claim; X-Forwarded-User is always set. With its default
        # skip_auth_strip_headers=true it deletes both from client requests.
        "oauth2-proxy": HeaderScheme(
            name="oauth2-proxy",
            user_headers=("X-Forwarded-Preferred-Username", "X-Forwarded-User"),
            email_header="X-Forwarded-Email",
            groups_header="X-Forwarded-Groups",
            extra_headers=("X-Forwarded-Access-Token",),
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
        f"{', '.join(sorted(PRESETS))}"
    )
