"""``conf``: defaults, the gate built from the settings, rebuilt when they change."""

from __future__ import annotations

import pytest

from remote_identity import PRESETS, ConfigurationError
from remote_identity_django.conf import DEFAULT_USER_ATTR_MAP, NAMES, conf, gate_options, get_gate

DEFAULTS = {
    "TRUSTED_PROXIES": [],
    "SCHEME": "authelia",
    "SHARED_SECRET_HEADER": None,
    "SHARED_SECRET": None,
    "ON_UNTRUSTED": "strip",
    "ON_INVALID": "reject",
    "USERNAME_CASE": "preserve",
    "CREATE_UNKNOWN_USER": True,
    "USER_ATTR_MAP": DEFAULT_USER_ATTR_MAP,
    "MIRROR_GROUPS": True,
    "MIRROR_GROUPS_EXCEPT": [],
    "CREATE_GROUPS": False,
    "GROUP_NAME_MAP": {},
    "USER_FLAGS_BY_GROUP": {},
    "EXCLUDED_PATHS": [],
    "LOGOUT_URL": None,
    "ENABLED": True,
    "DEFAULT_GROUPS": [],
    "IDENTIFY_BY": "username",
    "LOCAL_USERS": "allow",
}


def test_defaults(settings) -> None:
    del settings.REMOTE_IDENTITY_TRUSTED_PROXIES
    assert set(NAMES) == set(DEFAULTS)
    assert {name: getattr(conf, name) for name in NAMES} == DEFAULTS


def test_each_setting_is_read(settings) -> None:
    settings.REMOTE_IDENTITY_LOGOUT_URL = "https://auth.example.com/logout"
    assert conf.LOGOUT_URL == "https://auth.example.com/logout"


def test_gate_follows_the_settings(settings) -> None:
    gate = get_gate()
    assert get_gate() is gate
    assert gate.trusted_proxies.is_trusted("127.0.0.1")
    assert gate.scheme is PRESETS["authelia"]
    assert gate.policy.max_name_length == 150
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["10.0.0.1"]
    settings.REMOTE_IDENTITY_USERNAME_CASE = "lower"
    rebuilt = get_gate()
    assert rebuilt is not gate
    assert not rebuilt.trusted_proxies.is_trusted("127.0.0.1")
    assert rebuilt.policy.username_case == "lower"
    settings.DEBUG = True  # not ours: the cached gate stays
    assert get_gate() is rebuilt


def test_bad_settings_raise_when_the_gate_is_built(settings) -> None:
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = "127.0.0.1"
    with pytest.raises(ConfigurationError):
        get_gate()


def test_gate_options_are_the_wsgi_middlewares_arguments() -> None:
    assert sorted(gate_options()) == [
        "on_invalid",
        "on_untrusted",
        "policy",
        "scheme",
        "shared_secret",
        "shared_secret_header",
        "trusted_proxies",
    ]
