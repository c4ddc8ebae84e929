"""Tests of remote_identity.options: every gate option defined once, used by every layer."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

import pytest

from remote_identity import (
    DEFAULT_POLICY,
    ConfigurationError,
    GateOptions,
    HeaderScheme,
    IdentityGate,
    ParsingPolicy,
    TrustedProxies,
    asgi,
    wsgi,
)
from remote_identity.errors import CONFIGURATION_REASONS
from remote_identity.options import (
    OPTIONS,
    POLICY_OPTIONS,
    args_doc,
    check_combination,
    check_names,
    problems,
)

SECRET = "s3cret-s3cret-s3cret"


def test_the_typed_keywords_are_the_options_in_order() -> None:
    assert list(typing.get_type_hints(GateOptions)) == list(OPTIONS)
    assert GateOptions.__total__ is False


@pytest.mark.parametrize("name", list(OPTIONS))
def test_each_option_is_complete(name: str) -> None:
    option = OPTIONS[name]
    assert option.name == name
    assert option.doc.strip()
    assert option.doc.endswith(".")
    assert option.type
    # The default passes its own validation.
    option.take({})
    if option.flag is not None:
        assert option.flag.startswith("--")
    if option.setting is not None:
        assert option.setting == option.setting.upper()


def test_flags_and_settings_are_unique() -> None:
    every = [*OPTIONS.values(), *POLICY_OPTIONS.values()]
    flags = [o.flag for o in every if o.flag]
    settings = [o.setting for o in every if o.setting]
    assert len(flags) == len(set(flags))
    assert len(settings) == len(set(settings))
    assert settings == [
        "TRUSTED_PROXIES",
        "SCHEME",
        "ON_UNTRUSTED",
        "ON_INVALID",
        "SHARED_SECRET_HEADER",
        "SHARED_SECRET",
        "USERNAME_CASE",
    ]


def test_policy_options_are_parsing_policy_fields_with_their_defaults() -> None:
    fields = {field.name: field.default for field in dataclasses.fields(ParsingPolicy)}
    for name, option in POLICY_OPTIONS.items():
        assert fields[name] == option.default
        assert getattr(DEFAULT_POLICY, name) == option.default


def test_identity_gate_takes_every_option() -> None:
    scheme = HeaderScheme(name="corp", user_headers=("X-Corp-User",))
    policy = ParsingPolicy(username_case="lower")
    gate = IdentityGate(
        trusted_proxies=["10.0.0.1"],
        scheme=scheme,
        policy=policy,
        on_untrusted="reject",
        on_invalid="anonymous",
        shared_secret_header="X-Secret",
        shared_secret=SECRET,
    )
    assert gate.trusted_proxies.entries == ("10.0.0.1",)
    assert (gate.scheme, gate.policy) == (scheme, policy)
    assert (gate.on_untrusted, gate.on_invalid) == ("reject", "anonymous")
    assert gate.shared_secret_header == "X-Secret"


def test_defaults_of_the_gate() -> None:
    gate = IdentityGate()
    assert not gate.trusted_proxies
    assert gate.scheme.name == "authelia"
    assert gate.policy is DEFAULT_POLICY
    assert (gate.on_untrusted, gate.on_invalid, gate.shared_secret_header) == (
        "strip",
        "reject",
        None,
    )


def test_trusted_proxies_object_is_kept() -> None:
    proxies = TrustedProxies(["10.0.0.1"])
    assert OPTIONS["trusted_proxies"].take({"trusted_proxies": proxies}) is proxies


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, [], id="defaults"),
        pytest.param({"trusted_proxies": "10.0.0.1"}, [("trusted_proxies", "not_a_list")], id="s"),
        pytest.param({"trusted_proxies": [1]}, [("trusted_proxies", "not_a_string")], id="int"),
        pytest.param({"trusted_proxies": ["x"]}, [("trusted_proxies", "malformed")], id="bad"),
        pytest.param({"scheme": "nope"}, [("scheme", "unknown_scheme")], id="scheme"),
        pytest.param({"policy": {}}, [("policy", "not_a_policy")], id="policy"),
        pytest.param({"on_untrusted": "drop"}, [("on_untrusted", "not_a_choice")], id="untr"),
        pytest.param({"on_invalid": "strip"}, [("on_invalid", "not_a_choice")], id="invalid"),
        pytest.param({"shared_secret": SECRET}, [("shared_secret", "unpaired")], id="secret-alone"),
        pytest.param(
            {"shared_secret_header": "X-S"}, [("shared_secret_header", "unpaired")], id="header"
        ),
        pytest.param(
            {"shared_secret_header": "X_S", "shared_secret": "short"},
            [("shared_secret_header", "bad_header_name"), ("shared_secret", "too_short")],
            id="both-bad",
        ),
        pytest.param(
            {"shared_secret_header": "X-S", "shared_secret": 12345678901234567},
            [("shared_secret", "not_a_string")],
            id="secret-int",
        ),
        pytest.param(
            {"shared_secret_header": "X-S", "shared_secret": ""},
            [("shared_secret", "whitespace")],
            id="secret-empty",
        ),
        pytest.param(
            {"trusted_proxies": "x", "scheme": 1, "on_invalid": None},
            [
                ("trusted_proxies", "not_a_list"),
                ("scheme", "unknown_scheme"),
                ("on_invalid", "not_a_choice"),
            ],
            id="several",
        ),
    ],
)
def test_problems_lists_every_error(
    options: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    found = problems(options)
    assert [(e.option, e.reason) for e in found] == expected
    assert all(e.reason in CONFIGURATION_REASONS for e in found)
    if expected:
        with pytest.raises(ConfigurationError) as info:
            IdentityGate(**options)
        assert (info.value.option, info.value.reason) == expected[0]


def test_check_names_and_combination() -> None:
    check_names({"scheme": "authelia"})
    with pytest.raises(TypeError, match="unexpected keyword argument 'secret'"):
        check_names({"secret": SECRET})
    check_combination({"shared_secret_header": "X-S", "shared_secret": SECRET})
    check_combination({})


@pytest.mark.parametrize(
    "component",
    [
        pytest.param(IdentityGate, id="gate"),
        pytest.param(wsgi.RemoteIdentityMiddleware, id="wsgi"),
        pytest.param(asgi.RemoteIdentityMiddleware, id="asgi"),
    ],
)
def test_every_component_documents_every_option(component: type) -> None:
    doc = inspect.getdoc(component)
    assert doc is not None
    section = doc.split("Args:\n", 1)[1]
    for option in OPTIONS.values():
        assert f"    {option.name}: {option.doc}" in section


def test_args_doc_shows_readable_defaults() -> None:
    text = args_doc("")
    assert "Default: ``DEFAULT_POLICY``." in text
    assert "Default: ``'authelia'``." in text
    assert "Default: ``() (nobody)``." in text


@pytest.mark.parametrize(
    ("name", "bad", "reason"),
    [
        pytest.param("username_case", "upper", "not_a_choice", id="username_case"),
        pytest.param("max_name_length", 0, "not_a_positive_integer", id="max_name_length"),
    ],
)
def test_policy_options_are_validated_by_parsing_policy(
    name: str, bad: object, reason: str
) -> None:
    option = POLICY_OPTIONS[name]
    assert option.take({}) == option.default
    with pytest.raises(ConfigurationError) as info:
        option.take({name: bad})
    assert (info.value.option, info.value.reason) == (name, reason)
