"""``RemoteIdentityBackend``: create the user an identity names, and keep it in sync.

The threat: a privilege the proxy took away (a group left, a flag revoked in the
settings) must be gone on the next request, and a failed write must never leave it in
place. So the fingerprint of what was last synced into each user (the identity and the
sync configuration, :mod:`~remote_identity_django.fingerprint`) is stored in the database
beside the user (:class:`~remote_identity_django.models.SyncState`), written in the
sync's transaction and read in the query that loads the user; a sync that fails on the
database denies the login, and in a session, logs the user out.

The sync writes only what differs from the identity, in one transaction
(:mod:`~remote_identity_django.sync`). A first sign-in creates the user with its fields
in one INSERT; on PostgreSQL that statement also writes its groups and fingerprint.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.hashers import is_password_usable
from django.core.signals import setting_changed
from django.db import DatabaseError, IntegrityError, router, transaction
from django.dispatch import receiver

from remote_identity import Identity

from . import sync as syncing
from .audit import AuditEvent, log_events, request_peer
from .conf import conf, first_subclass, get_gate
from .fingerprint import sync_fingerprint
from .rules import rules
from .signals import identity_synced
from .users import NOT_LOADED, load_user, stored_fingerprint

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

__all__ = ["RemoteIdentityBackend", "has_usable_password", "remote_backend"]

logger = logging.getLogger("remote_identity.django")

#: Django 5.2+ has ``aconfigure_user``: an async call then goes through the async hook.
_ASYNC_HOOKS = hasattr(RemoteUserBackend, "aconfigure_user")


class RemoteIdentityBackend(RemoteUserBackend):
    """Authenticates the ``Identity`` the middleware got from a trusted proxy.

    ``authenticate(request, remote_user, identity)`` finds (or, with
    ``REMOTE_IDENTITY_CREATE_UNKNOWN_USER``, creates with an unusable password) the user
    named ``remote_user``, syncs it with ``identity`` unless the fingerprint stored with
    the user says it is up to date, then calls Django's
    ``configure_user(request, user, created)`` hook. Called with ``remote_user`` only,
    it behaves like Django's ``RemoteUserBackend``.

    Override :meth:`clean_groupname` to rename or drop proxy groups. Such an override is
    part of the sync fingerprint (its code is); set :attr:`sync_version` to a new value
    when something it reads, but does not contain, changes.
    """

    #: Part of the sync fingerprint: change it to make every user re-sync once, e.g.
    #: when a table that :meth:`clean_groupname` reads changes.
    sync_version: ClassVar[object] = None

    @property
    def create_unknown_user(self) -> bool:  # type: ignore[override]
        """``REMOTE_IDENTITY_CREATE_UNKNOWN_USER``; a subclass may set a class attribute."""
        return conf.CREATE_UNKNOWN_USER

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """The user with its stored fingerprint, in one query (``AuthenticationMiddleware``)."""
        user = load_user("pk", user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: Any) -> AbstractBaseUser | None:
        """See :meth:`get_user`."""
        user = await sync_to_async(load_user)("pk", user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def username_for(self, identity: Identity) -> str | None:
        """The username the identity signs in as, before :meth:`clean_username`.

        ``identity.username``; with ``REMOTE_IDENTITY_IDENTIFY_BY = "email"`` the e-mail
        address as the core normalized it (its domain lower-cased), ``None`` when the
        identity has none. Its local part keeps its case (RFC 5321 lets ``Alice@`` and
        ``alice@`` be two mailboxes) unless ``REMOTE_IDENTITY_USERNAME_CASE = "lower"``,
        whose rule (:meth:`~remote_identity.policy.ParsingPolicy.apply_username_case`) then
        applies to the whole address as it does to usernames.
        """
        if conf.IDENTIFY_BY == "email":
            return get_gate().policy.apply_username_case(identity.email) if identity.email else None
        return identity.username

    def username_fits(self, username: str) -> bool:
        """Whether ``username`` fits the user model's username field (its ``max_length``;
        no limit when the field has none).

        A longer one signs nobody in (reason ``username_too_long``): some databases
        would cut it, and a cut name can be another user's.
        """
        limit = _username_limit()
        return limit is None or len(username) <= limit

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        remote_user: str | None,
        identity: Identity | None = None,
    ) -> AbstractBaseUser | None:
        """The user for ``remote_user``, synced with ``identity``; ``None`` to deny."""
        if not remote_user or not conf.ENABLED:
            return None
        if identity is not None and self.username_for(identity) != remote_user:
            logger.warning(
                "login denied: remote_user %r is not the identity's username %r",
                remote_user,
                self.username_for(identity),
                extra={"reason": "username_mismatch"},
            )
            return None
        username = self.clean_username(remote_user)
        if not self._fits(username):
            return None
        try:
            user, created = self._find_or_create(username, identity, request)
            if not self._admits(user, created):
                return None
            if (
                identity is not None
                and user is not None
                and not created
                and not self.is_synced(user, identity)
            ):
                self.sync(user, identity, request=request)
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
        if identity is not None or not remote_user or not conf.ENABLED or not _ASYNC_HOOKS:
            return await sync_to_async(self.authenticate)(request, remote_user, identity)
        username = self.clean_username(remote_user)
        if not self._fits(username):
            return None
        user, created = await sync_to_async(self._find_or_create)(username, None, request)
        if not self._admits(user, created):
            return None
        user = await self.aconfigure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    def _fits(self, username: str) -> bool:
        """``False`` (and a log record) for a username the user model cannot hold."""
        if self.username_fits(username):
            return True
        logger.warning(
            "login of %r refused: %d characters, and the user model's username field "
            "holds at most %d",
            username,
            len(username),
            _username_limit(),
            extra={"reason": "username_too_long"},
        )
        return False

    def _admits(self, user: Any, created: bool) -> bool:
        """``False`` (and a log record) for a local account the proxy must keep out of."""
        if user is None or created or not self.is_local_refused(user):
            return True
        logger.warning(
            "login of %r refused: a local account (usable password), and "
            "REMOTE_IDENTITY_LOCAL_USERS is 'refuse'",
            user.get_username(),
            extra={"reason": "local_user"},
        )
        return False

    def is_local_refused(self, user: Any) -> bool:
        """Whether ``REMOTE_IDENTITY_LOCAL_USERS = "refuse"`` keeps the proxy out of ``user``
        (an account with a usable password)."""
        return conf.LOCAL_USERS == "refuse" and has_usable_password(user)

    def sync_fingerprint(self, identity: Identity) -> str:
        """The fingerprint a user synced from ``identity`` by this backend stores."""
        return sync_fingerprint(type(self), identity.fingerprint)

    def is_synced(self, user: Any, identity: Identity) -> bool:
        """Whether the fingerprint loaded with ``user`` says it holds ``identity`` synced
        with the current configuration (``False`` when it was loaded without it)."""
        stored = stored_fingerprint(user)
        return stored is not NOT_LOADED and stored == self.sync_fingerprint(identity)

    def clean_groupname(self, name: str) -> str | None:
        """The Django group name for the proxy group ``name``, or ``None`` to ignore it.

        Default: ``REMOTE_IDENTITY_GROUP_NAME_MAP.get(name, name)``. Every other group
        setting (mirroring, exceptions, flags) uses the names returned here.
        """
        return rules().group_names.get(name, name)

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
        ``"groups-NAME"``. Stores the sync fingerprint. Sends ``identity_synced`` and
        writes the audit records when something changed. Database errors propagate (the
        transaction is rolled back).
        """
        groups = self.identity_groups(identity)
        fingerprint = self.sync_fingerprint(identity)
        database = router.db_for_write(user.__class__, instance=user)
        with transaction.atomic(using=database):
            syncing.lock_and_refresh(user, database)
            fields, events = syncing.apply_fields(user, identity, groups)
            if fields:
                user.save(update_fields=fields)
            added, removed = syncing.sync_groups(user, groups, database)
            if stored_fingerprint(user) != fingerprint:
                syncing.write_state(user, fingerprint, database, created=False)
        if created:
            events.insert(0, AuditEvent("user_created", user.get_username()))
        return self._report(user, identity, fields, events, added, removed, created, request)

    def _find_or_create(
        self, username: str, identity: Identity | None, request: HttpRequest | None
    ) -> tuple[Any, bool]:
        """The user (loaded with its stored fingerprint) and whether this call created it."""
        model = get_user_model()
        field = str(model.USERNAME_FIELD)
        user = load_user(field, username)
        if user is not None or not self.create_unknown_user:
            return user, False
        try:
            return self._create(model, {field: username}, identity, request), True
        except IntegrityError:  # a concurrent first request created it
            return load_user(field, username), False

    def _create(
        self,
        model: Any,
        lookup: dict[str, str],
        identity: Identity | None,
        request: HttpRequest | None,
    ) -> Any:
        """Create the user with its fields, groups and sync state, in one transaction
        (one statement on PostgreSQL, :func:`~remote_identity_django.sync.create`).

        Without an identity (Django's ``RemoteUserBackend`` call), just the user, with an
        unusable password.
        """
        user = model(**lookup)
        user.set_unusable_password()
        database = router.db_for_write(model)
        if identity is None:
            with transaction.atomic(using=database):
                user.save(force_insert=True, using=database)
            return user
        groups = self.identity_groups(identity)
        fields, events = syncing.apply_fields(user, identity, groups)
        with transaction.atomic(using=database):
            added = syncing.create(user, groups, self.sync_fingerprint(identity), database)
        # A new user's fields are reported by its creation; its flags are privileges.
        events = [
            AuditEvent("user_created", user.get_username()),
            *(event for event in events if event.event != "field_changed"),
        ]
        self._report(user, identity, fields, events, added, [], True, request)
        return user

    def _report(
        self,
        user: Any,
        identity: Identity,
        fields: list[str],
        events: list[AuditEvent],
        added: list[str],
        removed: list[str],
        created: bool,
        request: HttpRequest | None,
    ) -> tuple[str, ...]:
        """Audit records and ``identity_synced`` for what a sync did; the sorted changes."""
        events += [AuditEvent("group_added", name) for name in added]
        events += [AuditEvent("group_removed", name) for name in removed]
        changed = tuple(
            sorted([*fields, *(f"groups+{n}" for n in added), *(f"groups-{n}" for n in removed)])
        )
        if events:
            peer = request_peer(request)
            log_events(user.get_username(), events, peer)
            identity_synced.send(
                sender=type(self),
                user=user,
                identity=identity,
                created=created,
                changed=changed,
                request=request,
                events=tuple(events),
                peer=peer,
            )
        return changed


