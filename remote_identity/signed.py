"""The signed mode of the identity gate: a request's assertion -> its identity.

With ``assertion=`` configured, ``IdentityGate`` takes the identity only from the claims
of the token in the verifier's header, once
:class:`~remote_identity.assertions.verifier.AssertionVerifier` has verified it. The
claims then go through the rules header values go through (:mod:`remote_identity.fields`):
a ``sub`` of ``"admin\\u200b"`` is refused with ``control_character`` as a ``Remote-User``
header would be.

A browser sends the same token with every request. The verifier remembers a verified
token (a dictionary lookup, while the token is valid and its key still published), and
:class:`SignedIdentities` remembers the identity made from each verified assertion, so
the repeated request costs two lookups and no parsing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .assertions.claims import FIELDS
from .fields import ParseResult, identity_from_claims
from .schemes import environ_key

if TYPE_CHECKING:
    from .assertions.claims import VerifiedAssertion
    from .assertions.verifier import AssertionVerifier
    from .policy import ParsingPolicy

__all__ = ["SignedIdentities"]

_CACHE_SIZE = 1024


class SignedIdentities:
    """Verifies the token of a request and makes the identity of its claims.

    The identity gate calls ``verify``, then looks the assertion up in ``results``, and
    calls :meth:`identify` only when it is not there: a repeated token costs two lookups.

    Attributes:
        verifier: the ``AssertionVerifier``.
        verify: its ``verify`` method: the token -> a ``VerifiedAssertion``, or
            ``InvalidAssertion``.
        policy: the ``ParsingPolicy`` the claims are checked with.
        key: the environ key of the verifier's header (``HTTP_X_POMERIUM_JWT_ASSERTION``).
        results: ``id(assertion)`` -> the assertion and the identity of its claims, for
            the assertions made so far (at most 1024). The entry holds the assertion, so
            its id cannot be given to another object while the entry exists.
    """

    __slots__ = ("_labels", "key", "policy", "results", "verifier", "verify")

    def __init__(self, verifier: AssertionVerifier, policy: ParsingPolicy) -> None:
        self.verifier = verifier
        self.verify = verifier.verify
        self.policy = policy
        self.key = environ_key(verifier.header)
        claims = verifier.claims
        # Where each field came from, for the errors: "X-Pomerium-Jwt-Assertion claim 'sub'".
        self._labels = {
            field: f"{verifier.header} claim {claims[field]!r}" if field in claims else ""
            for field in FIELDS
        }
        self.results: dict[int, tuple[VerifiedAssertion, ParseResult]] = {}

    def identify(self, assertion: VerifiedAssertion) -> tuple[VerifiedAssertion, ParseResult]:
        """The identity of ``assertion``'s claims, by the rules of header values,
        remembered in ``results``.

        Raises ``IdentityError`` with the reason of the name rule a claim breaks.
        """
        result = identity_from_claims(
            assertion.username,
            assertion.name,
            assertion.email,
            assertion.groups,
            labels=self._labels,
            policy=self.policy,
        )
        results = self.results
        if len(results) >= _CACHE_SIZE:
            results.clear()
        entry = results[id(assertion)] = (assertion, result)
        return entry
