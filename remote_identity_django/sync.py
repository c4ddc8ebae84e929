"""How a sync reads and writes a user: fields, flags, groups and the stored fingerprint.

:class:`~remote_identity_django.backends.RemoteIdentityBackend` decides *when* to sync;
this module is the *how*, the same for a first sign-in and for a re-sync. Every rule
about which groups and fields the proxy owns is defined here once, and the user admin
asks the same functions (:func:`proxy_owned_fields`, :func:`proxy_owned_group`).

Statements, kept few because a changed identity is synced inside a request: the user's
row lock with the synced fields (databases with row locks only), one read of the user's
memberships and the wanted groups together, the writes of what differs, and the
fingerprint (one upsert).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import Group
from django.db import connections
from django.db.models.signals import m2m_changed
from django.utils import timezone

from remote_identity import Identity

from .audit import AuditEvent
from .conf import conf, get_gate
from .models import RELATED_NAME, SyncState

__all__ = [
    "NOT_LOADED",
    "apply_fields",
    "lock_and_refresh",
    "proxy_owned_fields",
    "proxy_owned_group",
    "stored_state",
    "sync_groups",
    "target_groups",
    "write_state",
]

#: :func:`stored_state` of a user loaded without its sync state.
NOT_LOADED: Any = object()


def proxy_owned_fields() -> list[str]:
    """The user fields a sync writes: ``USER_ATTR_MAP``'s and ``USER_FLAGS_BY_GROUP``'s."""
    attributes = list(conf.USER_ATTR_MAP)
    return [*attributes, *(flag for flag in conf.USER_FLAGS_BY_GROUP if flag not in attributes)]


def _is_mirrored(name: str) -> bool:
    mirror = conf.MIRROR_GROUPS
    if mirror is False or name in conf.MIRROR_GROUPS_EXCEPT:
        return False
    return mirror is True or name in mirror


def proxy_owned_group(name: str) -> bool:
    """Whether the sync adds or removes the Django group ``name`` (mirrored or default)."""
    return _is_mirrored(name) or name in conf.DEFAULT_GROUPS


def target_groups(groups: Iterable[str]) -> list[str]:
    """The groups the user must be in: the mirrored ones of ``groups``, then the defaults."""
    target = [name for name in groups if _is_mirrored(name)]
    return [*target, *(name for name in conf.DEFAULT_GROUPS if name not in target)]


def stored_state(user: Any) -> SyncState | None:
    """The user's ``SyncState`` as loaded with it: ``None`` if it has none, ``NOT_LOADED``
    if the user was loaded without it (by another backend); never a query."""
    descriptor = getattr(user.__class__, RELATED_NAME, None)  # __class__: lazy objects too
    if descriptor is None or not descriptor.is_cached(user):
        return NOT_LOADED  # type: ignore[no-any-return]
    state: SyncState | None = descriptor.related.get_cached_value(user)
    return state


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
    fields = proxy_owned_fields()
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
    changed: list[str] = []
    events: list[AuditEvent] = []
    # The core reports an empty or unusable e-mail header as None. When the scheme has an
    # e-mail header, that means "no address": clear it, as the proxy's directory did.
    # Other fields the proxy did not send are left alone.
    clears_email = get_gate().scheme.email_header is not None
    for field, source in conf.USER_ATTR_MAP.items():
        value = "" if source is None else getattr(identity, source)
        if value is None and source == "email" and clears_email:
            value = ""
        if value is not None and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
            events.append(AuditEvent("field_changed", field))
    member_of = {*groups, *conf.DEFAULT_GROUPS}
    for flag, flag_groups in conf.USER_FLAGS_BY_GROUP.items():
        value = not member_of.isdisjoint(flag_groups)
        if getattr(user, flag) != value:
            setattr(user, flag, value)
            changed.append(flag)
            events.append(AuditEvent("flag_granted" if value else "flag_revoked", flag))
    return changed, events


def sync_groups(
    user: Any, groups: Sequence[str], database: str, *, new: bool = False
) -> tuple[list[str], list[str]]:
    """Add and remove the proxy-owned groups that differ: ``(added, removed)``.

    ``new``: the user was just created and has no membership (one read less).
    """
    target = target_groups(groups)
    if conf.MIRROR_GROUPS is False and not target:
        return [], []
    if new and target and _can_insert_from_select(user, database):
        inserted = _insert_existing(user, target, database)
        missing = [name for name in target if name not in inserted]
        added = [name for name in target if name in inserted]
        return [*added, *_create_and_add(user, missing, {}, database)], []
    current, found = _memberships(user, target, database, new=new)
    keep = frozenset(target)
    removed = [name for name in current if _is_mirrored(name) and name not in keep]
    added = [name for name in target if name not in current]
    if removed:
        user.groups.remove(*(current[name] for name in removed))
    return _create_and_add(user, added, found, database), removed


def _create_and_add(
    user: Any, names: Sequence[str], found: dict[str, Any], database: str
) -> list[str]:
    """Add ``user`` to the groups ``names`` (``found``: name -> pk of those that exist),
    creating the missing ones that may be created; the names added."""
    defaults = frozenset(conf.DEFAULT_GROUPS)
    groups = Group._default_manager.db_manager(database)
    # Sorted: concurrent syncs then create shared groups in one order (no deadlock).
    for name in sorted(names):
        if name not in found and (conf.CREATE_GROUPS or name in defaults):
            found[name] = groups.get_or_create(name=name)[0].pk
    added = [name for name in names if name in found]
    if added:
        user.groups.add(*(found[name] for name in added))
    return added


def _can_insert_from_select(user: Any, database: str) -> bool:
    """Whether a new user's memberships can be written by one ``INSERT ... SELECT``:
    the database returns rows from an INSERT, and no ``m2m_changed`` receiver expects
    the ORM's signals."""
    through = user.groups.through
    return bool(
        connections[database].features.can_return_rows_from_bulk_insert
        and through._meta.auto_created
        and not m2m_changed.has_listeners(through)
    )


