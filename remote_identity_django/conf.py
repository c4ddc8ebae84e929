"""The ``REMOTE_IDENTITY_*`` settings: the one module that reads them.

Every setting is a typed property of :class:`Settings` with its default, read from
``django.conf.settings`` on each access (so ``override_settings`` works) and never
written. The values are not validated here: :mod:`remote_identity_django.checks`
validates each one at start-up with its own check id. :func:`get_gate` turns them into
the core's :class:`~remote_identity.IdentityGate`, built once and rebuilt when a
``REMOTE_IDENTITY_*`` setting changes (tests).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from remote_identity import HeaderScheme, IdentityGate, ParsingPolicy

__all__ = ["DEFAULT_USER_ATTR_MAP", "PREFIX", "Settings", "conf", "gate_options", "get_gate"]

PREFIX = "REMOTE_IDENTITY_"

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


class Settings:
    """One property per ``REMOTE_IDENTITY_*`` setting; see ``docs/django.md``."""

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, PREFIX + name, default)

    @property
    def TRUSTED_PROXIES(self) -> Sequence[str]:
        """IPs, CIDRs and ``"unix"`` allowed to send identity headers. Default: nobody."""
        value: Sequence[str] = self._get("TRUSTED_PROXIES", [])
        return value

    @property
    def SCHEME(self) -> str | HeaderScheme:
        """A preset name (``"authelia"``, ``"authentik"``, ...) or a ``HeaderScheme``."""
        value: str | HeaderScheme = self._get("SCHEME", "authelia")
        return value

    @property
    def SHARED_SECRET_HEADER(self) -> str | None:
        """A header the proxy adds with ``SHARED_SECRET`` on every request. Default: off."""
        value: str | None = self._get("SHARED_SECRET_HEADER", None)
        return value

    @property
    def SHARED_SECRET(self) -> str | None:
        """The shared secret's value, at least 16 characters. Default: off."""
        value: str | None = self._get("SHARED_SECRET", None)
        return value

    @property
    def ON_UNTRUSTED(self) -> Literal["strip", "reject"]:
        """Identity headers from an untrusted peer: ``"strip"`` them, or ``"reject"`` (403)."""
        value: Literal["strip", "reject"] = self._get("ON_UNTRUSTED", "strip")
        return value

    @property
    def ON_INVALID(self) -> Literal["reject", "anonymous"]:
        """An invalid identity from a trusted peer: ``"reject"`` (400) or ``"anonymous"``."""
        value: Literal["reject", "anonymous"] = self._get("ON_INVALID", "reject")
        return value

    @property
    def USERNAME_CASE(self) -> Literal["preserve", "lower"]:
        """``"lower"`` lower-cases usernames (case-insensitive directories)."""
        value: Literal["preserve", "lower"] = self._get("USERNAME_CASE", "preserve")
        return value

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
        """``"email"``: the Django username is the identity's e-mail address, lower-cased."""
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
NAMES: tuple[str, ...] = tuple(
    name for name, value in vars(Settings).items() if isinstance(value, property)
)


def gate_options() -> dict[str, Any]:
    """Keyword arguments for ``IdentityGate`` (and ``remote_identity.wsgi``'s middleware).

    Pass them to the WSGI middleware too, so both layers apply the same rules::

        application = RemoteIdentityMiddleware(get_wsgi_application(), **gate_options())
    """
    return {
        "trusted_proxies": conf.TRUSTED_PROXIES,
        "scheme": conf.SCHEME,
        "policy": ParsingPolicy(max_name_length=MAX_NAME_LENGTH, username_case=conf.USERNAME_CASE),
        "on_untrusted": conf.ON_UNTRUSTED,
        "on_invalid": conf.ON_INVALID,
        "shared_secret_header": conf.SHARED_SECRET_HEADER,
        "shared_secret": conf.SHARED_SECRET,
    }


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
