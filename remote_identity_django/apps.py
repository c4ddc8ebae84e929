"""The Django application: add ``"remote_identity_django"`` to ``INSTALLED_APPS``
so that its system checks run."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["RemoteIdentityConfig"]


class RemoteIdentityConfig(AppConfig):
    """Registers the system checks of :mod:`remote_identity_django.checks`."""

    name = "remote_identity_django"
    verbose_name = "Remote identity"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
