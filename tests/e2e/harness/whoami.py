"""What the example site saw: its ``/whoami.json`` answer, as a typed value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import Response


@dataclass(frozen=True)
class Seen:
    """The signed-in user (if any) and the identity gate's verdict, as the site saw them."""

    username: str | None
    name: str | None
    email: str | None
    groups: tuple[str, ...]
    is_staff: bool
    is_superuser: bool
    outcome: str | None  # the gate's verdict: identity, anonymous (rejected never gets here)
    trusted: bool | None
    reason: str | None
    stripped: tuple[str, ...]
    peer: str | None
    remote_user: str | None  # what HTTP_REMOTE_USER still held when the view ran
    remote_groups: str | None
    last_sync_changed: tuple[str, ...]
    last_sync_created: bool
    assertion_key: str | None  # signed mode: the key that verified the proxy's token

    @classmethod
    def parse(cls, response: Response) -> Seen:
        """Read a 200 ``/whoami.json`` response; ``AssertionError`` for anything else."""
        assert response.status == 200, f"expected 200, got {response.status}: {response.body!r}"
        data: dict[str, Any] = response.json()
        verdict = data.get("verdict") or {}
        meta = data.get("meta") or {}
        return cls(
            username=data["username"] if data["authenticated"] else None,
            name=data.get("name"),
            email=data.get("email"),
            groups=tuple(data["groups"]),
            is_staff=bool(data["is_staff"]),
            is_superuser=bool(data["is_superuser"]),
            outcome=verdict.get("outcome"),
            trusted=verdict.get("trusted"),
            reason=verdict.get("reason"),
            stripped=tuple(verdict.get("stripped") or ()),
            peer=data.get("peer"),
            remote_user=meta.get("HTTP_REMOTE_USER"),
            remote_groups=meta.get("HTTP_REMOTE_GROUPS"),
            last_sync_changed=tuple(data.get("last_sync_changed") or ()),
            last_sync_created=bool(data.get("last_sync_created")),
            assertion_key=verdict.get("assertion_key"),
        )

    def summary(self) -> str:
        """``anonymous`` or ``bob [editors]``, for the attack matrix."""
        if self.username is None:
            return "anonymous"
        return f"{self.username} [{','.join(self.groups)}]"
