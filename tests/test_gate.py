"""Tests of remote_identity.gate: the trust decision and parsing applied to one environ."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import remote_identity.gate
from remote_identity import (
    ENVIRON_KEY,
    ConfigurationError,
    Identity,
    IdentityGate,
    TrustedProxies,
    Verdict,
)
from remote_identity.errors import CONFIGURATION_REASONS
from remote_identity.events import SecurityLog, refusal_counts
from remote_identity.gate import ORIG_KEY, PROXY_FIX_ORIG, REDACTED, VERDICT_KEY
from remote_identity.options import OPTIONS
from remote_identity.parsing import ParseResult
from remote_identity.schemes import PRESETS, environ_key

SECRET = "s3cret-s3cret-s3cret"
HEADERS = {
    "HTTP_REMOTE_USER": "alice",
    "HTTP_REMOTE_NAME": "Alice",
    "HTTP_REMOTE_EMAIL": "alice@example.com",
    "HTTP_REMOTE_GROUPS": "admins,staff",
}
ALICE = Identity("alice", "Alice", "alice@example.com", ("admins", "staff"))
ALL_HEADERS = ("Remote-User", "Remote-Name", "Remote-Email", "Remote-Groups")


def environ(peer: str | None = "127.0.0.1", **headers: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if peer is not None:
        env["REMOTE_ADDR"] = peer
    env.update(headers)
    return env


def gate(**kwargs: Any) -> IdentityGate:
    kwargs.setdefault("trusted_proxies", ["127.0.0.1"])
    return IdentityGate(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"trusted_proxies": "127.0.0.1"}, "not the string", id="bare-string"),
        pytest.param({"trusted_proxies": ["nope"]}, "trusted proxy 'nope'", id="bad-entry"),
        pytest.param({"scheme": "nope"}, "unknown header scheme 'nope'", id="scheme"),
        pytest.param(
            {"on_untrusted": "drop"}, "on_untrusted must be 'strip' or 'reject'", id="untrusted"
        ),
        pytest.param(
            {"on_invalid": "strip"}, "on_invalid must be 'reject' or 'anonymous'", id="invalid"
        ),
        pytest.param({"policy": {"max_groups": 3}}, "policy must be a ParsingPolicy", id="policy"),
        pytest.param({"shared_secret": SECRET}, "must be set together", id="secret-only"),
        pytest.param(
            {"shared_secret_header": "X-Secret"}, "must be set together", id="header-only"
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": "short"},
            "at least 16 characters",
            id="short-secret",
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": b"0123456789abcdefg"},
            "at least 16 characters",
            id="bytes-secret",
        ),
        pytest.param(
            {"shared_secret_header": "X_Secret", "shared_secret": SECRET},
            "'X_Secret' is not a valid header name",
            id="secret-header-name",
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": " " * 20},
            "blank or starts or ends with white space",
            id="blank-secret",
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": SECRET + " "},
            "blank or starts or ends with white space",
            id="secret-trailing-space",
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": "\t" + SECRET},
            "blank or starts or ends with white space",
            id="secret-leading-tab",
        ),
        pytest.param(
            {"shared_secret_header": "X-Secret", "shared_secret": SECRET + "\u00a0"},
            "blank or starts or ends with white space",
            id="secret-trailing-nbsp",
        ),
        pytest.param({"trusted_proxies": ["0.0.0.0/0"]}, "every IPv4 address", id="everyone"),
        pytest.param({"trusted_proxies": ["10.0.0.0/7"]}, "wider than /8", id="too-wide"),
    ],
)
def test_construction_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        gate(**kwargs)
    assert info.value.option in OPTIONS
    assert info.value.reason in CONFIGURATION_REASONS


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'trusted'"):
        IdentityGate(trusted=["127.0.0.1"])  # type: ignore[call-arg]


def test_secret_with_inner_spaces_is_fine() -> None:
    secret = "correct horse battery staple"
    g = gate(shared_secret_header="X-Proxy-Secret", shared_secret=secret)
    verdict = g.process(environ(**HEADERS, HTTP_X_PROXY_SECRET=secret))
    assert verdict.outcome == "identity"


def test_default_trusts_nobody() -> None:
    verdict = IdentityGate().process(environ(**HEADERS))
    assert (verdict.outcome, verdict.trusted) == ("anonymous", False)


def test_construction_keeps_or_builds_trusted_proxies() -> None:
    proxies = TrustedProxies(["10.0.0.1"])
    assert gate(trusted_proxies=proxies).trusted_proxies is proxies
    built = gate(trusted_proxies=("10.0.0.1", "unix")).trusted_proxies
    assert isinstance(built, TrustedProxies)
    assert built.entries == ("10.0.0.1", "unix")


@pytest.mark.parametrize(
    ("kwargs", "removable"),
    [
        pytest.param(
            {},
            {"HTTP_REMOTE_USER", "HTTP_REMOTE_NAME", "HTTP_REMOTE_EMAIL", "HTTP_REMOTE_GROUPS"},
            id="scheme",
        ),
        pytest.param(
            {
                "scheme": "tinyauth",
                "shared_secret_header": "X-Secret",
                "shared_secret": "a-secret-of-some-length",
            },
            {*(environ_key(h) for h in PRESETS["tinyauth"].headers), "HTTP_X_SECRET"},
            id="with-secret",
        ),
    ],
)
def test_removable_is_every_key_process_may_remove(
    kwargs: dict[str, Any], removable: set[str]
) -> None:
    gate = IdentityGate(**kwargs)
    assert gate.removable == removable
    env = {"REMOTE_ADDR": "10.9.9.9", **dict.fromkeys(removable, "x")}
    gate.process(env)
    assert not removable & env.keys()


def test_scheme_name_resolved() -> None:
    assert gate(scheme="authentik").scheme.group_separator == "|"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1", id="remote-addr"),
        pytest.param({}, None, id="missing"),
        pytest.param({"REMOTE_ADDR": ""}, "", id="empty"),
        pytest.param({"REMOTE_ADDR": b"10.0.0.1"}, None, id="bytes"),
        pytest.param(
            {"REMOTE_ADDR": "203.0.113.7", PROXY_FIX_ORIG: {"REMOTE_ADDR": "10.0.0.1"}},
            "10.0.0.1",
            id="proxy-fix-original",
        ),
        pytest.param(
            {"REMOTE_ADDR": "203.0.113.7", PROXY_FIX_ORIG: {"REMOTE_ADDR": None}},
            None,
            id="proxy-fix-original-unix",
        ),
        pytest.param(
            {"REMOTE_ADDR": "10.0.0.1", PROXY_FIX_ORIG: {"HTTP_HOST": "example.com"}},
            "10.0.0.1",
            id="proxy-fix-without-remote-addr",
        ),
        pytest.param(
            {"REMOTE_ADDR": "10.0.0.1", PROXY_FIX_ORIG: "203.0.113.7"},
            "10.0.0.1",
            id="proxy-fix-not-a-dict",
        ),
        pytest.param(
            {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "10.0.0.1"},
            "203.0.113.7",
            id="x-forwarded-for-ignored",
        ),
    ],
)
def test_peer(env: dict[str, Any], expected: str | None) -> None:
    assert gate().peer(env) == expected


@pytest.mark.parametrize(
    ("kwargs", "env", "outcome", "trusted", "identity", "reason", "stripped"),
    [
        pytest.param({}, environ(**HEADERS), "identity", True, ALICE, None, (), id="trusted"),
        pytest.param({}, environ(), "anonymous", True, None, None, (), id="trusted-no-headers"),
        pytest.param(
            {},
            environ(HTTP_REMOTE_USER="", HTTP_REMOTE_GROUPS="admins"),
            "anonymous",
            True,
            None,
            None,
            (),
            id="trusted-empty-user",
        ),
        pytest.param(
            {},
            environ(HTTP_REMOTE_USER="alice,bob"),
            "rejected",
            True,
            None,
            "multiple_values",
            (),
            id="trusted-invalid",
        ),
        pytest.param(
            {"on_invalid": "anonymous"},
            environ(HTTP_REMOTE_USER="alice,bob", HTTP_REMOTE_GROUPS="admins"),
            "anonymous",
            True,
            None,
            "multiple_values",
            ("Remote-User", "Remote-Groups"),
            id="trusted-invalid-anonymous",
        ),
        pytest.param(
            {},
            environ("203.0.113.7", **HEADERS),
            "anonymous",
            False,
            None,
            "untrusted_peer",
            ALL_HEADERS,
            id="untrusted",
        ),
        pytest.param(
            {"on_untrusted": "reject"},
            environ("203.0.113.7", **HEADERS),
            "rejected",
            False,
            None,
            "untrusted_peer",
            ALL_HEADERS,
            id="untrusted-reject",
        ),
        pytest.param(
            {"on_untrusted": "reject"},
            environ("203.0.113.7"),
            "anonymous",
            False,
            None,
            None,
            (),
            id="untrusted-reject-without-headers",
        ),
        pytest.param(
            {"trusted_proxies": []},
            environ("127.0.0.1", **HEADERS),
            "anonymous",
            False,
            None,
            "untrusted_peer",
            ALL_HEADERS,
            id="nobody-trusted",
        ),
    ],
)
def test_process(
    kwargs: dict[str, Any],
    env: dict[str, Any],
    outcome: str,
    trusted: bool,
    identity: Identity | None,
    reason: str | None,
    stripped: tuple[str, ...],
) -> None:
    original = dict(env)
    verdict = gate(**kwargs).process(env)
    assert verdict.outcome == outcome
    assert verdict.trusted is trusted
    assert verdict.identity == identity
    assert (verdict.error.reason if verdict.error else None) == reason
    assert verdict.stripped == stripped
    assert verdict.peer == original.get("REMOTE_ADDR")
    assert env[ENVIRON_KEY] == identity
    assert env[VERDICT_KEY] is verdict
    keys = [f"HTTP_{h.upper().replace('-', '_')}" for h in stripped]
    assert all(key not in env for key in keys)
    if stripped:
        assert env[ORIG_KEY] == {key: original[key] for key in keys}
    else:
        assert ORIG_KEY not in env
        assert {k: v for k, v in env.items() if k.startswith("HTTP_")} == {
            k: v for k, v in original.items() if k.startswith("HTTP_")
        }


def test_untrusted_error_names_the_first_stripped_header() -> None:
    verdict = gate().process(environ("203.0.113.7", HTTP_REMOTE_GROUPS="admins"))
    assert verdict.error is not None
    assert verdict.error.header == "Remote-Groups"


def test_extra_headers_are_stripped_but_not_parsed() -> None:
    env = environ("203.0.113.7", HTTP_X_AUTHENTIK_JWT="forged.jwt.value", HTTP_X_AUTHENTIK_UID="1")
    verdict = gate(scheme="authentik").process(env)
    assert verdict.stripped == ("X-authentik-uid", "X-authentik-jwt")
    assert "HTTP_X_AUTHENTIK_JWT" not in env
    trusted = environ(HTTP_X_AUTHENTIK_JWT="jwt")
    assert gate(scheme="authentik").process(trusted).outcome == "anonymous"
    assert trusted["HTTP_X_AUTHENTIK_JWT"] == "jwt"


def test_existing_orig_dict_is_extended_not_replaced() -> None:
    earlier = {"HTTP_OTHER": "kept"}
    env = environ("203.0.113.7", HTTP_REMOTE_USER="mallory", **{ORIG_KEY: earlier})
    gate().process(env)
    assert env[ORIG_KEY] is earlier
    assert earlier == {"HTTP_OTHER": "kept", "HTTP_REMOTE_USER": "mallory"}


def test_orig_keeps_the_first_saved_value() -> None:
    env = environ(
        "203.0.113.7", HTTP_REMOTE_USER="mallory", **{ORIG_KEY: {"HTTP_REMOTE_USER": "first"}}
    )
    gate().process(env)
    assert env[ORIG_KEY] == {"HTTP_REMOTE_USER": "first"}


def test_orig_that_is_not_a_dict_is_replaced() -> None:
    env = environ("203.0.113.7", HTTP_REMOTE_USER="mallory", **{ORIG_KEY: "junk"})
    gate().process(env)
    assert env[ORIG_KEY] == {"HTTP_REMOTE_USER": "mallory"}


# --- logging ----------------------------------------------------------------------------


def test_untrusted_logs_one_warning_without_values(caplog: pytest.LogCaptureFixture) -> None:
    env = environ("203.0.113.7", HTTP_REMOTE_USER="mallory-value", HTTP_REMOTE_GROUPS="g-value")
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        gate().process(env)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert (record.name, record.levelno) == ("remote_identity.security", logging.WARNING)
    assert record.getMessage() == (
        "identity headers from untrusted peer 203.0.113.7 removed (untrusted_peer): "
        "Remote-User, Remote-Groups"
    )
    assert record.peer == "203.0.113.7"  # type: ignore[attr-defined]
    assert record.headers == ("Remote-User", "Remote-Groups")  # type: ignore[attr-defined]
    assert record.reason == "untrusted_peer"  # type: ignore[attr-defined]
    assert "value" not in caplog.text


def test_invalid_logs_one_warning_without_values(caplog: pytest.LogCaptureFixture) -> None:
    env = environ(HTTP_REMOTE_USER="alice,mallory-value")
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        gate().process(env)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert (record.name, record.levelno) == ("remote_identity.security", logging.WARNING)
    assert record.reason == "multiple_values"  # type: ignore[attr-defined]
    assert record.peer == "127.0.0.1"  # type: ignore[attr-defined]
    assert record.header == "Remote-User"  # type: ignore[attr-defined]
    assert "trusted peer 127.0.0.1 refused" in record.getMessage()
    assert "mallory" not in caplog.text


def test_untrusted_error_is_shared_between_requests() -> None:
    g = gate()
    first = g.process(environ("203.0.113.7", HTTP_REMOTE_NAME="x")).error
    second = g.process(environ("203.0.113.8", HTTP_REMOTE_NAME="y")).error
    assert first is second
    assert first is not None
    assert (first.reason, first.header) == ("untrusted_peer", "Remote-Name")


def test_untrusted_still_stripped_when_security_log_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = environ("203.0.113.7", HTTP_REMOTE_USER="mallory")
    with caplog.at_level(logging.CRITICAL, logger="remote_identity.security"):
        verdict = gate().process(env)
    assert verdict.stripped == ("Remote-User",)
    assert "HTTP_REMOTE_USER" not in env
    assert caplog.records == []


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(environ(**HEADERS), id="identity"),
        pytest.param(environ(), id="trusted-anonymous"),
        pytest.param(environ("203.0.113.7"), id="untrusted-without-headers"),
    ],
)
def test_quiet_when_nothing_is_wrong(caplog: pytest.LogCaptureFixture, env: dict[str, Any]) -> None:
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        gate().process(env)
    assert caplog.records == []


# --- shared secret ----------------------------------------------------------------------

SECRET_KEY = "HTTP_X_PROXY_SECRET"


def secret_gate(**kwargs: Any) -> IdentityGate:
    return gate(shared_secret_header="X-Proxy-Secret", shared_secret=SECRET, **kwargs)


@pytest.mark.parametrize(
    ("peer", "sent", "outcome", "reason"),
    [
        pytest.param("127.0.0.1", SECRET, "identity", None, id="correct"),
        pytest.param("127.0.0.1", SECRET + "x", "anonymous", "bad_secret", id="wrong"),
        pytest.param("127.0.0.1", SECRET[:-1], "anonymous", "bad_secret", id="prefix"),
        pytest.param("127.0.0.1", "", "anonymous", "bad_secret", id="empty"),
        pytest.param("127.0.0.1", None, "anonymous", "bad_secret", id="missing"),
        pytest.param("127.0.0.1", b"s3cret-s3cret-s3cret", "anonymous", "bad_secret", id="bytes"),
        pytest.param(
            "127.0.0.1", "s3cret-s3cret-s3cre€", "anonymous", "bad_secret", id="non-latin-1"
        ),
        pytest.param("203.0.113.7", SECRET, "anonymous", "untrusted_peer", id="untrusted-peer"),
        pytest.param("203.0.113.7", None, "anonymous", "untrusted_peer", id="untrusted-missing"),
    ],
)
def test_shared_secret(peer: str, sent: Any, outcome: str, reason: str | None) -> None:
    env = environ(peer, **HEADERS)
    if sent is not None:
        env[SECRET_KEY] = sent
    verdict = secret_gate().process(env)
    assert verdict.outcome == outcome
    assert (verdict.error.reason if verdict.error else None) == reason
    assert verdict.trusted is (reason is None)
    assert SECRET_KEY not in env
    orig = env.get(ORIG_KEY, {})
    assert orig.get(SECRET_KEY) == (None if sent is None else REDACTED)
    assert SECRET not in repr(env)


def test_bad_secret_without_identity_headers_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        verdict = secret_gate().process(environ(**{SECRET_KEY: "wrong"}))
    assert (verdict.outcome, verdict.trusted, verdict.stripped) == ("anonymous", False, ())
    assert verdict.error is not None
    assert verdict.error.reason == "bad_secret"
    assert caplog.records == []


def test_bad_secret_rejected(caplog: pytest.LogCaptureFixture) -> None:
    env = environ(**HEADERS, **{SECRET_KEY: "wrong-wrong-wrong-wrong"})
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        verdict = secret_gate(on_untrusted="reject").process(env)
    assert (verdict.outcome, verdict.trusted) == ("rejected", False)
    assert verdict.error is not None
    assert (verdict.error.reason, verdict.error.header) == ("bad_secret", "X-Proxy-Secret")
    assert [r.reason for r in caplog.records] == ["bad_secret"]  # type: ignore[attr-defined]
    assert "wrong-wrong" not in caplog.text


def test_non_ascii_secret_compared_as_utf8_bytes() -> None:
    secret = "geheimnis-schlüssel-ß"
    wire = secret.encode("utf-8").decode("latin-1")
    g = gate(shared_secret_header="X-Proxy-Secret", shared_secret=secret)
    assert g.process(environ(**HEADERS, **{SECRET_KEY: wire})).outcome == "identity"
    assert g.process(environ(**HEADERS, **{SECRET_KEY: secret})).outcome == "anonymous"


# --- the parse cache --------------------------------------------------------------------


def test_parse_cache_returns_the_same_identity_object() -> None:
    g = gate()
    first = g.process(environ(**HEADERS)).identity
    second = g.process(environ(**HEADERS)).identity
    assert first == ALICE
    assert second is first
    other = g.process(environ(**{**HEADERS, "HTTP_REMOTE_GROUPS": "admins"})).identity
    assert other is not first
    assert other == Identity("alice", "Alice", "alice@example.com", ("admins",))


def test_parse_cache_keeps_anonymous_and_skips_invalid() -> None:
    g = gate()
    assert g.process(environ(HTTP_REMOTE_USER="")).outcome == "anonymous"
    for _ in range(2):
        assert g.process(environ(HTTP_REMOTE_USER="a,b")).outcome == "rejected"
    assert g._cache == {("", None, None, None): ParseResult(None)}


def test_parse_cache_ignores_unrelated_keys() -> None:
    g = gate()
    first = g.process(environ(**HEADERS, HTTP_ACCEPT="text/html")).identity
    assert g.process(environ(**HEADERS, HTTP_ACCEPT="*/*")).identity is first
    assert len(g._cache) == 1


def test_parse_cache_is_bounded() -> None:
    size = remote_identity.gate._PARSE_CACHE_SIZE
    g = gate()
    for n in range(size):
        assert g.process(environ(HTTP_REMOTE_USER=f"user{n}")).identity == Identity(f"user{n}")
    assert len(g._cache) == size
    assert g.process(environ(HTTP_REMOTE_USER="one-more")).identity == Identity("one-more")
    assert list(g._cache) == [("one-more", None, None, None)]
    again = g.process(environ(HTTP_REMOTE_USER="user0")).identity
    assert again == Identity("user0")
    assert len(g._cache) == 2


def test_verdict_is_immutable() -> None:
    verdict = Verdict("anonymous", "10.0.0.1", trusted=True)
    with pytest.raises(AttributeError):
        verdict.trusted = False  # type: ignore[misc]
    assert (verdict.identity, verdict.error, verdict.stripped) == (None, None, ())
    assert verdict == Verdict(outcome="anonymous", peer="10.0.0.1", trusted=True)


@pytest.mark.parametrize(
    "verdict",
    [
        pytest.param(Verdict("identity", "127.0.0.1", trusted=True), id="identity"),
        pytest.param(Verdict("anonymous", "127.0.0.3", trusted=False), id="anonymous"),
        pytest.param(Verdict("rejected", "127.0.0.1", trusted=True), id="rejected-no-error"),
    ],
)
def test_refusal_only_for_rejected_verdicts_with_an_error(verdict: Verdict) -> None:
    with pytest.raises(ValueError, match="is not a refusal"):
        verdict.refusal()


# --- decide: the decision without the environ -----------------------------------------


def test_decide_changes_nothing() -> None:
    values = {"HTTP_REMOTE_USER": "mallory", "HTTP_REMOTE_GROUPS": "admins"}
    before = dict(values)
    verdict = gate().decide("203.0.113.7", values)
    assert values == before
    assert verdict.stripped == ("Remote-User", "Remote-Groups")
    assert verdict.error is not None
    assert verdict.error.reason == "untrusted_peer"


def test_decide_ambiguous_trusts_nobody() -> None:
    verdict = gate().decide("127.0.0.1", {"HTTP_REMOTE_USER": "admin"}, ambiguous=True)
    assert (verdict.outcome, verdict.trusted) == ("anonymous", False)
    assert verdict.error is not None
    assert (verdict.error.reason, verdict.error.header) == ("ambiguous_peer", "X-Forwarded-For")
    quiet = gate().decide("127.0.0.1", {}, ambiguous=True)
    assert (quiet.stripped, quiet.error is not None) == ((), True)


# --- the parse cache is keyed by what parsing reads ------------------------------------


def _parsed_cases() -> list[Any]:
    cases = []
    for name, scheme in PRESETS.items():
        for header in scheme.parsed_headers:
            cases.append(pytest.param(name, header, id=f"{name}-{header}"))
    return cases


@pytest.mark.parametrize(("name", "header"), _parsed_cases())
def test_a_changed_parsed_header_is_never_served_from_the_cache(name: str, header: str) -> None:
    scheme = PRESETS[name]
    g = gate(scheme=name)
    base = dict.fromkeys(scheme.environ_keys, f"{scheme.value_prefix}u@example.com")
    first = g.process(environ(**base)).identity
    assert first is not None
    changed = dict(base)
    key = scheme.environ_keys[scheme.headers.index(header)]
    changed[key] = f"{scheme.value_prefix}other@example.com"
    second = g.process(environ(**changed)).identity
    assert second != first
    assert g.process(environ(**base)).identity is first


def test_cache_key_is_the_schemes_parsed_keys() -> None:
    g = gate()
    g.process(environ(**HEADERS))
    assert list(g._cache) == [tuple(HEADERS[key] for key in g.scheme.parsed_keys)]


# --- warnings: what parsing dropped, in every verdict ----------------------------------


def test_dropped_email_is_in_every_verdict_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    g = gate()
    now = [0.0]
    g.events = SecurityLog(clock=lambda: now[0])
    headers = {**HEADERS, "HTTP_REMOTE_EMAIL": "not-an-address"}
    with caplog.at_level(logging.DEBUG, logger="remote_identity"):
        verdicts = [g.process(environ(**headers)) for _ in range(3)]
    for verdict in verdicts:
        assert verdict.outcome == "identity"
        assert [(w.reason, w.header) for w in verdict.warnings] == [
            ("invalid_email", "Remote-Email")
        ]
    assert verdicts[1].identity is verdicts[0].identity
    (record,) = caplog.records
    assert (record.name, record.levelno) == ("remote_identity.parsing", logging.WARNING)
    assert record.getMessage().startswith("Remote-Email dropped: Remote-Email: ")
    assert record.reason == "invalid_email"  # type: ignore[attr-defined]
    assert "not-an-address" not in caplog.text
    assert g.refusals == {"invalid_email": 3}


# --- counting and rate limiting ---------------------------------------------------------


def test_every_refusal_is_counted_by_reason() -> None:
    g = gate(shared_secret_header="X-Proxy-Secret", shared_secret=SECRET)
    g.process(environ("203.0.113.7", **HEADERS))
    g.process(environ("203.0.113.8", **HEADERS))
    g.process(environ(**HEADERS))  # no secret
    g.process(environ(HTTP_REMOTE_USER="a,b", HTTP_X_PROXY_SECRET=SECRET))
    g.process(environ(**HEADERS, HTTP_X_PROXY_SECRET=SECRET))  # fine
    g.process(environ("203.0.113.9"))  # nothing to refuse
    assert g.refusals == {"untrusted_peer": 2, "bad_secret": 1, "multiple_values": 1}
    totals = refusal_counts()
    assert totals["untrusted_peer"] >= 2
    assert totals["multiple_values"] >= 1


def test_refusals_are_counted_when_the_log_is_off(caplog: pytest.LogCaptureFixture) -> None:
    g = gate()
    with caplog.at_level(logging.CRITICAL, logger="remote_identity"):
        for _ in range(5):
            g.process(environ("203.0.113.7", **HEADERS))
    assert caplog.records == []
    assert g.refusals == {"untrusted_peer": 5}


def test_security_log_is_rate_limited_per_peer_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    g = gate()
    now = [50.0]
    g.events = SecurityLog(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="remote_identity"):
        for _ in range(4):
            g.process(environ("203.0.113.7", **HEADERS))
        g.process(environ("203.0.113.8", **HEADERS))  # another peer: its own record
        g.process(environ(HTTP_REMOTE_USER="a,b"))  # another reason: its own record
        now[0] += 9.9
        g.process(environ("203.0.113.7", **HEADERS))
        now[0] += 0.1
        g.process(environ("203.0.113.7", **HEADERS))
    records = [(r.peer, r.reason, r.suppressed) for r in caplog.records]  # type: ignore[attr-defined]
    assert records == [
        ("203.0.113.7", "untrusted_peer", 0),
        ("203.0.113.8", "untrusted_peer", 0),
        ("127.0.0.1", "multiple_values", 0),
        ("203.0.113.7", "untrusted_peer", 4),
    ]
    assert g.refusals == {"untrusted_peer": 7, "multiple_values": 1}


# --- the server check: every layer that hands the gate an environ ----------------------


@pytest.mark.parametrize(
    ("software", "warned"),
    [
        pytest.param("granian", True, id="granian"),
        pytest.param("Granian/2.8.9", True, id="granian-versioned"),
        pytest.param("gunicorn/23.0.0", False, id="gunicorn"),
        pytest.param(None, False, id="missing"),
        pytest.param(5, False, id="not-a-string"),
    ],
)
def test_folding_server_warned_once_per_gate(
    caplog: pytest.LogCaptureFixture, software: object, warned: bool
) -> None:
    g = gate()
    with caplog.at_level(logging.WARNING, logger="remote_identity"):
        for _ in range(3):
            env = environ(**HEADERS)
            if software is not None:
                env["SERVER_SOFTWARE"] = software
            assert g.process(env).outcome == "identity"
    reasons = [r.reason for r in caplog.records]  # type: ignore[attr-defined]
    assert reasons == (["underscore_header"] if warned else [])
    if warned:
        assert caplog.records[0].server == software  # type: ignore[attr-defined]
        assert g.refusals == {"underscore_header": 1}
