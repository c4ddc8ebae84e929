"""The ``REMOTE_IDENTITY_*`` settings: the one module that reads them.

Every setting is read from ``django.conf.settings`` on each access (so
``override_settings`` works) and never written. The settings of the gate's options
(``TRUSTED_PROXIES``, ``SCHEME``, ``ON_UNTRUSTED``, ...) are not written out here: each
is the ``setting`` of an option in :data:`remote_identity.options.OPTIONS` (or
``POLICY_OPTIONS``), with that option's default. The adapter's own settings are typed
properties of :class:`Settings`. Nothing is validated here: the core validates the gate's
options, and :mod:`remote_identity_django.checks` reports its errors (and checks the
adapter's own settings) at start-up. :func:`get_gate` turns the settings into the core's
:class:`~remote_identity.IdentityGate`, built once and rebuilt when a
``REMOTE_IDENTITY_*`` setting changes (tests).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from remote_identity import IdentityGate, ParsingPolicy
from remote_identity.options import OPTIONS, POLICY_OPTIONS, Option

__all__ = [
    "DEFAULT_USER_ATTR_MAP",
    "GATE_SETTINGS",
    "PREFIX",
    "Settings",
    "classes",
    "conf",
    "first_subclass",
    "gate_options",
    "gate_settings",
    "get_gate",
]

PREFIX = "REMOTE_IDENTITY_"

_T = TypeVar("_T")


def classes(paths: Sequence[str] | None) -> list[type]:
    """The classes named by ``paths`` (``MIDDLEWARE``, ``AUTHENTICATION_BACKENDS``), in
    order; a name that does not import is left out, one that is not a class is
    ``object``."""
    found: list[type] = []
    for path in paths or ():
        try:
            item = import_string(path)
        except ImportError:
            continue
        found.append(item if isinstance(item, type) else object)
    return found


def first_subclass(paths: Sequence[str] | None, base: type[_T]) -> type[_T] | None:
    """The first class named by ``paths`` that is ``base`` or a subclass of it."""
    return next((found for found in classes(paths) if issubclass(found, base)), None)


#: ``get_full_name()`` is ``f"{first_name} {last_name}".strip()``: the whole display name
#: goes in ``first_name`` and ``last_name`` is cleared, so it shows the proxy's name
#: exactly; splitting a name into given and family names cannot be done right.
DEFAULT_USER_ATTR_MAP: Mapping[str, str | None] = {
    "first_name": "name",
    "last_name": None,
    "email": "email",
}

#: Django's ``first_name`` / ``last_name`` hold 150 characters: longer names are refused
#: by the parser (reason ``too_long``) rather than cut or failing at ``save()``.
MAX_NAME_LENGTH = 150

#: Setting name (without the prefix) -> the gate option it sets, from remote_identity.options.
GATE_SETTINGS: Mapping[str, Option[Any]] = {
    option.setting: option
    for option in (*OPTIONS.values(), *POLICY_OPTIONS.values())
    if option.setting is not None
}


class Settings:
    """One attribute per ``REMOTE_IDENTITY_*`` setting; see ``docs/django.md``.

    The gate's settings (:data:`GATE_SETTINGS`) are read with their option's default;
    the adapter's own are the properties below.
    """

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, PREFIX + name, default)

    def __getattr__(self, name: str) -> Any:
        option = GATE_SETTINGS.get(name)
        if option is None:
            raise AttributeError(f"{PREFIX}{name} is not a setting of remote_identity_django")
        return self._get(name, option.default)

    @property
    def CREATE_UNKNOWN_USER(self) -> bool:
        """Create a Django user for a username seen for the first time."""
        value: bool = self._get("CREATE_UNKNOWN_USER", True)
        return value

    @property
    def USER_ATTR_MAP(self) -> Mapping[str, str | None]:
        """User field -> identity attribute (``"name"``, ``"email"``, ``"username"``), or
        ``None`` to keep the field empty."""
        value: Mapping[str, str | None] = self._get("USER_ATTR_MAP", DEFAULT_USER_ATTR_MAP)
        return value

    @property
    def MIRROR_GROUPS(self) -> bool | Sequence[str]:
        """``True``: the proxy's groups are the user's groups; a list: only those groups;
        ``False``: groups are not synced."""
        value: bool | Sequence[str] = self._get("MIRROR_GROUPS", True)
        return value

    @property
    def MIRROR_GROUPS_EXCEPT(self) -> Sequence[str]:
        """Groups never added or removed by the sync (managed in Django)."""
        value: Sequence[str] = self._get("MIRROR_GROUPS_EXCEPT", [])
        return value

    @property
    def CREATE_GROUPS(self) -> bool:
        """Create a Django group for a mirrored proxy group that has none. Default: off."""
        value: bool = self._get("CREATE_GROUPS", False)
        return value

    @property
    def GROUP_NAME_MAP(self) -> Mapping[str, str]:
        """Proxy group name -> Django group name, applied before every other group rule."""
        value: Mapping[str, str] = self._get("GROUP_NAME_MAP", {})
        return value

    @property
    def USER_FLAGS_BY_GROUP(self) -> Mapping[str, Sequence[str]]:
        """Boolean user field -> groups that grant it; it is revoked outside them."""
        value: Mapping[str, Sequence[str]] = self._get("USER_FLAGS_BY_GROUP", {})
        return value

    @property
    def EXCLUDED_PATHS(self) -> Sequence[str]:
        """Path prefixes where the middleware neither logs in nor logs out."""
        value: Sequence[str] = self._get("EXCLUDED_PATHS", [])
        return value

    @property
    def LOGOUT_URL(self) -> str | None:
        """The proxy's logout URL; ``LogoutView`` and the admin's logout redirect there."""
        value: str | None = self._get("LOGOUT_URL", None)
        return value

    @property
    def ENABLED(self) -> bool:
        """``False`` turns the adapter off: no request carries an identity."""
        value: bool = self._get("ENABLED", True)
        return value

    @property
    def DEFAULT_GROUPS(self) -> Sequence[str]:
        """Django groups every proxy user is in: added on every sync, never removed."""
        value: Sequence[str] = self._get("DEFAULT_GROUPS", [])
        return value

    @property
    def IDENTIFY_BY(self) -> Literal["username", "email"]:
        """``"email"``: the Django username is the identity's e-mail address (lower-cased
        only under ``USERNAME_CASE = "lower"``)."""
        value: Literal["username", "email"] = self._get("IDENTIFY_BY", "username")
        return value

    @property
    def LOCAL_USERS(self) -> Literal["allow", "refuse"]:
        """``"refuse"``: the proxy never signs in to, or syncs, an account with a usable
        password."""
        value: Literal["allow", "refuse"] = self._get("LOCAL_USERS", "allow")
        return value


#: The settings, read on each access.
conf = Settings()

#: Every setting's name without the prefix, for the checks.
NAMES: tuple[str, ...] = (
    *GATE_SETTINGS,
    *(name for name, value in vars(Settings).items() if isinstance(value, property)),
)


def gate_settings() -> dict[str, Any]:
    """The gate's options as the settings give them, not validated: option name -> value
    (``ParsingPolicy`` fields included, under their own names)."""
    return {option.name: getattr(conf, name) for name, option in GATE_SETTINGS.items()}


def gate_options() -> dict[str, Any]:
    """Keyword arguments for ``IdentityGate`` (and the core WSGI and ASGI middleware).

    Pass them to the WSGI middleware too, so both layers apply the same rules::

        application = RemoteIdentityMiddleware(get_wsgi_application(), **gate_options())

    Raises ``remote_identity.ConfigurationError`` for a policy setting the core refuses
    (``REMOTE_IDENTITY_USERNAME_CASE``); the other options are validated by the gate.
    """
    values = gate_settings()
    policy = {name: values.pop(name) for name in POLICY_OPTIONS if name in values}
    return {**values, "policy": ParsingPolicy(max_name_length=MAX_NAME_LENGTH, **policy)}


@functools.cache
def get_gate() -> IdentityGate:
    """The ``IdentityGate`` built from the settings, cached until a setting changes.

    Raises ``remote_identity.ConfigurationError`` for settings the checks reject.
    """
    return IdentityGate(**gate_options())


@receiver(setting_changed)
def _reset_gate(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(PREFIX):
        get_gate.cache_clear()
