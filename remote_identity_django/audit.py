"""The audit trail of what the proxy changed in Django: logger ``remote_identity.audit``.

A sync that changes privileges is a security event: a user created, a flag such as
``is_superuser`` granted or revoked, a group added or removed. Each one is written as one
INFO record on ``remote_identity.audit`` with the username, what changed and the peer
of the request that brought it (the proxy), and the same facts go to the
``identity_synced`` signal as ``events`` and ``peer``. Values (names, addresses) are not
logged: a changed field is named, not shown.

Records carry, in ``extra``: ``event`` (one of :data:`EVENTS`), ``username``, ``target``
(the flag, group or field name; the username for ``user_created``) and ``peer``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, NamedTuple

from remote_identity.gate import VERDICT_KEY, Verdict

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["EVENTS", "AuditEvent", "audit_log", "log_events", "request_peer"]

audit_log = logging.getLogger("remote_identity.audit")

Event = Literal[
    "user_created", "flag_granted", "flag_revoked", "group_added", "group_removed", "field_changed"
]
#: Every kind of audit event, in the order a sync produces them.
EVENTS: tuple[Event, ...] = (
    "user_created",
    "flag_granted",
    "flag_revoked",
    "group_added",
    "group_removed",
    "field_changed",
)


class AuditEvent(NamedTuple):
    """One change a sync made: ``AuditEvent("flag_revoked", "is_superuser")``."""

    event: Event
    target: str


def request_peer(request: HttpRequest | None) -> str | None:
    """The peer the gate judged (the proxy), or ``REMOTE_ADDR``; ``None`` without request."""
    if request is None:
        return None
    verdict = request.META.get(VERDICT_KEY)
    if isinstance(verdict, Verdict):
        return verdict.peer
    peer = request.META.get("REMOTE_ADDR")
    return peer if isinstance(peer, str) else None


def log_events(username: str, events: Iterable[AuditEvent], peer: str | None) -> None:
    """One INFO record on ``remote_identity.audit`` per event."""
    if not audit_log.isEnabledFor(logging.INFO):
        return
    for event, target in events:
        audit_log.info(
            "%s: %s (peer %s)",
            username,
            _TEXT[event].format(target),
            peer,
            extra={"event": event, "username": username, "target": target, "peer": peer},
        )


_TEXT: dict[str, str] = {
    "user_created": "user created",
    "flag_granted": "{} granted",
    "flag_revoked": "{} revoked",
    "group_added": "added to group {!r}",
    "group_removed": "removed from group {!r}",
    "field_changed": "{} changed",
}
