"""The Django application: add ``"remote_identity_django"`` to ``INSTALLED_APPS``
so that its system checks run and its table (the stored sync fingerprints) exists."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["RemoteIdentityConfig"]


class RemoteIdentityConfig(AppConfig):
    """Registers the system checks of :mod:`remote_identity_django.checks` and
    :mod:`remote_identity_django.policy_checks`."""

    name = "remote_identity_django"
    verbose_name = "Remote identity"

    def ready(self) -> None:
        from . import checks, policy_checks  # noqa: F401  (registers the checks)
