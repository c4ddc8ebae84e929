"""What the proxy owns in Django, from the settings, defined once.

The sync (:mod:`~remote_identity_django.sync`) writes exactly these fields and groups,
and the user admin (:mod:`~remote_identity_django.user_admin`) shows exactly these as
read-only. The settings are read once into :class:`Rules`, rebuilt when a
``REMOTE_IDENTITY_*`` setting changes (tests), so a sync costs no settings lookup per
group.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from django.core.signals import setting_changed
from django.dispatch import receiver

from .conf import PREFIX, conf, get_gate

__all__ = ["Rules", "proxy_owned_fields", "proxy_owned_group", "rules", "target_groups"]


class Rules(NamedTuple):
    """The sync settings, as the sync uses them."""

    #: ``USER_ATTR_MAP``'s items: (user field, identity attribute or ``None``).
    attributes: tuple[tuple[str, str | None], ...]
    #: ``USER_FLAGS_BY_GROUP``'s items: (flag, the groups that grant it).
    flags: tuple[tuple[str, frozenset[str]], ...]
    #: ``MIRROR_GROUPS``: ``True``, ``False`` or the mirrored groups.
    mirror: bool | frozenset[str]
    #: ``MIRROR_GROUPS_EXCEPT``.
    excepted: frozenset[str]
    #: ``DEFAULT_GROUPS``, in order.
    defaults: tuple[str, ...]
    #: ``CREATE_GROUPS``.
    create_groups: bool
    #: The scheme has an e-mail header: an absent address then clears the field.
    clears_email: bool
    #: ``GROUP_NAME_MAP``.
    group_names: Mapping[str, str]

    def is_mirrored(self, name: str) -> bool:
        """Whether mirroring adds and removes the group ``name``."""
        if self.mirror is False or name in self.excepted:
            return False
        return self.mirror is True or name in self.mirror

    @property
    def fields(self) -> list[str]:
        """The user fields a sync writes, mapped attributes first."""
        names = [field for field, _ in self.attributes]
        return [*names, *(flag for flag, _ in self.flags if flag not in names)]


@functools.cache
def rules() -> Rules:
    """The sync settings, read once until a ``REMOTE_IDENTITY_*`` setting changes."""
    mirror = conf.MIRROR_GROUPS
    return Rules(
        attributes=tuple(conf.USER_ATTR_MAP.items()),
        flags=tuple((flag, frozenset(groups)) for flag, groups in conf.USER_FLAGS_BY_GROUP.items()),
        mirror=mirror if isinstance(mirror, bool) else frozenset(mirror),
        excepted=frozenset(conf.MIRROR_GROUPS_EXCEPT),
        defaults=tuple(conf.DEFAULT_GROUPS),
        create_groups=conf.CREATE_GROUPS,
        clears_email=get_gate().scheme.email_header is not None,
        group_names=dict(conf.GROUP_NAME_MAP),
    )


def proxy_owned_fields() -> list[str]:
    """The user fields a sync writes: ``USER_ATTR_MAP``'s and ``USER_FLAGS_BY_GROUP``'s."""
    return rules().fields


def proxy_owned_group(name: str) -> bool:
    """Whether the sync adds or removes the Django group ``name`` (mirrored or default)."""
    found = rules()
    return found.is_mirrored(name) or name in found.defaults


def target_groups(groups: Iterable[str]) -> list[str]:
    """The groups the user must be in: the mirrored ones of ``groups``, then the defaults."""
    found = rules()
    target = [name for name in groups if found.is_mirrored(name)]
    return [*target, *(name for name in found.defaults if name not in target)]


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(PREFIX):
        rules.cache_clear()
