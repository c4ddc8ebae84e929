"""Every exception the library raises, in one hierarchy.

``RemoteIdentityError`` is the base. Two kinds derive from it:

- ``IdentityError``: a request's identity headers are not acceptable. Raised at request
  time, always with a stable machine-readable ``reason`` and the ``header`` at fault.
- ``ConfigurationError``: the library was configured wrongly (a malformed trusted proxy,
  an unknown scheme, a string where a list is expected). Raised at construction time,
  never while serving a request, with the ``option`` at fault and a stable ``reason``
  from :data:`CONFIGURATION_REASONS`.

Both are ``ValueError`` subclasses, so code that already catches ``ValueError`` keeps
working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CONFIGURATION_REASONS",
    "REASONS",
    "ConfigurationError",
    "IdentityError",
    "RemoteIdentityError",
]

#: Every ``IdentityError.reason`` the library produces, with what it means. The codes are
#: stable: they appear in logs, in 400 responses and in ``remote-identity explain``.
REASONS: dict[str, str] = {
    "not_utf8": "the value is not valid UTF-8",
    "control_character": "the value contains a control or invisible format character",
    "multiple_values": (
        "the value contains a comma, the mark of a repeated header joined by the server"
    ),
    "too_long": "the value is longer than the configured maximum",
    "too_many_groups": "there are more groups than the configured maximum",
    "compatibility_character": "the value changes under NFKC normalization (e.g. 'ᴬdmin')",
    "invalid_email": "the value is not an e-mail address",
    "missing_prefix": "the value lacks the prefix the scheme requires",
    "untrusted_peer": "identity headers came from a peer that is not a trusted proxy",
    "bad_secret": "the shared-secret header is missing or wrong",
    "edge_whitespace": (
        "the value starts or ends with white space other than a space or a tab (e.g. U+00A0)"
    ),
    "equivalent_character": (
        "the value contains a character that NFC normalization replaces with another "
        "(e.g. the Kelvin sign U+212A, which becomes 'K')"
    ),
    "invisible_character": (
        "the value contains an invisible or blank character (a default-ignorable code point, "
        "a Hangul filler, U+2800 BRAILLE PATTERN BLANK)"
    ),
    "ambiguous_peer": (
        "the TCP peer cannot be known: the address saved by Werkzeug's ProxyFix also appears "
        "in X-Forwarded-For, where a client may have written it"
    ),
    # Signed identity assertions (remote_identity.assertions).
    "assertion_malformed": "the signed assertion is not a well-formed token",
    "assertion_signature": "the signed assertion's signature does not verify",
    "assertion_expired": "the signed assertion has expired",
    "assertion_not_yet_valid": "the signed assertion is not valid yet",
    "assertion_audience": "the signed assertion was issued for another audience",
    "assertion_issuer": "the signed assertion comes from another issuer",
    "assertion_algorithm": "the signed assertion uses an algorithm that is not allowed",
    "assertion_unknown_key": "the signed assertion names a key the issuer does not publish",
    "assertion_claims": "the signed assertion's claims are missing or of the wrong type",
    "assertion_keys_unavailable": "the issuer's public keys could not be obtained",
}

#: Every ``ConfigurationError.reason``, with what it means. Stable, like :data:`REASONS`:
#: the Django system checks map ``(option, reason)`` to their ids.
CONFIGURATION_REASONS: dict[str, str] = {
    "not_a_list": "a string or another non-list where a list is expected",
    "not_a_string": "a value that must be a string is not one",
    "malformed": "not an IP address, a CIDR network without host bits, or 'unix'",
    "zone_id": "an IPv6 address with a zone id ('fe80::1%eth0'), which is never trusted",
    "trusts_everyone": "the entries cover every IPv4 or every IPv6 address",
    "too_wide": "a network wider than /8 (IPv4) or /32 (IPv6)",
    "unknown_scheme": "neither a HeaderScheme nor the name of a preset",
    "not_a_policy": "not a ParsingPolicy",
    "not_a_choice": "not one of the values the option accepts",
    "not_a_positive_integer": "not a positive integer",
    "not_a_bool": "not True or False",
    "unpaired": "shared_secret_header and shared_secret must be set together",
    "too_short": "a shared secret shorter than 16 characters",
    "whitespace": "a shared secret that is blank or starts or ends with white space",
    "bad_header_name": "not a portable header name (letters, digits and hyphens)",
    "bad_scheme": "a HeaderScheme field with a value it cannot use",
}


class RemoteIdentityError(Exception):
    """Base class of every exception raised by ``remote_identity``."""


class IdentityError(RemoteIdentityError, ValueError):
    """Identity headers that cannot be trusted as an identity.

    Attributes:
        reason: one of the keys of :data:`REASONS`, stable across releases.
        header: the HTTP header name at fault, as the scheme spells it (``"Remote-User"``).
        expected: a short, human description of what an acceptable value looks like.
    """

    reason: str
    header: str
    expected: str

    def __init__(self, reason: str, header: str, expected: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown IdentityError reason {reason!r}")
        self.reason = reason
        self.header = header
        self.expected = expected
        super().__init__(f"{header}: {REASONS[reason]} ({reason}); expected {expected}")

    def __reduce__(self) -> tuple[type[IdentityError], tuple[str, str, str]]:
        return (type(self), (self.reason, self.header, self.expected))


class ConfigurationError(RemoteIdentityError, ValueError):
    """The library was configured with a value it cannot use.

    Raised when objects are built (``TrustedProxies``, ``HeaderScheme``, the middleware),
    so a bad configuration stops the application at start-up instead of at request time.

    Attributes:
        option: the option at fault, as its keyword argument is spelled
            (``"trusted_proxies"``, ``"shared_secret"``, ``"username_case"``), or ``None``.
        reason: one of the keys of :data:`CONFIGURATION_REASONS`, or ``None`` for an error
            raised with a message only (``ConfigurationError("message")``).
    """

    option: str | None
    reason: str | None

    def __init__(
        self, message: str, *, option: str | None = None, reason: str | None = None
    ) -> None:
        if reason is not None and reason not in CONFIGURATION_REASONS:
            raise ValueError(f"unknown ConfigurationError reason {reason!r}")
        self.option = option
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_configuration_error, (type(self), str(self), self.option, self.reason))


def _rebuild_configuration_error(
    cls: type[ConfigurationError], message: str, option: str | None, reason: str | None
) -> ConfigurationError:
    return cls(message, option=option, reason=reason)


class InvalidAssertion(IdentityError):
    """A signed identity assertion (a JWT from the proxy) that failed verification.

    Its ``reason`` is one of the ``assertion_*`` codes of :data:`REASONS`; ``header`` is
    the request header that carried the token; ``expected`` says what a valid token has.
    Neither the message nor the attributes ever contain the token or its claims.
    """

    def __init__(self, reason: str, header: str, expected: str) -> None:
        if not reason.startswith("assertion_"):
            raise ValueError(f"{reason!r} is not an assertion reason")
        super().__init__(reason, header, expected)
