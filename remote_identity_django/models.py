"""``SyncState``: what was last synced into a user, kept beside the user's row.

The threat it answers: a privilege the proxy revoked must not outlive the request that
brings the change. The fingerprint of the identity (and of the sync configuration) last
written into the user is stored in the database, in the same transaction as the user's
fields and groups, under the user's row lock. ``RemoteIdentityBackend.get_user()`` reads
it in the query that loads the user, so every request compares the proxy's identity with
what the database really holds, whatever another request of the same session did
meanwhile, at no extra query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

__all__ = ["RELATED_NAME", "SyncState"]

#: The reverse accessor on the user model: ``user.remote_identity_sync``.
RELATED_NAME = "remote_identity_sync"


class SyncState(models.Model):
    """One row per user that a ``RemoteIdentityBackend`` synced.

    Attributes:
        user: the user (also the primary key).
        fingerprint: hex SHA-256 of the identity and the sync configuration last synced
            into the user; a request whose expected fingerprint differs re-syncs.
        synced_at: when the sync last wrote something (the fingerprint included).
        created_user: the user was created by a proxy sign-in (not found existing).
    """

    user: models.OneToOneField[Any, Any] = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=RELATED_NAME,
    )
    fingerprint: models.CharField[str, str] = models.CharField(max_length=64)
    synced_at: models.DateTimeField[Any, Any] = models.DateTimeField()
    created_user: models.BooleanField[bool, bool] = models.BooleanField(default=False)

    class Meta:
        verbose_name = "remote identity sync state"
        verbose_name_plural = "remote identity sync states"

    def __str__(self) -> str:
        return f"sync state of user {self.pk}"
