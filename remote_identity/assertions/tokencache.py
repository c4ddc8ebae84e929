"""The cache of verified tokens: a browser that sends the same assertion on every
request pays for one signature check, then a dictionary lookup.

An entry is the result of a successful verification and nothing else: a token that
failed is never stored. It is used until the token expires (``exp`` plus the leeway,
exactly when a new verification would start refusing it) and only while the key that
verified it is still trusted by its key source: when the issuer stops publishing a key,
every token it signed is verified again. The cache holds at most ``size`` tokens and
drops the oldest first. Lookups take no lock; inserts take a short one.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from .claims import VerifiedAssertion

__all__ = ["TokenCache"]


class _Entry(NamedTuple):
    value: VerifiedAssertion
    expires_at: float  # seconds since the epoch
    fingerprint: str  # of the key that verified the token


class TokenCache:
    """At most ``size`` verified tokens (0 disables the cache)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: float) -> tuple[VerifiedAssertion, str] | None:
        """The value stored for ``token`` and its key's fingerprint, if not expired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if now >= entry.expires_at:
            self.discard(token)
            return None
        return entry.value, entry.fingerprint

    def put(
        self, token: str, value: VerifiedAssertion, expires_at: float, fingerprint: str
    ) -> None:
        """Remember a verified token until ``expires_at`` (seconds since the epoch)."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries.pop(token, None)
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[token] = _Entry(value, expires_at, fingerprint)

    def discard(self, token: str) -> None:
        """Forget ``token`` (expired, or its key is no longer trusted)."""
        with self._lock:
            self._entries.pop(token, None)
