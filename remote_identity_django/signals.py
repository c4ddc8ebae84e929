"""Signals sent by the adapter."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["identity_synced"]

#: Sent by ``RemoteIdentityBackend.sync()`` after a sync that changed something, once
#: its transaction block has ended. ``sender`` is the backend class; keyword arguments:
#: ``user`` (the saved user), ``identity`` (the ``remote_identity.Identity``),
#: ``created`` (the user was created by this login), ``changed`` (a sorted tuple of what
#: changed: field names, ``"groups+NAME"``, ``"groups-NAME"``) and ``request`` (the
#: ``HttpRequest`` or ``None``).
identity_synced = Signal()
