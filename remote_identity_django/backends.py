"""``RemoteIdentityBackend``: create the user an identity names, and keep it in sync.

The sync writes only what differs from the identity, in one transaction: the user's
fields (``REMOTE_IDENTITY_USER_ATTR_MAP`` and ``REMOTE_IDENTITY_USER_FLAGS_BY_GROUP``,
one ``save(update_fields=...)``) and group membership by difference
(``REMOTE_IDENTITY_MIRROR_GROUPS``, ``..._EXCEPT``, ``..._CREATE_GROUPS``). A sync that
fails on the database denies the login: a user never keeps privileges the proxy took
away because a write failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Exists, OuterRef, Q

from remote_identity import Identity

from .conf import conf, get_gate
from .signals import identity_synced

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

__all__ = ["RemoteIdentityBackend"]

logger = logging.getLogger("remote_identity.django")


class RemoteIdentityBackend(RemoteUserBackend):
    """Authenticates the ``Identity`` the middleware got from a trusted proxy.

    ``authenticate(request, remote_user, identity)`` finds (or, with
    ``REMOTE_IDENTITY_CREATE_UNKNOWN_USER``, creates with an unusable password) the user
    named ``remote_user``, syncs it with ``identity``, then calls Django's
    ``configure_user(request, user, created)`` hook. Called with ``remote_user`` only,
    it behaves like Django's ``RemoteUserBackend``.

    Override :meth:`clean_groupname` to rename or drop proxy groups.
    """

    @property
    def create_unknown_user(self) -> bool:  # type: ignore[override]
        """``REMOTE_IDENTITY_CREATE_UNKNOWN_USER``; a subclass may set a class attribute."""
        return conf.CREATE_UNKNOWN_USER

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        remote_user: str | None,
        identity: Identity | None = None,
    ) -> AbstractBaseUser | None:
        """The user for ``remote_user``, synced with ``identity``; ``None`` to deny."""
        if not remote_user:
            return None
        if identity is not None and identity.username != remote_user:
            logger.warning(
                "login denied: remote_user %r is not the identity's username %r",
                remote_user,
                identity.username,
                extra={"reason": "username_mismatch"},
            )
            return None
        user, created = self._get_user(self.clean_username(remote_user))
        if user is not None and identity is not None:
            try:
                self.sync(user, identity, created=created, request=request)
            except DatabaseError:
                logger.exception(
                    "login of %r denied: the sync with the proxy's identity failed",
                    remote_user,
                    extra={"reason": "sync_failed"},
                )
                return None
        user = self.configure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    async def aauthenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        remote_user: str | None,
        identity: Identity | None = None,
    ) -> AbstractBaseUser | None:
        """See :meth:`authenticate`; the sync runs in a thread (it is transactional)."""
        if identity is not None:
            return await sync_to_async(self.authenticate)(request, remote_user, identity)
        if not remote_user:
            return None
        username = self.clean_username(remote_user)
        user, created = await sync_to_async(self._get_user)(username)
        user = await self.aconfigure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    def _get_user(self, username: str) -> tuple[Any, bool]:
        """The user and whether it was just created; ``(None, False)`` if unknown."""
        user_model = get_user_model()
        manager = user_model._default_manager
        lookup: dict[str, Any] = {str(user_model.USERNAME_FIELD): username}
        if self.create_unknown_user:
            # get_or_create survives a concurrent first request creating the same user.
            user, created = manager.get_or_create(
                **lookup, defaults={"password": make_password(None)}
            )
            return user, created
        try:
            return manager.get_by_natural_key(username), False
        except user_model.DoesNotExist:
            return None, False

    def clean_groupname(self, name: str) -> str | None:
        """The Django group name for the proxy group ``name``, or ``None`` to ignore it.

        Default: ``REMOTE_IDENTITY_GROUP_NAME_MAP.get(name, name)``. Every other group
        setting (mirroring, exceptions, flags) uses the names returned here.
        """
        return conf.GROUP_NAME_MAP.get(name, name)

    def identity_groups(self, identity: Identity) -> tuple[str, ...]:
        """The identity's groups after :meth:`clean_groupname`, in order, deduplicated."""
        names = (self.clean_groupname(name) for name in identity.groups)
        return tuple(dict.fromkeys(name for name in names if name))

    def sync(
        self,
        user: Any,
        identity: Identity,
        *,
        created: bool = False,
        request: HttpRequest | None = None,
    ) -> tuple[str, ...]:
        """Make ``user`` match ``identity``, writing only what differs, in one transaction.

        Returns what changed, sorted: field names and ``"groups+NAME"`` /
        ``"groups-NAME"``. Sends ``identity_synced`` when that is not empty. Database
        errors propagate (the transaction is rolled back).
        """
        groups = self.identity_groups(identity)
        database = router.db_for_write(user.__class__, instance=user)
        with transaction.atomic(using=database):
            _lock_and_refresh(user, database)
            fields = _sync_fields(user, identity, groups)
            if fields:
                user.save(update_fields=fields)
            memberships = _sync_groups(user, groups)
        changed = tuple(sorted([*fields, *memberships]))
        if changed:
            identity_synced.send(
                sender=type(self),
                user=user,
                identity=identity,
                created=created,
                changed=changed,
                request=request,
            )
        return changed


