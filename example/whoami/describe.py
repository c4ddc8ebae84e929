"""What the site knows about the request's user, and why: one dict for pages and JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from remote_identity.gate import VERDICT_KEY, Verdict
from remote_identity_django.users import stored_fingerprint

from .apps import LAST_SYNC_SESSION_KEY

#: The environ keys of two Authelia headers, as the application sees them after the gate.
SHOWN_META_KEYS = ("HTTP_REMOTE_USER", "HTTP_REMOTE_GROUPS")


def describe(request: HttpRequest) -> dict[str, Any]:
    """The user, the last sync, and the gate's verdict (header names, never values)."""
    user: Any = request.user  # a user model instance or AnonymousUser
    signed_in = bool(user.is_authenticated)
    last_sync = request.session.get(LAST_SYNC_SESSION_KEY) if signed_in else None
    # What the adapter last synced into the user, loaded with it (no extra query); None
    # for a user the proxy never synced, or signed in otherwise.
    fingerprint = stored_fingerprint(user) if signed_in else None
    verdict = request.META.get(VERDICT_KEY)
    return {
        "authenticated": signed_in,
        "username": user.get_username() if signed_in else None,
        "name": user.get_full_name() if signed_in else None,
        "email": user.email if signed_in else None,
        # Sorted here, not by the database: the same order on SQLite and PostgreSQL.
        "groups": sorted(user.groups.values_list("name", flat=True)) if signed_in else [],
        "is_staff": bool(user.is_staff),
        "is_superuser": bool(user.is_superuser),
        "last_sync_changed": list(last_sync["changed"]) if last_sync else [],
        "last_sync_created": bool(last_sync["created"]) if last_sync else False,
        "last_sync_at": last_sync["at"] if last_sync else None,
        "fingerprint": fingerprint if isinstance(fingerprint, str) else None,
        "peer": verdict.peer if isinstance(verdict, Verdict) else request.META.get("REMOTE_ADDR"),
        "verdict": _verdict(verdict),
        "meta": {key: request.META.get(key) for key in SHOWN_META_KEYS},
    }


def _verdict(verdict: object) -> dict[str, Any] | None:
    if not isinstance(verdict, Verdict):
        return None
    return {
        "outcome": verdict.outcome,
        "trusted": verdict.trusted,
        "reason": verdict.error.reason if verdict.error else None,
        "header": verdict.error.header if verdict.error else None,
        "stripped": list(verdict.stripped),
    }


def why_anonymous(info: dict[str, Any]) -> str:
    """One sentence for a visitor who is not signed in."""
    verdict = info["verdict"]
    if verdict is None:
        return "The identity gate did not judge this request."
    if not verdict["trusted"] and verdict["stripped"]:
        return (
            f"Your request came from {info['peer']}, which is not a trusted proxy, so its "
            "identity headers were removed before the site saw them."
        )
    if not verdict["trusted"]:
        return (
            f"Your request came from {info['peer']}, which is not a trusted proxy: only the "
            "proxy can sign you in."
        )
    if verdict["reason"]:
        return "The proxy's identity headers were refused."
    return "The proxy sent no user: you are not signed in there, or this page is public."