def _username_limit() -> int | None:
    """The ``max_length`` of the user model's username field (``None``: no limit)."""
    model: Any = get_user_model()
    limit: int | None = getattr(model._meta.get_field(model.USERNAME_FIELD), "max_length", None)
    return limit


def has_usable_password(user: Any) -> bool:
    """Whether ``user`` can sign in with a password (an empty one never can)."""
    password = getattr(user, "password", None)
    return bool(password) and is_password_usable(password)


@functools.cache
def _remote_backend_class() -> tuple[type[RemoteIdentityBackend], ...]:
    backend = first_subclass(settings.AUTHENTICATION_BACKENDS, RemoteIdentityBackend)
    return () if backend is None else (backend,)


def remote_backend() -> RemoteIdentityBackend | None:
    """The first ``RemoteIdentityBackend`` (or subclass) of ``AUTHENTICATION_BACKENDS``.

    The one lookup every part of the adapter uses (middleware, DRF, admin), so a
    subclass that renames groups gives the browser and the API the same groups.
    """
    found = _remote_backend_class()
    return found[0]() if found else None


@receiver(setting_changed)
def _reset_backend(*, setting: str, **kwargs: object) -> None:
    if setting == "AUTHENTICATION_BACKENDS":
        _remote_backend_class.cache_clear()
