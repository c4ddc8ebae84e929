"""System checks: the exact ids each bad configuration produces."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from remote_identity import HeaderScheme
from remote_identity.assertions import pomerium
from remote_identity.errors import CONFIGURATION_REASONS
from remote_identity.options import OPTIONS, POLICY_OPTIONS
from remote_identity_django.check_ids import CHECKS, message
from remote_identity_django.checks import GATE_CHECK_IDS

P = "REMOTE_IDENTITY_"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OURS = "remote_identity_django.middleware.RemoteIdentityMiddleware"
PERSISTENT = "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"
DELETE = object()
STACKS = "tests.djangoapp.wsgi_stacks"
POMERIUM = {"preset": "pomerium", "host": "app.example.com"}
PLAIN = {
    "header": "X-Assertion",
    "issuer": "https://issuer.example",
    "audience": "app",
    "algorithms": ["ES256"],
    "jwks_url": "https://issuer.example/jwks",
}


def ids(settings, overrides: dict[str, Any]) -> list[str]:
    for name, value in overrides.items():
        if value is DELETE:
            delattr(settings, name)
        else:
            setattr(settings, name, value)
    return [m.id for m in checks.run_checks() if (m.id or "").startswith("remote_identity.")]


def test_test_settings_pass(settings) -> None:
    assert ids(settings, {}) == []


def test_defaults_pass_with_a_proxy(settings) -> None:
    from django.conf import settings as django_settings

    names = [name for name in dir(django_settings) if name.startswith(P)]
    assert names == [f"{P}TRUSTED_PROXIES"]
    assert ids(settings, {"DEBUG": True, f"{P}TRUSTED_PROXIES": ["10.0.5.2"]}) == []


CASES = [
    # trust
    ({f"{P}TRUSTED_PROXIES": "127.0.0.1"}, ["E001"], "string"),
    ({f"{P}TRUSTED_PROXIES": [1]}, ["E001"], "not-strings"),
    ({f"{P}TRUSTED_PROXIES": ["10.0.0.1/8"]}, ["E002"], "host-bits"),
    ({f"{P}TRUSTED_PROXIES": ["proxy.local"]}, ["E002"], "hostname"),
    ({f"{P}TRUSTED_PROXIES": ["fe80::1%eth0"]}, ["E002"], "zone-id"),
    ({f"{P}TRUSTED_PROXIES": ["0.0.0.0/0"]}, ["E003"], "all-ipv4"),
    ({f"{P}TRUSTED_PROXIES": ["10.0.0.1", "::/0"]}, ["E003"], "all-ipv6"),
    ({f"{P}TRUSTED_PROXIES": ["0.0.0.0/1", "128.0.0.0/1"]}, ["E003"], "ipv4-halves"),
    ({f"{P}TRUSTED_PROXIES": ["10.0.0.0/7"]}, ["E034"], "wider-than-8"),
    ({f"{P}TRUSTED_PROXIES": ["2001:db8::/31"]}, ["E034"], "wider-than-32"),
    ({f"{P}TRUSTED_PROXIES": ["172.18.0.0/16"]}, ["W004"], "docker-network"),
    (
        {f"{P}TRUSTED_PROXIES": ["172.18.0.0/16", "192.168.16.0/20"]},
        ["W004", "W004"],
        "two-docker-networks",
    ),
    ({f"{P}TRUSTED_PROXIES": ["172.18.0.2"]}, [], "docker-container-address"),
    ({f"{P}TRUSTED_PROXIES": []}, ["E004"], "empty"),
    ({f"{P}TRUSTED_PROXIES": DELETE}, ["E004"], "unset"),
    ({f"{P}TRUSTED_PROXIES": [], "DEBUG": True}, ["W001"], "empty-debug"),
    # scheme and secret
    ({f"{P}SCHEME": "authelya"}, ["E005"], "unknown-scheme"),
    ({f"{P}SCHEME": {"user": "X-User"}}, ["E005"], "scheme-type"),
    ({f"{P}SCHEME": HeaderScheme("mine", ("X-User",))}, [], "custom-scheme"),
    ({f"{P}SHARED_SECRET_HEADER": "X-Secret"}, ["E006"], "header-only"),
    ({f"{P}SHARED_SECRET": "s" * 16}, ["E006"], "secret-only"),
    (
        {f"{P}SHARED_SECRET_HEADER": "X-Secret", f"{P}SHARED_SECRET": "short"},
        ["E007"],
        "short-secret",
    ),
    (
        {f"{P}SHARED_SECRET_HEADER": "X-Secret", f"{P}SHARED_SECRET": 12345678901234567},
        ["E007"],
        "secret-type",
    ),
    (
        {f"{P}SHARED_SECRET_HEADER": "X_Secret", f"{P}SHARED_SECRET": "s" * 16},
        ["E008"],
        "underscore",
    ),
    ({f"{P}SHARED_SECRET_HEADER": "X-Secret", f"{P}SHARED_SECRET": "s" * 16}, [], "secret-ok"),
    (
        {f"{P}SHARED_SECRET_HEADER": "X-Secret", f"{P}SHARED_SECRET": " " * 20},
        ["E035"],
        "blank-secret",
    ),
    (
        {f"{P}SHARED_SECRET_HEADER": "X-Secret", f"{P}SHARED_SECRET": "s" * 16 + "\n"},
        ["E035"],
        "padded-secret",
    ),
    # signed assertions
    ({f"{P}ASSERTION": POMERIUM}, [], "assertion-preset"),
    ({f"{P}ASSERTION": PLAIN}, [], "assertion-options"),
    ({f"{P}ASSERTION": pomerium(host="app.example.com")}, [], "assertion-verifier"),
    ({f"{P}ASSERTION": "pomerium"}, ["E060"], "assertion-string"),
    ({f"{P}ASSERTION": [POMERIUM]}, ["E060"], "assertion-list"),
    ({f"{P}ASSERTION": {**POMERIUM, "preset": "pomerum"}}, ["E061"], "assertion-unknown-preset"),
    ({f"{P}ASSERTION": {**PLAIN, "algorithms": ["HS256"]}}, ["E063"], "assertion-hmac"),
    ({f"{P}ASSERTION": {**PLAIN, "algorithms": ["none"]}}, ["E063"], "assertion-none"),
    ({f"{P}ASSERTION": {**PLAIN, "jwks_url": None}}, ["E064"], "assertion-no-keys"),
    (
        {f"{P}ASSERTION": {**PLAIN, "jwks_url": "http://keys.example.com/jwks"}},
        ["E064"],
        "assertion-plain-http-keys",
    ),
    (
        {f"{P}ASSERTION": {**PLAIN, "jwks": {"keys": "none"}}},
        ["E064"],
        "assertion-two-key-sources",
    ),
    ({f"{P}ASSERTION": {"preset": "pomerium"}}, ["E065"], "assertion-missing-parameter"),
    ({f"{P}ASSERTION": {**POMERIUM, "host": "app example"}}, ["E065"], "assertion-bad-host"),
    ({f"{P}ASSERTION": {**PLAIN, "audience": []}}, ["E065"], "assertion-no-audience"),
    ({f"{P}ASSERTION": {**PLAIN, "colour": "blue"}}, ["E065"], "assertion-unknown-option"),
    ({f"{P}ASSERTION": POMERIUM, f"{P}TRUSTED_PROXIES": []}, ["W020"], "signature-only"),
    (
        {f"{P}ASSERTION": POMERIUM, f"{P}TRUSTED_PROXIES": [], "DEBUG": True},
        ["W020"],
        "signature-only-debug",
    ),
    (
        {f"{P}ASSERTION": {"preset": "pomerum"}, f"{P}TRUSTED_PROXIES": []},
        ["E061", "W020"],
        "bad-assertion-without-proxies",
    ),
    ({f"{P}SCHEME": "cloudflare-access"}, ["W021"], "cloudflare-header-mode"),
    ({f"{P}SCHEME": "google-iap"}, ["W021"], "google-iap-header-mode"),
    (
        {
            f"{P}SCHEME": "google-iap",
            f"{P}ASSERTION": {"preset": "google-iap", "audience": "/projects/1/apps/app"},
        },
        [],
        "google-iap-signed",
    ),
    # choices
    ({f"{P}ON_UNTRUSTED": "drop"}, ["E009"], "on-untrusted"),
    ({f"{P}ON_INVALID": "ignore"}, ["E010"], "on-invalid"),
    ({f"{P}USERNAME_CASE": "upper"}, ["E011"], "username-case"),
    ({f"{P}CREATE_UNKNOWN_USER": "no"}, ["E012"], "create-user"),
    ({f"{P}CREATE_GROUPS": 1}, ["E019"], "create-groups"),
    # user attribute map
    ({f"{P}USER_ATTR_MAP": ["email"]}, ["E013"], "map-type"),
    ({f"{P}USER_ATTR_MAP": {"email": "mail"}}, ["E013"], "map-source"),
    ({f"{P}USER_ATTR_MAP": {"nickname": "name"}}, ["E014"], "map-unknown-field"),
    ({f"{P}USER_ATTR_MAP": {"username": "email"}}, ["E015"], "map-username"),
    ({f"{P}USER_ATTR_MAP": {"password": "name"}}, ["E015"], "map-password"),
    ({f"{P}USER_ATTR_MAP": {"id": "name"}}, ["E015"], "map-pk"),
    ({f"{P}USER_ATTR_MAP": {"is_staff": "name"}}, ["E016"], "map-bool"),
    ({f"{P}USER_ATTR_MAP": {"groups": "name"}}, ["E016"], "map-relation"),
    ({f"{P}USER_ATTR_MAP": {"last_name": "name", "first_name": None}}, [], "map-ok"),
    # groups
    ({f"{P}MIRROR_GROUPS": "staff"}, ["E017"], "mirror-string"),
    ({f"{P}MIRROR_GROUPS": ["staff"]}, [], "mirror-list"),
    ({f"{P}MIRROR_GROUPS_EXCEPT": "local"}, ["E018"], "except-string"),
    ({f"{P}GROUP_NAME_MAP": {"a": ""}}, ["E020"], "name-map-empty"),
    ({f"{P}GROUP_NAME_MAP": [("a", "b")]}, ["E020"], "name-map-type"),
    ({f"{P}USER_FLAGS_BY_GROUP": {"is_staff": "staff"}}, ["E021"], "flags-string"),
    ({f"{P}USER_FLAGS_BY_GROUP": {"is_boss": ["staff"]}}, ["E022"], "flags-unknown"),
    ({f"{P}USER_FLAGS_BY_GROUP": {"email": ["staff"]}}, ["E022"], "flags-not-bool"),
    (
        {f"{P}USER_FLAGS_BY_GROUP": {"is_staff": ["s"], "is_superuser": ["a"], "is_active": []}},
        [],
        "flags-ok",
    ),
    # paths and logout
    ({f"{P}EXCLUDED_PATHS": "/api/"}, ["E023"], "paths-string"),
    ({f"{P}EXCLUDED_PATHS": ["api/", "/ok/", "x"]}, ["E024", "E024"], "paths-relative"),
    ({f"{P}LOGOUT_URL": 42}, ["E025"], "logout-type"),
    ({f"{P}LOGOUT_URL": "auth.example.com/logout"}, ["E026"], "logout-no-scheme"),
    ({f"{P}LOGOUT_URL": "//auth.example.com/logout"}, ["E026"], "logout-protocol-relative"),
    ({f"{P}LOGOUT_URL": "ftp://auth.example.com/"}, ["E026"], "logout-ftp"),
    ({f"{P}LOGOUT_URL": "https://auth.example.com/logout"}, [], "logout-ok"),
    ({f"{P}LOGOUT_URL": "/logout/"}, [], "logout-path"),
    # middleware
    ({"MIDDLEWARE": [SESSION, CSRF, AUTH]}, ["E028"], "missing"),
    ({"MIDDLEWARE": [SESSION, CSRF, AUTH, OURS, PERSISTENT]}, ["E029"], "twice"),
    ({"MIDDLEWARE": [SESSION, CSRF, OURS]}, ["E030"], "no-auth"),
    ({"MIDDLEWARE": [SESSION, CSRF, OURS, AUTH]}, ["E031"], "auth-after"),
    ({"MIDDLEWARE": [SESSION, AUTH, OURS, CSRF]}, ["W002"], "csrf-after"),
    ({"MIDDLEWARE": [SESSION, AUTH, OURS]}, [], "no-csrf"),
    (
        {
            "MIDDLEWARE": [
                SESSION,
                CSRF,
                AUTH,
                "tests.djangoapp.support.StockHeaderMiddleware",
                OURS,
            ]
        },
        ["E032"],
        "stock-too",
    ),
    (
        {
            "MIDDLEWARE": [
                SESSION,
                CSRF,
                AUTH,
                PERSISTENT,
                "no.such.Middleware",
                "tests.djangoapp.support.authelia",
            ]
        },
        [],
        "unimportable-ignored",
    ),
    # the WSGI stack
    ({"WSGI_APPLICATION": f"{STACKS}.gate_outside"}, [], "gate-outside-proxy-fix"),
    ({"WSGI_APPLICATION": f"{STACKS}.plain"}, [], "plain"),
    ({"WSGI_APPLICATION": f"{STACKS}.one_around_django"}, ["W005"], "one-around-django"),
    ({"WSGI_APPLICATION": f"{STACKS}.one_around_the_gate"}, ["W005"], "one-around-gate"),
    ({"WSGI_APPLICATION": f"{STACKS}.two_around_django"}, ["E036"], "two-around-django"),
    ({"WSGI_APPLICATION": f"{STACKS}.three_around_the_gate"}, ["E036"], "three-around-gate"),
    ({"WSGI_APPLICATION": "no.such.application"}, [], "unimportable-not-checked"),
    ({"WSGI_APPLICATION": None}, [], "no-wsgi-application"),
    # backends
    (
        {"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.RemoteUserBackend"]},
        ["E033"],
        "stock-backend",
    ),
    (
        {"AUTHENTICATION_BACKENDS": ["no.such.Backend", "tests.djangoapp.support.authelia"]},
        ["E033"],
        "unimportable",
    ),
    # policy
    ({f"{P}ENABLED": "yes"}, ["E040"], "enabled-type"),
    (
        {
            f"{P}ENABLED": False,
            f"{P}TRUSTED_PROXIES": [],
            "MIDDLEWARE": [SESSION, CSRF, AUTH],
            "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"],
        },
        [],
        "disabled-needs-no-proxy",
    ),
    (
        {f"{P}ENABLED": False, f"{P}TRUSTED_PROXIES": [], f"{P}ASSERTION": POMERIUM},
        [],
        "disabled-signed-needs-no-proxy",
    ),
    ({f"{P}ENABLED": False, f"{P}ON_INVALID": "drop"}, ["E010"], "disabled-still-validated"),
    ({f"{P}ENABLED": False, f"{P}TRUSTED_PROXIES": "10.0.0.1"}, ["E001"], "disabled-trust-type"),
    ({f"{P}DEFAULT_GROUPS": "users"}, ["E041"], "default-groups-string"),
    ({f"{P}DEFAULT_GROUPS": ["users"]}, [], "default-groups-ok"),
    (
        {f"{P}DEFAULT_GROUPS": ["users", "local"], f"{P}MIRROR_GROUPS_EXCEPT": ["local"]},
        ["E042"],
        "default-and-excepted",
    ),
    ({f"{P}IDENTIFY_BY": "mail"}, ["E043"], "identify-by"),
    (
        {f"{P}IDENTIFY_BY": "email", f"{P}SCHEME": HeaderScheme("mine", ("X-User",))},
        ["E044"],
        "email-without-email-header",
    ),
    ({f"{P}IDENTIFY_BY": "email", f"{P}SCHEME": "authentik"}, [], "email-ok"),
    (
        {
            f"{P}IDENTIFY_BY": "email",
            f"{P}SCHEME": HeaderScheme("mine", ("X-User",)),
            f"{P}ASSERTION": POMERIUM,
        },
        [],
        "email-from-the-assertion",
    ),
    (
        {f"{P}IDENTIFY_BY": "email", f"{P}ASSERTION": {**POMERIUM, "claims": {"email": None}}},
        ["E066"],
        "email-claim-unmapped",
    ),
    (
        {f"{P}IDENTIFY_BY": "email", f"{P}ASSERTION": {"preset": "pomerum"}},
        ["E061"],
        "email-with-a-bad-assertion",
    ),
    ({f"{P}IDENTIFY_BY": "email", f"{P}SCHEME": "nope"}, ["E005"], "email-bad-scheme"),
    ({f"{P}LOCAL_USERS": "deny"}, ["E045"], "local-users"),
    ({f"{P}LOCAL_USERS": "refuse"}, [], "local-users-ok"),
    # unknown setting
    ({f"{P}TRUSTED_PROXY": ["10.0.0.1"]}, ["W003"], "typo"),
    ({f"{P}COLOUR": "blue"}, ["W003"], "unknown"),
    # several at once: every problem reported, in a stable order
    (
        {
            f"{P}TRUSTED_PROXIES": "0.0.0.0/0",
            f"{P}ON_INVALID": None,
            f"{P}EXCLUDED_PATHS": "/api",
            "MIDDLEWARE": [SESSION, OURS, AUTH, CSRF],
        },
        ["E001", "E010", "E023", "E031", "W002"],
        "many",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [pytest.param(overrides, expected, id=name) for overrides, expected, name in CASES],
)
def test_check_ids(settings, overrides, expected) -> None:
    assert sorted(ids(settings, overrides)) == sorted(f"remote_identity.{i}" for i in expected)


def test_every_id_is_exercised_and_documented() -> None:
    exercised = {check_id for _, expected, _ in CASES for check_id in expected}
    exercised |= {"E027", "E062", "W010", "W011"}  # tests of their own below
    assert exercised == set(CHECKS)
    text = (Path(__file__).resolve().parents[1] / "docs" / "django.md").read_text("utf-8")
    assert [check_id for check_id in CHECKS if f"remote_identity.{check_id}" not in text] == []


def test_an_assertion_without_the_jwt_extra(settings, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "remote_identity.assertions._backend", None)
    assert ids(settings, {}) == []  # header mode needs no extra
    assert ids(settings, {f"{P}ASSERTION": POMERIUM}) == ["remote_identity.E062"]


def test_the_verifiers_message_is_shown(settings) -> None:
    settings.REMOTE_IDENTITY_ASSERTION = {**PLAIN, "algorithms": ["HS256"]}
    (error,) = [m for m in checks.run_checks() if m.id == "remote_identity.E063"]
    assert "HS256 is an HMAC algorithm" in error.msg
    assert error.msg.startswith(f"{P}ASSERTION allows an algorithm anyone can forge")


def test_the_cloud_scheme_warning_names_its_preset(settings) -> None:
    settings.REMOTE_IDENTITY_SCHEME = "cloudflare-access"
    (warning,) = [m for m in checks.run_checks() if m.id == "remote_identity.W021"]
    assert "'cloudflare-access'" in warning.msg
    assert '{"preset": "cloudflare-access", ...}' in warning.hint


def test_mirroring_needs_a_groups_relation(settings, monkeypatch) -> None:
    from django.contrib.auth.models import User

    real = User._meta.get_field

    def without_groups(name: str) -> Any:
        if name == "groups":
            from django.core.exceptions import FieldDoesNotExist

            raise FieldDoesNotExist(name)
        return real(name)

    monkeypatch.setattr(User._meta, "get_field", without_groups)
    assert ids(settings, {}) == ["remote_identity.E027"]
    assert ids(settings, {f"{P}MIRROR_GROUPS": False}) == []


def test_messages_name_the_setting_and_have_a_hint() -> None:
    error = message("E001", value="127.0.0.1")
    assert error.level == checks.ERROR
    assert error.msg == f"{P}TRUSTED_PROXIES must be a list of strings, not '127.0.0.1'."
    assert error.hint
    assert message("W003", value=f"{P}X", hint="Remove it.").level == checks.WARNING


@pytest.mark.parametrize("debug", [pytest.param(False, id="E004"), pytest.param(True, id="W001")])
def test_an_empty_proxy_list_points_to_the_proxys_own_address(settings, debug) -> None:
    settings.DEBUG = debug
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = []
    (found,) = [
        m for m in checks.run_checks() if m.id in ("remote_identity.E004", "remote_identity.W001")
    ]
    assert found.id == f"remote_identity.{'W001' if debug else 'E004'}"
    # The documented convention: the proxy connects from an address of its own; trusting
    # 127.0.0.1 trusts every local process.
    assert '["127.0.0.2"]' in found.hint
    assert '"127.0.0.1", which trusts every local process' in found.hint
    assert '["127.0.0.1"]' not in found.hint
    assert f"{P}ASSERTION" in found.hint
    assert "quickstart" in found.hint


def test_manage_py_check_fails_on_an_error(settings) -> None:
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["0.0.0.0/0"]
    with pytest.raises(SystemCheckError, match=r"remote_identity\.E003"):
        call_command("check")
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["127.0.0.1"]
    call_command("check")


def test_gate_check_ids_are_check_ids() -> None:
    assert set(GATE_CHECK_IDS.values()) <= set(CHECKS)
    options = {option for option, _ in GATE_CHECK_IDS}
    assert options == {
        *(o.name for o in OPTIONS.values() if o.setting),
        *(o.name for o in POLICY_OPTIONS.values() if o.setting),
    }
    assert {reason for _, reason in GATE_CHECK_IDS} <= set(CONFIGURATION_REASONS)


def test_the_core_message_is_shown(settings) -> None:
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["10.0.0.0/7"]
    (error,) = [m for m in checks.run_checks() if m.id == "remote_identity.E034"]
    assert "10.0.0.0/7, wider than /8" in error.msg


def test_several_proxy_fix_layers_are_counted(settings) -> None:
    settings.WSGI_APPLICATION = f"{STACKS}.three_around_the_gate"
    (error,) = [m for m in checks.run_checks() if m.id == "remote_identity.E036"]
    assert error.msg.startswith("3 Werkzeug ProxyFix layers wrap the identity gate")


@pytest.mark.django_db
def test_local_superusers_with_a_password_are_reported(settings) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", password="pw")
    User.objects.create_superuser("proxied")  # an unusable password: not local
    User.objects.create(username="blank", is_superuser=True)  # "": no password at all
    User.objects.create_user("staffer", password="pw", is_staff=True)  # not a superuser

    def found() -> list[checks.CheckMessage]:
        return [
            m
            for m in checks.run_checks(databases=["default"])
            if (m.id or "").startswith("remote_identity.")
        ]

    (warning,) = found()
    assert warning.id == "remote_identity.W010"
    assert warning.level == checks.WARNING
    assert warning.msg.startswith("1 local superuser(s) with a usable password (root):")
    # Database checks run only when asked for a database (manage.py check --database).
    assert ids(settings, {}) == []
    settings.REMOTE_IDENTITY_LOCAL_USERS = "refuse"
    assert found() == []


@pytest.mark.django_db
def test_local_superusers_check_lists_five_and_survives_a_missing_table(
    settings, monkeypatch
) -> None:
    from django.contrib.auth.models import User

    for n in range(7):
        User.objects.create_superuser(f"root{n}", password="pw")
    (warning,) = [
        m for m in checks.run_checks(databases=["default"]) if m.id == "remote_identity.W010"
    ]
    assert (
        "7 local superuser(s) with a usable password (root0, root1, root2, root3, root4, ...)"
        in (warning.msg)
    )
    from django.db import DatabaseError
    from django.db.models.query import QuerySet

    def no_table(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("no such table: auth_user")

    monkeypatch.setattr(QuerySet, "values_list", no_table)
    assert [
        m for m in checks.run_checks(databases=["default"]) if m.id == "remote_identity.W010"
    ] == []


def test_user_admin_without_the_proxy_mixin_is_reported(settings) -> None:
    from django.contrib import admin
    from django.contrib.auth.admin import UserAdmin
    from django.contrib.auth.models import User

    from remote_identity_django.user_admin import ProxyOwnedFieldsMixin

    wrapped = admin.site._registry[User]
    assert isinstance(wrapped, ProxyOwnedFieldsMixin)  # done by the app's admin module
    admin.site.unregister(User)
    admin.site.register(User, UserAdmin)
    try:
        assert ids(settings, {}) == ["remote_identity.W011"]
        assert ids(settings, {f"{P}ENABLED": False}) == []
    finally:
        admin.site.unregister(User)
        admin.site.register(User, type(wrapped))
    assert ids(settings, {}) == []
