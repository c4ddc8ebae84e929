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
