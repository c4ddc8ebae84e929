"""System checks: every ``REMOTE_IDENTITY_*`` setting, the user model, the middleware
order, the WSGI stack and the authentication backend.

They run when ``"remote_identity_django"`` is in ``INSTALLED_APPS`` (``manage.py check``,
``runserver``, ``migrate``, the test runner). The ids, messages and hints are in
:mod:`remote_identity_django.check_ids`. The gate's settings are not judged here: the
core validates them (:mod:`remote_identity.options`) and :data:`GATE_CHECK_IDS` maps each
``ConfigurationError``'s ``(option, reason)`` to its check id.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware, RemoteUserMiddleware
from django.contrib.auth.models import Group
from django.core.checks import CheckMessage, Tags, register
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

from remote_identity import (
    ConfigurationError,
    IdentityGate,
    ParsingPolicy,
    RemoteIdentityError,
    TrustedProxies,
    get_scheme,
)
from remote_identity.options import POLICY_OPTIONS, problems
from remote_identity.peer import proxy_fix_layers

from .backends import RemoteIdentityBackend
from .check_ids import message
from .conf import NAMES, PREFIX, classes, conf, gate_settings
from .middleware import RemoteIdentityMiddleware

__all__ = [
    "GATE_CHECK_IDS",
    "check_backends",
    "check_middleware",
    "check_settings",
    "check_user_model",
    "check_wsgi_application",
]

Messages = list[CheckMessage]
ATTR_SOURCES = ("username", "name", "email", None)

#: ``(option, reason)`` of the core's ``ConfigurationError`` -> the check id reporting it.
GATE_CHECK_IDS: dict[tuple[str, str], str] = {
    ("trusted_proxies", "not_a_list"): "E001",
    ("trusted_proxies", "not_a_string"): "E001",
    ("trusted_proxies", "malformed"): "E002",
    ("trusted_proxies", "zone_id"): "E002",
    ("trusted_proxies", "trusts_everyone"): "E003",
    ("trusted_proxies", "too_wide"): "E034",
    ("scheme", "unknown_scheme"): "E005",
    ("shared_secret_header", "unpaired"): "E006",
    ("shared_secret", "unpaired"): "E006",
    ("shared_secret", "not_a_string"): "E007",
    ("shared_secret", "too_short"): "E007",
    ("shared_secret", "whitespace"): "E035",
    ("shared_secret_header", "bad_header_name"): "E008",
    ("on_untrusted", "not_a_choice"): "E009",
    ("on_invalid", "not_a_choice"): "E010",
    ("username_case", "not_a_choice"): "E011",
    ("assertion", "not_an_assertion"): "E060",
    ("assertion", "unknown_preset"): "E061",
    ("assertion", "missing_extra"): "E062",
    ("assertion", "insecure_algorithm"): "E063",
    ("assertion", "bad_key_source"): "E064",
    ("assertion", "bad_assertion"): "E065",
}
_BOOLEANS = (("E012", "CREATE_UNKNOWN_USER"), ("E019", "CREATE_GROUPS"))


def _is_str_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _is_map(value: object, ok: Callable[[object], bool]) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(key, str) and ok(item) for key, item in value.items()
    )


def _is_attr_map(value: object) -> bool:
    return _is_map(value, lambda source: source in ATTR_SOURCES)


def _is_flag_map(value: object) -> bool:
    return _is_map(value, _is_str_list)


def _is_name_map(value: object) -> bool:
    return _is_map(value, lambda name: isinstance(name, str) and bool(name))


@register(Tags.security)
def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> Messages:
    """The type and value of each setting, and unknown ``REMOTE_IDENTITY_*`` names."""
    trust = _check_trust()
    if conf.ENABLED is False:  # off: an empty list of proxies is what the site means
        skipped = ("remote_identity.E004", "remote_identity.W001", "remote_identity.W020")
        trust = [m for m in trust if m.id not in skipped]
    return [*trust, *_check_values(), *_check_unknown()]


def _gate_message(error: ConfigurationError, values: Mapping[str, object]) -> CheckMessage:
    """The check message of a ``ConfigurationError`` the core raised for a gate setting."""
    option = str(error.option)
    check_id = GATE_CHECK_IDS[(option, str(error.reason))]
    return message(check_id, value=values.get(option), error=error)


def _check_trust() -> Messages:
    """The gate's settings, judged by the core; then what only a site can know."""
    values = gate_settings()
    errors = problems(values)
    policy = {name: values[name] for name in POLICY_OPTIONS if name in values}
    try:
        ParsingPolicy(**policy)
    except ConfigurationError as error:
        errors.append(error)
    found = [_gate_message(error, values) for error in errors]
    signed = values["assertion"] is not None
    if not signed and not any(error.option == "scheme" for error in errors):
        scheme = get_scheme(values["scheme"])
        if scheme.shared_addresses:
            found.append(message("W021", value=scheme.name))
    if any(error.option == "trusted_proxies" for error in errors):
        return found
    proxies = TrustedProxies(values["trusted_proxies"])
    if not proxies:
        # Header mode trusts nobody then; signed mode believes a valid token from anyone.
        found.append(message("W020" if signed else "W001" if settings.DEBUG else "E004"))
    found.extend(message("W004", value=network) for network in proxies.container_networks)
    return found


