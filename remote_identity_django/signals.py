"""Signals sent by the adapter."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["identity_synced"]

#: Sent by ``RemoteIdentityBackend`` after a sync that changed something (or created the
#: user), once its transaction block has ended. ``sender`` is the backend class; keyword
#: arguments: ``user`` (the saved user), ``identity`` (the ``remote_identity.Identity``),
#: ``created`` (the user was created by this sign-in), ``changed`` (a sorted tuple of
#: what changed: field names, ``"groups+NAME"``, ``"groups-NAME"``), ``events`` (the
#: same facts as the audit log: a tuple of
#: :class:`~remote_identity_django.audit.AuditEvent`, e.g.
#: ``AuditEvent("flag_revoked", "is_superuser")``), ``peer`` (the address of the request's
#: peer, the proxy, or ``None``) and ``request`` (the ``HttpRequest`` or ``None``).
identity_synced = Signal()
