"""``conf``: defaults, the gate built from the settings, rebuilt when they change; and
through the gate and the backend, one directory name is one Django user."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from remote_identity import PRESETS, ConfigurationError
from remote_identity.options import OPTIONS, POLICY_OPTIONS
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.conf import (
    DEFAULT_USER_ATTR_MAP,
    GATE_SETTINGS,
    NAMES,
    conf,
    gate_options,
    gate_settings,
    get_gate,
)

DEFAULTS = {
    "TRUSTED_PROXIES": (),
    "SCHEME": "authelia",
    "SHARED_SECRET_HEADER": None,
    "SHARED_SECRET": None,
    "ON_UNTRUSTED": "strip",
    "ON_INVALID": "reject",
    "USERNAME_CASE": "preserve",
    "ASSERTION": None,
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
        "assertion",
        "on_invalid",
        "on_untrusted",
        "policy",
        "scheme",
        "shared_secret",
        "shared_secret_header",
        "trusted_proxies",
    ]


def test_gate_settings_come_from_the_core_options() -> None:
    expected = {
        option.setting: option
        for option in (*OPTIONS.values(), *POLICY_OPTIONS.values())
        if option.setting
    }
    assert dict(GATE_SETTINGS) == expected
    assert set(gate_settings()) == {option.name for option in expected.values()}


def test_an_unknown_attribute_is_not_a_setting() -> None:
    with pytest.raises(AttributeError, match="REMOTE_IDENTITY_NOPE is not a setting"):
        conf.NOPE  # noqa: B018


def test_bad_username_case_raises_with_its_option(settings) -> None:
    settings.REMOTE_IDENTITY_USERNAME_CASE = "upper"
    with pytest.raises(ConfigurationError) as info:
        gate_options()
    assert (info.value.option, info.value.reason) == ("username_case", "not_a_choice")


# --- one directory name is one account ------------------------------------------------

# Letters with case pairs and letters NFC composes; then look-alikes the core refuses,
# and blanks.
CLEAN = "aAkKsSiIıİßẞσςΣåÅöÖ\u0308\u030a\u0307 0._-@"
ALPHABET = CLEAN + "\u212a\u212b\u2126\u017f\uff41\u1d2c\u00a0\u3000\u3164\u034f\u2800\u200b"


def _variants(text: str) -> list[str]:
    return [
        text,
        text.upper(),
        text.lower(),
        text.swapcase(),
        text.casefold(),
        unicodedata.normalize("NFD", text),
        unicodedata.normalize("NFKC", text),
        unicodedata.normalize("NFKD", text),
        text.replace("K", "\u212a").replace("k", "\u212a"),
        text + "\u00a0",
    ]


@st.composite
def name_pairs(draw: Any) -> tuple[str, str]:
    base = draw(st.text(alphabet=st.sampled_from(CLEAN), min_size=1, max_size=8))
    clean = st.text(alphabet=st.sampled_from(CLEAN), min_size=1, max_size=8)
    other = draw(
        st.one_of(
            st.sampled_from(_variants(base)),
            st.sampled_from(_variants(base)),
            clean,
            clean,
            st.text(alphabet=st.sampled_from(ALPHABET), min_size=1, max_size=8),
        )
    )
    return base, other


def _user_of(raw: str) -> tuple[str, int] | None:
    """The accepted username of the header value ``raw`` and its user's pk, or ``None``."""
    environ = {
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REMOTE_USER": raw.encode("utf-8").decode("latin-1"),
    }
    verdict = get_gate().process(environ)
    if verdict.identity is None:
        return None
    request = RequestFactory().get("/")
    user = authenticate(request, remote_user=verdict.identity.username, identity=verdict.identity)
    assert isinstance(user, User)
    return verdict.identity.username, user.pk


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["preserve", "lower"])
@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=name_pairs())
def test_two_accepted_usernames_that_differ_are_two_users(case: str, pair: tuple[str, str]) -> None:
    with override_settings(REMOTE_IDENTITY_USERNAME_CASE=case, REMOTE_IDENTITY_MIRROR_GROUPS=False):
        first, second = _user_of(pair[0]), _user_of(pair[1])
    event(f"both accepted: {first is not None and second is not None}")
    if first is None or second is None:
        return
    event(f"same name: {first[0] == second[0]}")
    (name1, pk1), (name2, pk2) = first, second
    assert (name1 == name2) == (pk1 == pk2)
    assert User.objects.get(pk=pk1).username == name1
    if case == "lower":
        assert name1 == name1.lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        pytest.param("Kevin", "\u212aevin", None, id="kelvin-refused"),
        pytest.param("admin", "admin\u00a0", None, id="nbsp-refused"),
        pytest.param("jörn", "jo\u0308rn", True, id="composed-is-the-same-name"),
        pytest.param("Alice", "alice", False, id="case-preserved"),
        pytest.param("straße", "strasse", False, id="sharp-s-is-not-ss"),
    ],
)
def test_examples_of_one_name_one_account(first: str, second: str, same: bool | None) -> None:
    one, other = _user_of(first), _user_of(second)
    assert one is not None
    if same is None:
        assert other is None
        return
    assert other is not None
    assert (one[1] == other[1]) is same


