"""Server-side sessions, kept in memory, keyed by a digest of the cookie's random token.

Like Authelia's in-memory session provider: a session ends ``expiration`` seconds after
sign-in, or after ``inactivity`` seconds without a request (0 disables that limit).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_SESSIONS = 10_000  # a dev server: past this, the oldest sessions are dropped


@dataclass(slots=True)
class Session:
    """One signed-in browser."""

    username: str
    created: float
    last_seen: float


def _key(token: str) -> str:
    # The store never holds the token itself, so a dump of it signs nobody in.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class SessionStore:
    """Thread-safe map of cookie token -> `Session`."""

    def __init__(
        self,
        *,
        expiration: float = 3600.0,  # Authelia's default `session.expiration: 1h`
        inactivity: float = 300.0,  # Authelia's default `session.inactivity: 5m`
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.expiration = expiration
        self.inactivity = inactivity
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, username: str) -> str:
        """Start a session for ``username``; return the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._prune(now)
            self._sessions[_key(token)] = Session(username, now, now)
        return token

    def get(self, token: str) -> Session | None:
        """The live session of ``token`` (and mark it active), or None."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(_key(token))
            if session is None:
                return None
            if not self._alive(session, now):
                del self._sessions[_key(token)]
                return None
            session.last_seen = now
            return session

    def destroy(self, token: str) -> None:
        """End the session of ``token`` if there is one."""
        with self._lock:
            self._sessions.pop(_key(token), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _alive(self, session: Session, now: float) -> bool:
        if now - session.created >= self.expiration:
            return False
        return not (self.inactivity and now - session.last_seen >= self.inactivity)

    def _prune(self, now: float) -> None:
        dead = [key for key, s in self._sessions.items() if not self._alive(s, now)]
        for key in dead:
            del self._sessions[key]
        excess = len(self._sessions) - _MAX_SESSIONS + 1
        if excess > 0:
            oldest = sorted(self._sessions, key=lambda k: self._sessions[k].created)[:excess]
            for key in oldest:
                del self._sessions[key]
