"""How a sync reads and writes a user: fields, flags, groups and the stored fingerprint.

:class:`~remote_identity_django.backends.RemoteIdentityBackend` decides *when* to sync;
this module is the *how*, the same for a first sign-in and for a re-sync, following the
rules of :mod:`~remote_identity_django.rules` (what the proxy owns).

Statements, kept few because a changed identity is synced inside a request: the user's
row lock with the synced fields (databases with row locks only), one read of the user's
memberships and the wanted groups together, the writes of what differs, and the
fingerprint (one upsert).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone

from remote_identity import Identity

from . import statements
from .audit import AuditEvent
from .models import SyncState
from .rules import rules, target_groups
from .users import FINGERPRINT_ATTR

__all__ = ["apply_fields", "create", "lock_and_refresh", "sync_groups", "write_state"]


def lock_and_refresh(user: Any, database: str) -> None:
    """Lock the user's row until the sync commits, and re-read the synced fields.

    Concurrent syncs of one user (several requests after a change) then run one after
    the other, each comparing the identity with what the previous one committed, never
    with a stale copy: the fields and groups always end as one whole identity's, and the
    stored fingerprint as the identity of the sync that committed last.

    Databases without row locks (SQLite) skip this statement: there, concurrent writers
    are serialized by the database lock; set SQLite's ``"transaction_mode": "IMMEDIATE"``
    option to serialize the reads of a sync too.
    """
    if not connections[database].features.has_select_for_update:
        return
    fields = rules().fields
    manager = user.__class__._default_manager.db_manager(database)
    row = manager.select_for_update().filter(pk=user.pk).values(*fields).get()
    for field in fields:
        setattr(user, field, row[field])


def apply_fields(
    user: Any, identity: Identity, groups: Sequence[str]
) -> tuple[list[str], list[AuditEvent]]:
    """Set the mapped attributes and the flags on ``user`` (not saved).

    Returns the names of the fields that changed and their audit events
    (``field_changed``, ``flag_granted``, ``flag_revoked``).
    """
    found = rules()
    changed: list[str] = []
    events: list[AuditEvent] = []
    for field, source in found.attributes:
        value = "" if source is None else getattr(identity, source)
        # The core reports an empty or unusable e-mail header as None. When the scheme
        # has an e-mail header, that means "no address": clear it, as the proxy's
        # directory did. Other fields the proxy did not send are left alone.
        if value is None and source == "email" and found.clears_email:
            value = ""
        if value is not None and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
            events.append(AuditEvent("field_changed", field))
    member_of = {*groups, *found.defaults}
    for flag, flag_groups in found.flags:
        value = not member_of.isdisjoint(flag_groups)
        if getattr(user, flag) != value:
            setattr(user, flag, value)
            changed.append(flag)
            events.append(AuditEvent("flag_granted" if value else "flag_revoked", flag))
    return changed, events


def create(user: Any, groups: Sequence[str], fingerprint: str, database: str) -> list[str]:
    """Insert the new ``user`` (its fields set), its proxy-owned groups and its
    fingerprint; the names of the groups it was added to. Call it in a transaction.

    On PostgreSQL the user, its memberships of the groups that exist and its fingerprint
    are one statement (:func:`~remote_identity_django.statements.create_user`), when the
    ORM's ``save()`` would do nothing more (no ``pre_save``/``post_save`` receiver, no
    ``save()`` of the model's own, ...); elsewhere three: the user's ``INSERT``, its
    groups, its fingerprint. Groups that must be created are created after, either way.
    """
    target = target_groups(groups)
    inserted = statements.create_user(user, target, fingerprint, timezone.now(), database)
    if inserted is None:
        user.save(force_insert=True, using=database)
        added, _ = sync_groups(user, groups, database, new=True)
        write_state(user, fingerprint, database, created=True)
        return added
    setattr(user, FINGERPRINT_ATTR, fingerprint)
    return _joined(user, target, inserted, database)


def sync_groups(
    user: Any, groups: Sequence[str], database: str, *, new: bool = False
) -> tuple[list[str], list[str]]:
    """Add and remove the proxy-owned groups that differ: ``(added, removed)``.

    ``new``: the user was just created and has no membership (one read less; where the
    database allows, its memberships are written by one ``INSERT ... SELECT``).
    """
    found = rules()
    target = target_groups(groups)
    if found.mirror is False and not target:
        return [], []
    if new and target and statements.can_insert_from_select(user, database):
        inserted = statements.add_to_existing_groups(user, target, database)
        return _joined(user, target, inserted, database), []
    current, existing = statements.memberships(user, target, database, new=new)
    keep = frozenset(target)
    removed = [name for name in current if found.is_mirrored(name) and name not in keep]
    added = [name for name in target if name not in current]
    if removed:
        user.groups.remove(*(current[name] for name in removed))
    return _create_and_add(user, added, existing, database), removed


def _joined(user: Any, target: Sequence[str], inserted: set[str], database: str) -> list[str]:
    """The groups of ``target`` a new user was added to: those ``inserted`` by one
    statement, then those created and added now."""
    missing = [name for name in target if name not in inserted]
    return [
        *(name for name in target if name in inserted),
        *_create_and_add(user, missing, {}, database),
    ]


def _create_and_add(
    user: Any, names: Sequence[str], existing: dict[str, Any], database: str
) -> list[str]:
    """Add ``user`` to the groups ``names`` (``existing``: name -> pk of those that
    exist), creating the missing ones that may be created; the names added."""
    found = rules()
    groups = Group._default_manager.db_manager(database)
    # Sorted: concurrent syncs then create shared groups in one order (no deadlock).
    for name in sorted(names):
        if name not in existing and (found.create_groups or name in found.defaults):
            existing[name] = groups.get_or_create(name=name)[0].pk
    added = [name for name in names if name in existing]
    if added:
        user.groups.add(*(existing[name] for name in added))
    return added


def write_state(user: Any, fingerprint: str, database: str, *, created: bool) -> None:
    """Store ``fingerprint`` as the user's last sync: one INSERT, or one upsert."""
    now = timezone.now()
    if created:
        statements.insert_state(user, fingerprint, now, database, created=True)
    elif not statements.upsert_state(user, fingerprint, now, database):
        manager = SyncState._default_manager.db_manager(database)
        if not manager.filter(user=user).update(fingerprint=fingerprint, synced_at=now):
            manager.create(user=user, fingerprint=fingerprint, synced_at=now)
    setattr(user, FINGERPRINT_ATTR, fingerprint)
