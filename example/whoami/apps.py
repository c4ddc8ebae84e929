"""App configuration, and the receiver that remembers what the last sync changed."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest
from django.utils import timezone

#: Session key of the last sync's summary: {"changed": [...], "created": bool, "at": ISO}.
LAST_SYNC_SESSION_KEY = "whoami_last_sync"


def remember_last_sync(
    sender: object,
    *,
    changed: tuple[str, ...],
    created: bool,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """``identity_synced`` receiver: keep a summary of the sync in the session."""
    session = getattr(request, "session", None)
    if session is None:  # a sync outside a request (a shell, a management command)
        return
    session[LAST_SYNC_SESSION_KEY] = {
        "changed": list(changed),
        "created": created,
        "at": timezone.now().isoformat(timespec="seconds"),
    }


class WhoamiConfig(AppConfig):
    name = "whoami"
    verbose_name = "Who am I"

    def ready(self) -> None:
        from remote_identity_django.signals import identity_synced

        identity_synced.connect(remember_last_sync, dispatch_uid="whoami.remember_last_sync")