def _insert_existing(user: Any, names: Sequence[str], database: str) -> set[str]:
    """Add a new user to the existing groups among ``names`` in one statement; the names
    of the groups it was added to."""
    relation = user.groups
    through = relation.through._meta
    group = relation.model._meta
    quote = connections[database].ops.quote_name
    table, members = quote(group.db_table), quote(through.db_table)
    name, pk = quote(group.get_field("name").column), quote(group.pk.column)
    member = quote(through.get_field(relation.source_field_name).column)
    target = quote(through.get_field(relation.target_field_name).column)
    marks = ", ".join(["%s"] * len(names))
    sql = (
        f"INSERT INTO {members} ({member}, {target}) "  # noqa: S608
        f"SELECT %s, g.{pk} FROM {table} g WHERE g.{name} IN ({marks}) "
        f"RETURNING (SELECT n.{name} FROM {table} n WHERE n.{pk} = {members}.{target})"
    )
    with connections[database].cursor() as cursor:
        cursor.execute(sql, [user.pk, *names])
        return {row[0] for row in cursor.fetchall()}


def _memberships(
    user: Any, target: Sequence[str], database: str, *, new: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One query: the user's groups (name -> pk) and the target groups that exist.

    Written as SQL from the models' metadata: the ORM's spelling of the same query took
    longer to build than to run. Identifiers come from the models and are quoted; values
    are parameters.
    """
    relation = user.groups
    through = relation.through._meta
    group = relation.model._meta
    quote = connections[database].ops.quote_name
    name, pk = quote(group.get_field("name").column), quote(group.pk.column)
    table = quote(group.db_table)
    parts: list[str] = []
    params: list[Any] = []
    if not new:
        member = quote(through.get_field(relation.source_field_name).column)
        target_column = quote(through.get_field(relation.target_field_name).column)
        parts.append(
            f"SELECT g.{name}, g.{pk}, 1 FROM {quote(through.db_table)} m "  # noqa: S608
            f"INNER JOIN {table} g ON g.{pk} = m.{target_column} WHERE m.{member} = %s"
        )
        params.append(user.pk)
    if target:
        marks = ", ".join(["%s"] * len(target))
        parts.append(f"SELECT {name}, {pk}, 0 FROM {table} WHERE {name} IN ({marks})")  # noqa: S608
        params.extend(target)
    current: dict[str, Any] = {}
    found: dict[str, Any] = {}
    if not parts:
        return current, found
    with connections[database].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for group_name, group_pk, member_flag in cursor.fetchall():
            (current if member_flag else found)[group_name] = group_pk
    return current, found


def write_state(user: Any, fingerprint: str, database: str, *, created: bool) -> None:
    """Store ``fingerprint`` as the user's last sync: one INSERT, or one upsert."""
    state = SyncState(user=user, fingerprint=fingerprint, synced_at=timezone.now())
    manager = SyncState._default_manager.db_manager(database)
    features = connections[database].features
    if created:
        state.created_user = True
        state.save(force_insert=True, using=database)
    elif features.supports_update_conflicts_with_target:
        manager.bulk_create(
            [state],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["fingerprint", "synced_at"],
        )
    elif not manager.filter(user=user).update(
        fingerprint=fingerprint, synced_at=state.synced_at
    ):  # pragma: no cover - databases without INSERT ... ON CONFLICT (Oracle, MySQL)
        state.save(force_insert=True, using=database)
    setattr(user, RELATED_NAME, state)
