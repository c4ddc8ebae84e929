"""Every exception the library raises, in one hierarchy.

``RemoteIdentityError`` is the base. Two kinds derive from it:

- ``IdentityError``: a request's identity headers are not acceptable. Raised at request
  time, always with a stable machine-readable ``reason`` and the ``header`` at fault.
- ``ConfigurationError``: the library was configured wrongly (a malformed trusted proxy,
  an unknown scheme, a string where a list is expected). Raised at construction time,
  never while serving a request.

Both are ``ValueError`` subclasses, so code that already catches ``ValueError`` keeps
working.
"""

from __future__ import annotations

__all__ = ["REASONS", "ConfigurationError", "IdentityError", "RemoteIdentityError"]

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
    """


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
