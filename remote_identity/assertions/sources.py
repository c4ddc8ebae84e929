"""Where verification keys come from, and how long they are kept.

Three sources, one rule set:

- ``StaticKeys``: a JWKS given in the configuration; never fetched, never changes.
- ``RefreshingKeys``: one document (a JWKS or Google's PEM map, at a pinned URL or in a
  file) re-read when its time to live ends, or when a token names an unknown ``kid``.
- ``PerKidKeys``: one PEM document per key id under a pinned base URL (AWS ALB); the
  ``kid`` is accepted only as a plain path segment, so a token cannot steer the URL.

The rules (each source applies them under its own lock):

- Keys live for ``ttl`` seconds, or for the publisher's shorter ``Cache-Control:
  max-age`` (never shorter than ``cooldown``).
- Two fetches are never closer together than ``cooldown`` seconds, whatever triggers
  them: a client sending random ``kid`` values causes at most one fetch per cooldown.
- A failed fetch keeps the last good keys in use and is logged on
  ``remote_identity.assertions``; the next attempt comes after ``cooldown``.
- One fetch at a time (single flight). While keys expire, the request that wins the lock
  refreshes them and every other request goes on with the current keys; a request that
  has no usable key (first use, unknown ``kid``) waits for the fetch in flight, never
  longer than one fetch can take.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Protocol

from .fetch import Fetched, FetchError
from .keys import KeySet, KeySourceError, PublicKey

__all__ = ["KeyLookupError", "KeySource", "PerKidKeys", "RefreshingKeys", "StaticKeys"]

logger = logging.getLogger("remote_identity.assertions")

Clock = Callable[[], float]

#: A key id that may be put in a URL path: letters, digits, ``-`` and ``_`` (ALB uses UUIDs).
SAFE_KID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_MISSING_STATUSES = frozenset({403, 404, 410})  # S3-style stores answer 403 for a missing key
_NEVER = float("-inf")


class KeyLookupError(Exception):
    """No key for a token: ``reason`` is an ``assertion_*`` code, ``expected`` says why."""

    def __init__(self, reason: str, expected: str) -> None:
        super().__init__(expected)
        self.reason = reason
        self.expected = expected


class KeySource(Protocol):
    """What the verifier asks of a key source."""

    where: str

    def candidates(self, kid: str | None) -> tuple[PublicKey, ...]:
        """The keys a token naming ``kid`` may be signed with; ``KeyLookupError`` if none."""

    def trusts(self, fingerprint: str) -> bool:
        """Is the key with this fingerprint still among the trusted keys?"""


class StaticKeys:
    """A key set fixed at configuration time."""

    def __init__(self, keys: KeySet, where: str) -> None:
        self.keys = keys
        self.where = where

    def candidates(self, kid: str | None) -> tuple[PublicKey, ...]:
        found = self.keys.candidates(kid)
        if found is None:
            raise KeyLookupError("assertion_unknown_key", f"a key id of {self.where}")
        return found

    def trusts(self, fingerprint: str) -> bool:
        return fingerprint in self.keys.fingerprints


class _Throttled:
    """What both fetching sources share: the pinned location, the time to live, and the
    rule that keeps a client from hammering the key server: one read at a time (a
    request waits at most ``wait`` seconds for another's), at most one per
    ``cooldown``."""

    def __init__(self, where: str, *, ttl: float, cooldown: float, wait: float, clock: Clock):
        self.where = where
        self._ttl = ttl
        self._cooldown = cooldown
        self._wait = wait
        self._clock = clock
        self._lock = threading.Lock()
        self._last_attempt = _NEVER

    def _enter(self, wait: bool) -> bool:
        """Take the read lock, waiting up to ``wait`` seconds if ``wait``; ``False`` when
        another request holds it."""
        lock = self._lock
        return lock.acquire(timeout=self._wait) if wait else lock.acquire(blocking=False)

    def _may_read(self, now: float) -> bool:
        """Under the lock: whether a read may start at ``now`` (none started within the
        cooldown); a read that may start is counted as attempted."""
        if now - self._last_attempt < self._cooldown:
            return False
        self._last_attempt = now
        return True


class RefreshingKeys(_Throttled):
    """One key document, re-read when it expires or names no key a token needs.

    Args:
        load: reads the document (``fetch_url`` or ``read_file``, bound to its location).
        parse: turns the document into a ``KeySet`` (``KeySourceError`` when unusable).
        where: the location, for messages and logs.
        ttl: seconds the keys are used before they are re-read.
        cooldown: the least time between two reads.
        wait: the longest a request waits for another request's read.
        clock: a monotonic clock.
        initial: keys already read (a key file is read at configuration time).
    """

    def __init__(
        self,
        load: Callable[[], Fetched],
        parse: Callable[[bytes], KeySet],
        *,
        where: str,
        ttl: float,
        cooldown: float,
        wait: float,
        clock: Clock,
        initial: KeySet | None = None,
    ) -> None:
        super().__init__(where, ttl=ttl, cooldown=cooldown, wait=wait, clock=clock)
        self._load = load
        self._parse = parse
        self._keys = initial
        now = clock()
        self._expires = now + ttl if initial is not None else _NEVER
        self._last_attempt = now if initial is not None else _NEVER

    def candidates(self, kid: str | None) -> tuple[PublicKey, ...]:
        keys = self._current()
        if keys is None:
            raise KeyLookupError("assertion_keys_unavailable", f"the keys of {self.where}")
        found = keys.candidates(kid)
        if found is None:
            keys = self._refresh(lambda ks: ks is None or ks.candidates(kid) is None, wait=True)
            found = keys.candidates(kid) if keys is not None else None
            if found is None:
                raise KeyLookupError("assertion_unknown_key", f"a key id of {self.where}")
        return found

    def trusts(self, fingerprint: str) -> bool:
        keys = self._keys  # the fast path of _current, inline: it runs on every request
        if keys is None or self._clock() >= self._expires:
            keys = self._current()
        return keys is not None and fingerprint in keys.fingerprints

    def _current(self) -> KeySet | None:
        keys = self._keys
        if keys is not None and self._clock() < self._expires:
            return keys
        return self._refresh(lambda ks: ks is None or self._clock() >= self._expires, keys is None)

    def _refresh(self, needed: Callable[[KeySet | None], bool], wait: bool) -> KeySet | None:
        """Read the document if ``needed`` still holds under the lock and no read was
        attempted within the cooldown; return the keys in use afterwards."""
        if not self._enter(wait):
            return self._keys  # another request is reading: go on with what we have
        try:
            now = self._clock()
            if not needed(self._keys) or not self._may_read(now):
                return self._keys
            try:
                fetched = self._load()
                keys = self._parse(fetched.body)
            except (FetchError, KeySourceError) as error:
                self._failed(error, now)
                return self._keys
            self._accept(keys, fetched, now)
            return keys
        finally:
            self._lock.release()

    def _failed(self, error: Exception, now: float) -> None:
        self._expires = now + self._cooldown
        extra = {"reason": "assertion_keys_unavailable", "source": self.where}
        if self._keys is None:
            logger.error("no keys from %s: %s", self.where, error, extra=extra)
        else:
            logger.warning(
                "keys from %s could not be refreshed (%s); the last good keys stay in use",
                self.where,
                error,
                extra=extra,
            )

    def _accept(self, keys: KeySet, fetched: Fetched, now: float) -> None:
        ttl = self._ttl
        if fetched.max_age is not None:
            ttl = min(ttl, max(fetched.max_age, self._cooldown))
        if self._keys is not None and self._keys.fingerprints != keys.fingerprints:
            logger.info("keys from %s changed: now %s", self.where, sorted(keys.by_kid))
        self._keys = keys
        self._expires = now + ttl


class PerKidKeys(_Throttled):
    """One PEM public key per key id, at ``<base_url>/<kid>`` (AWS ALB).

    Args:
        base_url: the pinned base URL, without a trailing slash.
        load: reads one URL (``fetch_url`` bound to its timeout).
        parse: turns the document and its ``kid`` into a ``PublicKey``.
        ttl, cooldown, wait, clock: as for ``RefreshingKeys``.
        max_kids: how many key ids are kept (the oldest is dropped first).
    """

    def __init__(
        self,
        base_url: str,
        load: Callable[[str], Fetched],
        parse: Callable[[bytes, str], PublicKey],
        *,
        ttl: float,
        cooldown: float,
        wait: float,
        clock: Clock,
        max_kids: int = 64,
    ) -> None:
        super().__init__(base_url, ttl=ttl, cooldown=cooldown, wait=wait, clock=clock)
        self._load = load
        self._parse = parse
        self._max_kids = max_kids
        self._entries: dict[str, tuple[PublicKey, float]] = {}
        self._prints: frozenset[str] = frozenset()

    def candidates(self, kid: str | None) -> tuple[PublicKey, ...]:
        if kid is None or not SAFE_KID.fullmatch(kid):
            raise KeyLookupError(
                "assertion_unknown_key", "a 'kid' of letters, digits, '-' and '_' (a UUID)"
            )
        entry = self._entries.get(kid)
        if entry is not None and self._clock() < entry[1]:
            return (entry[0],)
        try:
            return (self._refresh(kid, wait=entry is None),)
        except KeyLookupError:
            if entry is not None:
                return (entry[0],)  # the last good key of this kid stays in use
            raise

    def trusts(self, fingerprint: str) -> bool:
        return fingerprint in self._prints

    def _refresh(self, kid: str, wait: bool) -> PublicKey:
        unknown = KeyLookupError("assertion_unknown_key", f"a key id published under {self.where}")
        if not self._enter(wait):
            raise unknown
        try:
            now = self._clock()
            entry = self._entries.get(kid)
            if entry is not None and now < entry[1]:
                return entry[0]  # read by the request we waited for
            if not self._may_read(now):
                raise unknown
            url = f"{self.where}/{kid}"
            try:
                key = self._parse(self._load(url).body, kid)
            except FetchError as error:
                self._failed(url, error)
                if error.status in _MISSING_STATUSES:
                    raise unknown from None
                raise KeyLookupError("assertion_keys_unavailable", f"the key at {url}") from None
            except KeySourceError as error:
                self._failed(url, error)
                raise KeyLookupError("assertion_keys_unavailable", f"the key at {url}") from None
            self._entries.pop(kid, None)
            self._entries[kid] = (key, now + self._ttl)
            while len(self._entries) > self._max_kids:
                del self._entries[next(iter(self._entries))]
            self._prints = frozenset(k.fingerprint for k, _ in self._entries.values())
            return key
        finally:
            self._lock.release()

    def _failed(self, url: str, error: Exception) -> None:
        logger.warning(
            "key from %s could not be read: %s",
            url,
            error,
            extra={"reason": "assertion_keys_unavailable", "source": url},
        )
