"""BASELINE FOR COMPARISON ONLY, NOT PART OF THE LIBRARY: the "advanced integration" that
Authelia's "Integrate with Django" page tells people to paste, written again here from
its description so that the benchmarks can measure what people run today.

What it does, as described there: Django's ``RemoteUserMiddleware`` reading
``HTTP_REMOTE_USER`` from any peer, and a ``RemoteUserBackend`` subclass that on every
login copies ``Remote-Name`` into ``last_name`` and ``Remote-Email`` into ``email`` as
the raw header strings, replaces the user's groups with ``groups.set(...)`` when they
differ (existing groups only), sets ``is_staff = True``, and calls a full ``save()``.
It syncs only at login: a signed-in session keeps what it had until the next login.

One adaptation for the Django versions this project supports: since Django 4.1,
``RemoteUserBackend.authenticate`` calls ``configure_user(request, user, created)`` on
every login, and Django 5.0 requires the ``created`` argument. So ``configure_user``
takes it here and the guide's extra call from ``authenticate`` is left out (kept, it
would run the whole sync twice per login).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.contrib.auth.models import Group
from django.http import HttpRequest

__all__ = ["HttpRemoteUserMiddleware", "RemoteExtendedUserBackend"]


class HttpRemoteUserMiddleware(RemoteUserMiddleware):
    """The guide's middleware (and the stock stack's): Django's own, on ``Remote-User``."""

    header = "HTTP_REMOTE_USER"


class RemoteExtendedUserBackend(RemoteUserBackend):
    """The guide's backend: name, email, groups and ``is_staff`` copied at every login."""

    excluded_groups: frozenset[str] = frozenset()
    header_name = "HTTP_REMOTE_NAME"
    header_groups = "HTTP_REMOTE_GROUPS"
    header_email = "HTTP_REMOTE_EMAIL"

    def configure_user(self, request: HttpRequest, user: Any, created: bool = True) -> Any:  # type: ignore[override]
        meta = request.META
        if self.header_name in meta:
            user.last_name = meta[self.header_name]
        if self.header_email in meta:
            user.email = meta[self.header_email]
        if self.header_groups in meta:
            self.update_groups(user, meta[self.header_groups])
        if self.user_has_to_be_staff(user):
            user.is_staff = True
        user.save()
        return user

    def user_has_to_be_staff(self, user: Any) -> bool:
        return True

    def update_groups(self, user: Any, remote_groups: str) -> None:
        """Replace the user's groups with the existing groups named in the header."""
        current = frozenset(user.groups.values_list("name", flat=True).iterator())
        preserved = current & self.excluded_groups
        current = current - self.excluded_groups
        target = frozenset(
            name for name in map(self.clean_groupname, remote_groups.split(",")) if name is not None
        )
        target = target - self.excluded_groups
        if target != current:
            wanted = target | preserved
            user.groups.set(list(Group.objects.filter(name__in=wanted).iterator()))

    def clean_groupname(self, groupname: str) -> str:
        return groupname
