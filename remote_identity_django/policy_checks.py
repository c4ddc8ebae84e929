"""System checks of the sign-in policy: who the proxy may sign in, and as which account.

- the settings ``ENABLED``, ``DEFAULT_GROUPS``, ``IDENTIFY_BY`` and ``LOCAL_USERS``, and
  the pairs of settings that contradict each other (E040-E045);
- local superusers a proxy user of the same name would sign in to (W010): it reads the
  database, so, like Django's own database checks, it runs with ``manage.py check
  --database default``, ``migrate`` and the test runner;
- the default admin site's user admin, which must know the fields the proxy owns (W011).

Ids, messages and hints are in :mod:`remote_identity_django.check_ids`; one more setting
is one more line in :func:`check_policy_settings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.checks import CheckMessage, Tags, register
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, router

from remote_identity import ConfigurationError
from remote_identity.schemes import get_scheme

from .check_ids import message
from .conf import conf

__all__ = ["check_admin", "check_local_superusers", "check_policy_settings"]

Messages = list[CheckMessage]
#: (id, setting, the strings it may be): each a check of its own.
_CHOICES = (
    ("E043", "IDENTIFY_BY", ("username", "email")),
    ("E045", "LOCAL_USERS", ("allow", "refuse")),
)


def _is_str_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


@register(Tags.security)
def check_policy_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> Messages:
    """Each policy setting's value, and the settings that disagree."""
    found = []
    if not isinstance(conf.ENABLED, bool):
        found.append(message("E040", value=conf.ENABLED))
    for check_id, name, choices in _CHOICES:
        value = getattr(conf, name)
        if not isinstance(value, str) or value not in choices:
            found.append(message(check_id, value=value))
    defaults = conf.DEFAULT_GROUPS
    if not _is_str_list(defaults):
        found.append(message("E041", value=defaults))
    elif _is_str_list(conf.MIRROR_GROUPS_EXCEPT):
        found.extend(
            message("E042", value=name) for name in defaults if name in conf.MIRROR_GROUPS_EXCEPT
        )
    if conf.IDENTIFY_BY == "email":
        try:
            scheme = get_scheme(conf.SCHEME)
        except ConfigurationError:
            pass  # E005
        else:
            if scheme.email_header is None:
                found.append(message("E044", value=scheme.name))
    return found


@register(Tags.security, Tags.database)
def check_local_superusers(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> Messages:
    """Local superusers (usable password) that a proxy user could sign in to (``allow``)."""
    if not databases or conf.LOCAL_USERS != "allow" or conf.ENABLED is False:
        return []
    model = get_user_model()
    try:
        model._meta.get_field("is_superuser")
    except FieldDoesNotExist:
        return []
    names: list[str] = []
    for alias in databases:
        if not router.allow_migrate_model(alias, model):
            continue
        local = (
            model._default_manager.using(alias)
            .filter(is_superuser=True)
            .exclude(password="")
            .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .order_by(model.USERNAME_FIELD)
        )
        try:
            names.extend(str(name) for name in local.values_list(model.USERNAME_FIELD, flat=True))
        except DatabaseError:  # no table yet (before the first migrate)
            continue
    if not names:
        return []
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return [message("W010", value=len(names), names=shown)]


@register(Tags.security, Tags.admin)
def check_admin(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> Messages:
    """The default admin site's user admin marks the proxy's fields read-only."""
    if conf.ENABLED is False or not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib import admin

    from .user_admin import ProxyOwnedFieldsMixin

    user_admin = admin.site._registry.get(get_user_model())
    if user_admin is None or isinstance(user_admin, ProxyOwnedFieldsMixin):
        return []
    return [message("W011")]
