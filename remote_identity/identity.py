"""The ``Identity`` value object: who the proxy says the user is."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Identity"]

# Bump when the canonical form below changes; old fingerprints then never match new ones,
# which makes every session re-sync once instead of trusting a stale comparison.
_FINGERPRINT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Identity:
    """A user identity as asserted by a trusted proxy, already validated and normalized.

    Attributes:
        username: the user's login name, never empty.
        name: the display name, ``None`` when the proxy sent none (``""`` when it sent an
            empty one).
        email: the e-mail address with its domain lower-cased, or ``None``.
        groups: group names, deduplicated, in the order the proxy sent them.
        fingerprint: a hex SHA-256 digest of the canonical content. Stable across
            processes, machines and Python versions (it is not ``hash()``), so a session
            can store it and compare it with the next request's identity.
    """

    username: str
    name: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = ()
    fingerprint: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not self.username:
            raise ValueError("Identity.username must be a non-empty string")
        groups = self.groups
        if isinstance(groups, str):
            raise TypeError("Identity.groups must be an iterable of group names, not a string")
        unique = _unique(groups)
        if unique != groups:
            object.__setattr__(self, "groups", unique)
        canonical = json.dumps(
            [_FINGERPRINT_VERSION, self.username, self.name, self.email, list(self.groups)],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        object.__setattr__(self, "fingerprint", digest)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    """The items without duplicates, first occurrence kept, as a tuple."""
    return tuple(dict.fromkeys(items))