def _lock_and_refresh(user: Any, database: str) -> None:
    """Lock the user's row until the sync commits, and re-read the synced fields.

    Concurrent syncs of one user (several requests after a change) then run one after
    the other, each comparing the identity with what the previous one committed, never
    with a stale copy: the fields and groups always end as one whole identity's.

    Databases without row locks (SQLite) skip this statement: there, concurrent writers
    are serialized by the database lock; set SQLite's ``"transaction_mode": "IMMEDIATE"``
    option to serialize the reads of a sync too.
    """
    if not connections[database].features.has_select_for_update:
        return
    fields = [*conf.USER_ATTR_MAP, *conf.USER_FLAGS_BY_GROUP]
    manager = user.__class__._default_manager.db_manager(database)
    row = manager.select_for_update().filter(pk=user.pk).values(*fields).get()
    for field in fields:
        setattr(user, field, row[field])


def _sync_fields(user: Any, identity: Identity, groups: Iterable[str]) -> list[str]:
    """Set the mapped attributes and the flags; the names of the fields that changed."""
    changed = []
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
    member_of = set(groups)
    for flag, flag_groups in conf.USER_FLAGS_BY_GROUP.items():
        value = not member_of.isdisjoint(flag_groups)
        if getattr(user, flag) != value:
            setattr(user, flag, value)
            changed.append(flag)
    return changed


def _sync_groups(user: Any, groups: tuple[str, ...]) -> list[str]:
    """Add and remove the managed groups that differ; ``["groups+a", "groups-b"]``."""
    mirror = conf.MIRROR_GROUPS
    if mirror is False:
        return []
    excepted = frozenset(conf.MIRROR_GROUPS_EXCEPT)
    listed = None if mirror is True else frozenset(mirror)

    def managed(name: str) -> bool:
        return name not in excepted and (listed is None or name in listed)

    target = [name for name in groups if managed(name)]
    # One query: the user's groups and the target groups that exist, each with whether
    # the user is a member.
    relation = user.groups
    is_member = Exists(
        relation.through._default_manager.filter(
            **{relation.source_field_name: user.pk, relation.target_field_name: OuterRef("pk")}
        )
    )
    rows = (
        relation.model._default_manager.annotate(is_member=is_member)
        .filter(Q(is_member=True) | Q(name__in=target))
        .values_list("name", "pk", "is_member")
    )
    current: dict[str, Any] = {}
    found: dict[str, Any] = {}
    for name, pk, member in rows:
        (current if member else found)[name] = pk
    keep = frozenset(target)
    removed = [name for name in current if managed(name) and name not in keep]
    added = [name for name in target if name not in current]
    if removed:
        user.groups.remove(*(current[name] for name in removed))
    if added:
        if conf.CREATE_GROUPS:
            for name in added:
                if name not in found:
                    found[name] = Group.objects.get_or_create(name=name)[0].pk
        added = [name for name in added if name in found]
        if added:
            user.groups.add(*(found[name] for name in added))
    return [*(f"groups+{name}" for name in added), *(f"groups-{name}" for name in removed)]