def _check_values() -> Messages:
    found = []
    for check_id, name in _BOOLEANS:
        if not isinstance(getattr(conf, name), bool):
            found.append(message(check_id, value=getattr(conf, name)))
    mirror = conf.MIRROR_GROUPS
    for check_id, value, ok in (
        ("E013", conf.USER_ATTR_MAP, _is_attr_map(conf.USER_ATTR_MAP)),
        ("E017", mirror, isinstance(mirror, bool) or _is_str_list(mirror)),
        ("E018", conf.MIRROR_GROUPS_EXCEPT, _is_str_list(conf.MIRROR_GROUPS_EXCEPT)),
        ("E020", conf.GROUP_NAME_MAP, _is_name_map(conf.GROUP_NAME_MAP)),
        ("E021", conf.USER_FLAGS_BY_GROUP, _is_flag_map(conf.USER_FLAGS_BY_GROUP)),
    ):
        if not ok:
            found.append(message(check_id, value=value))
    return [*found, *_check_paths()]


def _check_paths() -> Messages:
    found = []
    paths = conf.EXCLUDED_PATHS
    if not _is_str_list(paths):
        found.append(message("E023", value=paths))
    else:
        found.extend(message("E024", value=path) for path in paths if not path.startswith("/"))
    url = conf.LOGOUT_URL
    if url is not None and not isinstance(url, str):
        found.append(message("E025", value=url))
    elif isinstance(url, str):
        parts = urlsplit(url)
        absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
        if not absolute and not (url.startswith("/") and not url.startswith("//")):
            found.append(message("E026", value=url))
    return found


def _check_unknown() -> Messages:
    known = [PREFIX + name for name in NAMES]
    found = []
    for name in dir(settings):
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"Did you mean {close[0]}?" if close else "Remove it."
            found.append(message("W003", value=name, hint=hint))
    return found


@register(Tags.security, Tags.compatibility)
def check_user_model(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> Messages:
    """The user model has the fields the settings name."""
    model = get_user_model()
    found = []
    attr_map = conf.USER_ATTR_MAP
    for name in attr_map if _is_attr_map(attr_map) else ():
        field = _field(model, name)
        if field is None:
            found.append(message("E014", value=name))
        elif field.primary_key or name in ("password", model.USERNAME_FIELD):
            found.append(message("E015", value=name))
        elif not isinstance(field, (models.CharField, models.TextField)):
            found.append(message("E016", value=name))
    flags = conf.USER_FLAGS_BY_GROUP
    for name in flags if _is_flag_map(flags) else ():
        if not isinstance(_field(model, name), models.BooleanField):
            found.append(message("E022", value=name))
    groups = _field(model, "groups")
    has_groups = groups is not None and groups.many_to_many and groups.related_model is Group
    if conf.MIRROR_GROUPS is not False and not has_groups:
        found.append(message("E027"))
    return found


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


@register(Tags.security)
def check_middleware(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> Messages:
    """Our middleware is installed once, after authentication and CSRF, and alone."""
    if conf.ENABLED is False:
        return []
    installed = classes(settings.MIDDLEWARE)
    ours = [i for i, cls in enumerate(installed) if issubclass(cls, RemoteIdentityMiddleware)]
    if not ours:
        return [message("E028")]
    found = []
    if len(ours) > 1:
        found.append(message("E029"))
    auth = [i for i, cls in enumerate(installed) if issubclass(cls, AuthenticationMiddleware)]
    if not auth:
        found.append(message("E030"))
    elif auth[0] > ours[0]:
        found.append(message("E031"))
    if any(issubclass(cls, CsrfViewMiddleware) for cls in installed[ours[0] + 1 :]):
        found.append(message("W002"))
    found.extend(
        message("E032", value=f"{cls.__module__}.{cls.__qualname__}")
        for cls in installed
        if issubclass(cls, RemoteUserMiddleware) and not issubclass(cls, RemoteIdentityMiddleware)
    )
    return found


@register(Tags.security)
def check_wsgi_application(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> Messages:
    """No Werkzeug ``ProxyFix`` wraps the identity gate in ``WSGI_APPLICATION``.

    Imports ``WSGI_APPLICATION`` as ``runserver`` does; a site without the setting, or
    whose application does not import here, is not checked.
    """
    path = getattr(settings, "WSGI_APPLICATION", None)
    if not path:
        return []
    try:
        application = import_string(path)
    except (ImportError, ImproperlyConfigured, RemoteIdentityError):
        return []
    # The core middleware keeps its gate in ``gate``; ProxyFix layers further in are harmless.
    layers = proxy_fix_layers(
        application, lambda layer: isinstance(getattr(layer, "gate", None), IdentityGate)
    )
    if layers > 1:
        return [message("E036", value=layers)]
    if layers == 1:
        return [message("W005")]
    return []


@register(Tags.security)
def check_backends(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> Messages:
    """A ``RemoteIdentityBackend`` (or subclass) is in ``AUTHENTICATION_BACKENDS``."""
    if conf.ENABLED is False or any(
        issubclass(cls, RemoteIdentityBackend) for cls in classes(settings.AUTHENTICATION_BACKENDS)
    ):
        return []
    return [message("E033")]
