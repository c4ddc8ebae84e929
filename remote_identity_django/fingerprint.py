"""The sync fingerprint: the identity *and* the configuration that turns it into a user.

A user is up to date when the identity the proxy sends now, synced with the
configuration in force now, would write what the last sync wrote. Comparing the identity
alone misses a configuration change: a group taken out of
``REMOTE_IDENTITY_USER_FLAGS_BY_GROUP`` would leave every signed-in member with the
flag. So the fingerprint stored with the user (:class:`~remote_identity_django.models.SyncState`)
is a digest of both, and any change of either re-syncs each user once, on their next
request.

What the configuration part covers:

- the settings that shape a sync (:data:`SYNC_SETTINGS`), and whether the scheme has an
  e-mail header (without one, an absent address never clears the field);
- the backend class (its dotted path) and its ``sync_version`` attribute;
- the code of every sync hook (:data:`SYNC_HOOKS`) that the backend class overrides: the
  compiled code of the method, its constants and defaults, and the code it wraps
  (``functools.wraps``). A deploy that changes such a method re-syncs every user once.
  What the code *reads* is not seen (a module-level dict, a class attribute, a database
  table): bump ``sync_version`` when that changes;
- :data:`SYNC_FORMAT`, bumped when this library changes what a sync writes.

The fingerprint is a hex SHA-256 digest, identical in every process and on every
machine running the same code and settings (never Python's salted ``hash()``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import types
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from .conf import PREFIX, conf, get_gate

__all__ = [
    "SYNC_FORMAT",
    "SYNC_HOOKS",
    "SYNC_SETTINGS",
    "code_digest",
    "config_fingerprint",
    "sync_fingerprint",
]

#: Bumped when the library changes what a sync writes; every user then re-syncs once.
SYNC_FORMAT = 1

#: The ``REMOTE_IDENTITY_*`` settings (without the prefix) that change what a sync writes.
SYNC_SETTINGS = (
    "CREATE_GROUPS",
    "DEFAULT_GROUPS",
    "GROUP_NAME_MAP",
    "IDENTIFY_BY",
    "MIRROR_GROUPS",
    "MIRROR_GROUPS_EXCEPT",
    "USER_ATTR_MAP",
    "USER_FLAGS_BY_GROUP",
)

#: The backend methods whose overrides are part of the fingerprint.
SYNC_HOOKS = ("username_for", "clean_groupname", "identity_groups", "sync")


@functools.cache
def config_fingerprint(backend_class: type) -> str:
    """The digest of the sync configuration with ``backend_class``; cached until a
    ``REMOTE_IDENTITY_*`` setting changes."""
    from .backends import RemoteIdentityBackend  # backends imports this module

    hooks = {
        name: code_digest(inspect.getattr_static(backend_class, name))
        for name in SYNC_HOOKS
        if inspect.getattr_static(backend_class, name, None)
        is not inspect.getattr_static(RemoteIdentityBackend, name)
    }
    content = {
        "format": SYNC_FORMAT,
        "backend": f"{backend_class.__module__}.{backend_class.__qualname__}",
        "sync_version": getattr(backend_class, "sync_version", None),
        "hooks": hooks,
        "settings": {name: getattr(conf, name) for name in SYNC_SETTINGS},
        "email_header": get_gate().scheme.email_header is not None,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sync_fingerprint(backend_class: type, identity_fingerprint: str) -> str:
    """The fingerprint stored with a user synced from that identity by ``backend_class``."""
    return _combine(config_fingerprint(backend_class), identity_fingerprint)


@functools.lru_cache(maxsize=4096)
def _combine(config: str, identity: str) -> str:
    return hashlib.sha256(f"{config}:{identity}".encode("ascii")).hexdigest()


def code_digest(attribute: object) -> str:
    """A digest of a method's compiled code, constants and defaults, and of what it wraps.

    Stable across processes: sets of constants are ordered, code positions and file
    names are left out (moving a method does not change it). A callable without code (a
    builtin, a C extension) is known by its type's name only.
    """
    digest = hashlib.sha256()
    function: Any = getattr(attribute, "__func__", attribute)  # staticmethod, classmethod
    while function is not None:
        code = getattr(function, "__code__", None)
        if not isinstance(code, types.CodeType):
            digest.update(f"<{type(function).__qualname__}>".encode())
            break
        _feed(digest, code)
        _feed(digest, getattr(function, "__defaults__", None))
        _feed(digest, getattr(function, "__kwdefaults__", None))
        function = getattr(function, "__wrapped__", None)
    return digest.hexdigest()


def _feed(digest: Any, value: object) -> None:
    if isinstance(value, types.CodeType):
        digest.update(b"<code>")
        digest.update(value.co_code)
        _feed(digest, value.co_consts)
        _feed(digest, value.co_names)
    elif isinstance(value, (tuple, list)):
        digest.update(b"(")
        for item in value:
            _feed(digest, item)
        digest.update(b")")
    elif isinstance(value, (frozenset, set)):
        _feed(digest, sorted(value, key=repr))
    elif isinstance(value, dict):
        _feed(digest, sorted(value.items(), key=repr))
    else:
        text = repr(value)
        if " at 0x" in text:  # an object's default repr holds its address: not stable
            text = f"<{type(value).__qualname__}>"
        digest.update(text.encode("utf-8", "backslashreplace"))
        digest.update(b"\0")


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(PREFIX):
        config_fingerprint.cache_clear()