# With IDENTIFY_BY = "email" the address is the account name: the same property.

DOMAINS = ["example.com", "EXAMPLE.com", "Example.COM", "bücher.example", "BÜCHER.example"]


@st.composite
def address_pairs(draw: Any) -> tuple[str, str]:
    local = st.text(alphabet=st.sampled_from(CLEAN.replace("@", "")), min_size=1, max_size=8)
    base = draw(local)
    other = draw(
        st.one_of(
            st.sampled_from(_variants(base)),
            st.sampled_from(_variants(base)),
            local,
            st.text(alphabet=st.sampled_from(ALPHABET.replace("@", "")), min_size=1, max_size=8),
        )
    )
    domains = st.sampled_from(DOMAINS)
    return f"{base}@{draw(domains)}", f"{other}@{draw(domains)}"


def _user_by_email(raw: str) -> tuple[str, str, int] | None:
    """The accepted address in ``Remote-Email: raw``, the username it signs in as and its
    user's pk, or ``None`` (refused, or dropped as not an address)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REMOTE_USER": "same-for-all",
        "HTTP_REMOTE_EMAIL": raw.encode("utf-8").decode("latin-1"),
    }
    verdict = get_gate().process(environ)
    if verdict.identity is None or verdict.identity.email is None:
        return None
    backend = RemoteIdentityBackend()
    username = backend.username_for(verdict.identity)
    assert username is not None
    user = backend.authenticate(RequestFactory().get("/"), username, verdict.identity)
    assert isinstance(user, User)
    return verdict.identity.email, username, user.pk


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["preserve", "lower"])
@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=address_pairs())
def test_two_accepted_addresses_that_differ_are_two_users(case: str, pair: tuple[str, str]) -> None:
    with override_settings(
        REMOTE_IDENTITY_IDENTIFY_BY="email",
        REMOTE_IDENTITY_USERNAME_CASE=case,
        REMOTE_IDENTITY_MIRROR_GROUPS=False,
    ):
        first, second = _user_by_email(pair[0]), _user_by_email(pair[1])
    event(f"both accepted: {first is not None and second is not None}")
    if first is None or second is None:
        return
    event(f"same name: {first[1] == second[1]}")
    (email1, name1, pk1), (email2, name2, pk2) = first, second
    assert (name1 == name2) == (pk1 == pk2)
    assert User.objects.get(pk=pk1).username == name1
    if case == "lower":  # USERNAME_CASE's rule, on the whole address
        assert name1 == unicodedata.normalize("NFC", email1.lower())
    else:  # the address as the core normalized it: two addresses, two users
        assert name1 == email1
        assert (email1 == email2) == (pk1 == pk2)
    # The domain's case never matters; the local part's only under "lower".
    local1, _, domain1 = pair[0].rpartition("@")
    local2, _, domain2 = pair[1].rpartition("@")
    if local1 == local2 and domain1.lower() == domain2.lower():
        assert pk1 == pk2
