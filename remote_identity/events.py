"""Quiet under attack: security records rate-limited per peer and reason, every one counted.

The threat: a client spraying spoofed identity headers makes the gate write a WARNING
record per request. That fills the disk, buries the one record that matters, and costs
each request a log record. :class:`SecurityLog` writes at most one record per
``(peer, reason)`` per ``interval`` (10 seconds); the next record says how many were
suppressed in between. Memory stays bounded when an attacker cycles source addresses:
at most ``max_peers`` windows are kept; past that, the peers without a window share one
window per reason. Nothing goes uncounted: every event adds one to its reason's count,
whether or not a record is written, and :func:`refusal_counts` (or
``IdentityGate.refusals``) reads the counts for a metrics exporter.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["INTERVAL", "MAX_PEERS", "SecurityLog", "refusal_counts"]

#: Seconds between two records of one ``(peer, reason)``.
INTERVAL = 10.0
#: Most peers with a window of their own; others share one window per reason.
MAX_PEERS = 1024
# Seconds between two sweeps of expired windows when the table is full: a sweep visits
# every window, so an attacker filling the table must not trigger one per request.
_SWEEP_EVERY = 1.0


class _Others:
    """The key of the window shared by peers that found the table full."""

    def __repr__(self) -> str:
        return "other peers"


OTHERS: Any = _Others()

_live: weakref.WeakSet[SecurityLog] = weakref.WeakSet()


class SecurityLog:
    """Counts security events and writes their records, rate-limited.

    Args:
        interval: seconds between two records of one ``(peer, reason)``.
        max_peers: most windows kept (see the module docstring).
        clock: the monotonic clock, in seconds (tests pass their own).
    """

    __slots__ = (
        "__weakref__",
        "_clock",
        "_counts",
        "_lock",
        "_next_sweep",
        "_windows",
        "interval",
        "max_peers",
    )

    def __init__(
        self,
        *,
        interval: float = INTERVAL,
        max_peers: int = MAX_PEERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.max_peers = max_peers
        self._clock = clock
        self._counts: dict[str, int] = {}
        # (peer, reason) -> [end of the window, records suppressed in it]
        self._windows: dict[tuple[object, str], list[Any]] = {}
        self._next_sweep = 0.0
        self._lock = threading.Lock()
        _live.add(self)

    @property
    def counts(self) -> dict[str, int]:
        """A copy of the count of every event so far, by reason code."""
        with self._lock:
            return dict(self._counts)

    def record(
        self,
        logger: logging.Logger,
        reason: str,
        peer: object,
        message: str,
        *args: object,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        """Count one event of ``reason`` from ``peer``; log it at WARNING unless a record of
        the same ``(peer, reason)`` was written less than ``interval`` seconds ago.

        The record's ``extra`` gets ``reason``, ``peer`` and ``suppressed`` (how many
        records were left out since the last one); its message says so when that is not
        zero.
        """
        admitted = self.count(logger, reason, peer)
        if admitted is not None:
            self.write(logger, admitted, reason, peer, message, *args, extra=extra)

    def count(self, logger: logging.Logger, reason: str, peer: object) -> tuple[int, int] | None:
        """Count one event; ``(suppressed from this peer, from other peers)`` when its record
        is to be written now (see :meth:`write`), ``None`` when it is suppressed.

        The first half of :meth:`record`, for callers that build the record only when it
        is written.
        """
        with self._lock:
            self._counts[reason] = self._counts.get(reason, 0) + 1
            if not logger.isEnabledFor(logging.WARNING):
                return None
            return self._admit(peer, reason)

    def write(
        self,
        logger: logging.Logger,
        admitted: tuple[int, int],
        reason: str,
        peer: object,
        message: str,
        *args: object,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        """Write the record :meth:`count` admitted."""
        own, others = admitted
        notes = []
        if own:
            notes.append(f"{own} similar records suppressed")
        if others:
            notes.append(f"{others} similar records from other peers suppressed")
        if notes:
            message = f"{message} ({'; '.join(notes)})"
        logger.warning(
            message,
            *args,
            extra={**(extra or {}), "reason": reason, "peer": peer, "suppressed": own + others},
        )

    def _admit(self, peer: object, reason: str) -> tuple[int, int] | None:
        """``(suppressed from this peer, suppressed from other peers)`` to report if a
        record may be written now, else ``None`` (and one more is suppressed)."""
        now = self._clock()
        windows = self._windows
        shared_key = (OTHERS, reason)
        key = (peer, reason)
        window = windows.get(key)
        if window is None and len(windows) >= self.max_peers:
            if now >= self._next_sweep:
                self._sweep(now)
            if len(windows) >= self.max_peers:
                key = shared_key
                window = windows.get(key)
        if window is not None and now < window[0]:
            window[1] += 1
            return None
        own = 0 if window is None else window[1]
        windows[key] = [now + self.interval, 0]
        if key is shared_key:
            return 0, own
        # What the peers without a window of their own left behind is said by the next
        # record of the same reason, once their window has passed.
        shared = windows.get(shared_key)
        if shared is None or now < shared[0] or not shared[1]:
            return own, 0
        del windows[shared_key]
        return own, shared[1]

    def _sweep(self, now: float) -> None:
        """Drop expired windows; their unreported suppressions go to the shared window."""
        self._next_sweep = now + _SWEEP_EVERY
        windows = self._windows
        # The shared windows stay (one per reason at most): they carry what others left.
        expired = [key for key, (end, _) in windows.items() if end <= now and key[0] is not OTHERS]
        for key in expired:
            _, suppressed = windows.pop(key)
            if suppressed:
                shared = windows.setdefault((OTHERS, key[1]), [now, 0])
                shared[1] += suppressed


def refusal_counts() -> dict[str, int]:
    """Every refusal counted in this process so far, by reason code, summed over all gates.

    For a metrics exporter: each call reads the counters of every live ``IdentityGate``
    (every WSGI, ASGI and Django layer builds one). A gate's own counts are
    ``IdentityGate.refusals``.
    """
    total: dict[str, int] = {}
    for log in list(_live):
        for reason, count in log.counts.items():
            total[reason] = total.get(reason, 0) + count
    return total
