"""``Verdict``: what the identity gate decided about one request, and where it is kept.

The keys below are where the WSGI middleware puts its results in the environ (the ASGI
middleware in the scope, the Django adapter in ``request.META``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

from .errors import IdentityError
from .identity import Identity

if TYPE_CHECKING:
    from .assertions.claims import VerifiedAssertion

__all__ = ["ENVIRON_KEY", "ORIG_KEY", "REDACTED", "VERDICT_KEY", "Outcome", "Verdict"]

#: ``environ[ENVIRON_KEY]`` is the request's ``Identity``, or ``None``.
ENVIRON_KEY = "remote_identity"
#: ``environ[VERDICT_KEY]`` is the full ``Verdict``: trust, error, what was stripped.
VERDICT_KEY = "remote_identity.verdict"
#: ``environ[ORIG_KEY]`` maps each environ key the gate removed to its value, saved
#: before removal (the values of the shared secret and of a signed assertion are never
#: kept: :data:`REDACTED` stands for them).
ORIG_KEY = "remote_identity.orig"

#: What ``environ[ORIG_KEY]`` keeps of a value it must not keep (the shared secret, the
#: signed assertion).
REDACTED = "[redacted]"

Outcome = Literal["identity", "anonymous", "rejected"]

# Refusals of the network checks (403); every other refusal is of a value (400).
_NETWORK_REASONS = frozenset({"untrusted_peer", "bad_secret", "ambiguous_peer"})


class Verdict(NamedTuple):
    """What the gate decided about one request.

    Attributes:
        outcome: ``"identity"`` (a user is signed in), ``"anonymous"`` (nobody is) or
            ``"rejected"`` (the request must be refused, see ``error``).
        peer: the TCP peer the decision was based on.
        trusted: whether the network checks held: the peer is a trusted proxy (and the
            shared secret matched, if configured). In signed mode with neither configured
            there is no network check and this is ``False``: the signature alone decided.
        identity: the ``Identity`` when ``outcome == "identity"``, else ``None``.
        error: why the identity headers were refused (also set for an untrusted peer's
            headers, with reason ``"untrusted_peer"``, ``"bad_secret"`` or
            ``"ambiguous_peer"``), or why the signed assertion was (an ``assertion_*``
            reason, or the reason of the name rule a claim breaks).
        stripped: the header names to remove (removed from a WSGI environ by
            :meth:`~remote_identity.gate.IdentityGate.process`), in the scheme's spelling.
        warnings: values left out of the identity (an e-mail address that is not one),
            each an ``IdentityError``; the identity itself was accepted.
        assertion: in signed mode, the ``VerifiedAssertion`` the identity came from (every
            verified claim is in ``assertion.claims``), else ``None``.
    """

    # A named tuple rather than a frozen dataclass: it is built on every request, and a
    # tuple is several times cheaper to build.
    outcome: Outcome
    peer: str | None
    trusted: bool
    identity: Identity | None = None
    error: IdentityError | None = None
    stripped: tuple[str, ...] = ()
    warnings: tuple[IdentityError, ...] = ()
    assertion: VerifiedAssertion | None = None

    def refusal(self) -> tuple[int, str]:
        """The HTTP status and plain-text body refusing a ``"rejected"`` verdict.

        403 for identity headers that failed a network check (an untrusted peer, a wrong
        shared secret), 400 for an invalid identity (a header value, a signed assertion);
        the body names the reason code and the header, never a value.
        """
        error = self.error
        if self.outcome != "rejected" or error is None:
            raise ValueError(f"a {self.outcome!r} verdict is not a refusal")
        text = f"Identity refused: {error.reason} ({error.header}); expected {error.expected}.\n"
        return (403 if error.reason in _NETWORK_REASONS else 400), text
