"""Tests of remote_identity.assertions.sources: keys from a real HTTP server on loopback
that the tests rotate, break and slow down, and that counts every request."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remote_identity.assertions import AssertionVerifier, InvalidAssertion
from remote_identity.assertions.keys import KeySourceError, parse_pem
from remote_identity.assertions.sources import PerKidKeys
from tests.assertion_support.keyserver import KeyServer, refused_url
from tests.assertion_support.signing import KeyPair, claims, ec_key, jwks

HEADER = "X-Test-Assertion"
EC = ec_key("ec-1")
NEW = ec_key("ec-2")
ATTACKER = ec_key("attacker")
COOLDOWN = 10.0
TTL = 300.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as keys:
        keys.serve_json("/jwks", jwks(EC))
        yield keys


@pytest.fixture
def clock() -> Clock:
    return Clock()


def verifier_for(url: str, clock: Clock, **options: Any) -> AssertionVerifier:
    base: dict[str, Any] = {
        "header": HEADER,
        "issuer": "https://issuer.example",
        "audience": "app",
        "algorithms": ["ES256"],
        "jwks_url": url,
        "clock": clock,
        "keys_ttl": TTL,
        "refetch_cooldown": COOLDOWN,
        "fetch_timeout": 1.0,
    }
    base.update(options)
    return AssertionVerifier(**base)


def reason(verifier: AssertionVerifier, token: str) -> str:
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(token)
    return info.value.reason


def fresh(key: KeyPair = EC, **overrides: Any) -> str:
    """A new token each call (a distinct jti), so the verified-token cache never answers."""
    return key.sign(claims(jti=uuid.uuid4().hex, **overrides))


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "remote_identity.assertions"
        and getattr(r, "reason", None) == "assertion_keys_unavailable"
    ]


def test_keys_are_fetched_once_and_reused(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    assert server.count() == 0  # nothing is fetched at construction
    for _ in range(5):
        assert verifier.verify(fresh()).username == "alice"
    assert server.count("/jwks") == 1
    assert verifier.keys_location == server.url("/jwks")


def test_keys_are_fetched_again_after_their_ttl(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    clock.advance(TTL - 1)
    verifier.verify(fresh())
    assert server.count("/jwks") == 1
    clock.advance(2)
    verifier.verify(fresh())
    assert server.count("/jwks") == 2


def test_unknown_kid_then_rotation(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    assert verifier.verify(fresh()).key_id == "ec-1"
    # Within the cooldown of the first fetch, an unknown kid causes no fetch.
    assert reason(verifier, fresh(NEW)) == "assertion_unknown_key"
    assert server.count("/jwks") == 1
    server.serve_json("/jwks", jwks(EC, NEW))  # the proxy rotates
    assert reason(verifier, fresh(NEW)) == "assertion_unknown_key"
    assert server.count("/jwks") == 1
    clock.advance(COOLDOWN)
    assert verifier.verify(fresh(NEW)).key_id == "ec-2"  # no restart needed
    assert verifier.verify(fresh()).key_id == "ec-1"
    assert server.count("/jwks") == 2


def test_a_flood_of_random_kids_fetches_once_per_cooldown(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    for round_number in (1, 2, 3):
        clock.advance(COOLDOWN)
        for _ in range(300):
            attacker = ec_key(uuid.uuid4().hex)
            assert reason(verifier, fresh(attacker)) == "assertion_unknown_key"
        assert server.count("/jwks") == 1 + round_number
    assert verifier.verify(fresh()).username == "alice"


def test_a_concurrent_flood_of_random_kids_fetches_once(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    clock.advance(COOLDOWN)
    tokens = [fresh(ec_key(uuid.uuid4().hex)) for _ in range(40)]
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def flood() -> None:
        start.wait(5)
        for token in tokens:
            try:
                verifier.verify(token)
            except InvalidAssertion as error:
                outcomes.append(error.reason)

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == ["assertion_unknown_key"] * 320
    assert server.count("/jwks") == 2


def test_token_urls_are_never_fetched(server: KeyServer, clock: Clock) -> None:
    """``jku``, ``x5u``, ``jwk`` and a URL as ``kid``: the pinned URL is the only one."""
    with KeyServer() as evil:
        evil.serve_json("/jwks", jwks(ATTACKER))
        evil.serve("/cert", ATTACKER.pem().encode())
        verifier = verifier_for(server.url("/jwks"), clock)
        steering = {
            "jku": evil.url("/jwks"),
            "x5u": evil.url("/cert"),
            "jwk": ATTACKER.jwk(),
            "x5c": ["MIIB"],
        }
        clock.advance(COOLDOWN)
        assert reason(verifier, ATTACKER.sign(claims(), steering)) == "assertion_unknown_key"
        # A known kid with an embedded key: the embedded key is not used.
        forged = ATTACKER.sign(claims(), {**steering, "kid": "ec-1"})
        assert reason(verifier, forged) == "assertion_signature"
        clock.advance(COOLDOWN)
        as_url = ATTACKER.sign(claims(), {"kid": evil.url("/jwks")})
        assert reason(verifier, as_url) == "assertion_unknown_key"
        assert evil.count() == 0
        assert server.count("/jwks") == 2  # the pinned URL, twice (one per cooldown)


BREAKS = [
    pytest.param({"body": b"oops", "status": 500}, id="http-500"),
    pytest.param({"body": b"<html>maintenance</html>"}, id="garbage"),
    pytest.param({"body": b'{"keys": []}'}, id="empty-jwks"),
    pytest.param({"body": b'{"no": "keys"}'}, id="not-jwks"),
    pytest.param({"body": b"", "status": 302, "headers": {"Location": "/evil"}}, id="redirect"),
    pytest.param({"body": b"{}", "status": 204}, id="no-content"),
]


@pytest.mark.parametrize("broken", BREAKS)
def test_a_failed_refresh_keeps_the_last_good_keys(
    server: KeyServer, clock: Clock, broken: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    server.serve("/jwks", **broken)
    server.serve_json("/evil", jwks(ATTACKER))
    clock.advance(TTL)
    with caplog.at_level(logging.WARNING, "remote_identity.assertions"):
        assert verifier.verify(fresh()).username == "alice"
    assert server.count("/jwks") == 2
    assert server.count("/evil") == 0
    [record] = failures(caplog)
    assert record.levelno == logging.WARNING
    assert "the last good keys stay in use" in record.getMessage()
    # Retried after the cooldown, not on every request.
    for _ in range(5):
        verifier.verify(fresh())
    assert server.count("/jwks") == 2
    clock.advance(COOLDOWN)
    server.serve_json("/jwks", jwks(EC, NEW))
    assert verifier.verify(fresh(NEW)).key_id == "ec-2"
    assert server.count("/jwks") == 3


def test_key_server_gone_keeps_the_last_good_keys(
    server: KeyServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    server.stop()  # connection refused from now on
    clock.advance(TTL)
    with caplog.at_level(logging.WARNING, "remote_identity.assertions"):
        assert verifier.verify(fresh()).username == "alice"
    [record] = failures(caplog)
    assert "ConnectionRefusedError" in record.getMessage() or "Errno" in record.getMessage()


def test_no_keys_at_all(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    with KeyServer() as broken:
        broken.serve("/jwks", b"down", status=503)
        verifier = verifier_for(broken.url("/jwks"), clock)
        with caplog.at_level(logging.WARNING, "remote_identity.assertions"):
            for _ in range(5):
                assert reason(verifier, fresh()) == "assertion_keys_unavailable"
        assert broken.count("/jwks") == 1  # one attempt per cooldown, not one per request
        [record] = failures(caplog)
        assert record.levelno == logging.ERROR
        clock.advance(COOLDOWN)
        broken.serve_json("/jwks", jwks(EC))
        assert verifier.verify(fresh()).username == "alice"
        assert broken.count("/jwks") == 2


def test_connection_refused_without_keys(clock: Clock) -> None:
    verifier = verifier_for(refused_url(), clock)
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(fresh())
    assert info.value.reason == "assertion_keys_unavailable"
    assert info.value.expected.startswith("the keys of http://127.0.0.1:")


def test_slow_key_server_times_out(clock: Clock) -> None:
    with KeyServer() as slow:
        slow.serve_json("/jwks", jwks(EC), delay=10)
        verifier = verifier_for(slow.url("/jwks"), clock, fetch_timeout=0.3)
        started = time.monotonic()
        assert reason(verifier, fresh()) == "assertion_keys_unavailable"
        elapsed = time.monotonic() - started
        assert 0.25 < elapsed < 1.5


def test_slow_key_document_hits_the_deadline(clock: Clock) -> None:
    """A server that sends a byte every 0.05 s never trips the 0.2 s socket timeout; the
    whole fetch still ends at twice the timeout."""
    with KeyServer() as slow:
        slow.serve_json("/jwks", jwks(EC), drip=0.05)
        verifier = verifier_for(slow.url("/jwks"), clock, fetch_timeout=0.2)
        started = time.monotonic()
        assert reason(verifier, fresh()) == "assertion_keys_unavailable"
        assert time.monotonic() - started < 1.5


def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def test_a_slow_refresh_does_not_block_other_requests(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock, fetch_timeout=1.0)
    verifier.verify(fresh())
    server.serve_json("/jwks", jwks(EC), delay=5)
    clock.advance(TTL)
    results: dict[str, Any] = {}

    def refresher() -> None:
        started = time.monotonic()
        results["user"] = verifier.verify(fresh()).username
        results["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=refresher)
    thread.start()
    _wait_for(lambda: server.count("/jwks") == 2)  # the refresh is in flight
    started = time.monotonic()
    for _ in range(3):
        assert verifier.verify(fresh()).username == "alice"  # current keys, no waiting
    assert time.monotonic() - started < 0.5
    thread.join(10)
    assert results["user"] == "alice"
    assert 0.9 < results["elapsed"] < 3.5  # one fetch: its timeout, at most twice that
    assert server.count("/jwks") == 2


def test_a_request_without_keys_waits_for_the_fetch_in_flight(clock: Clock) -> None:
    with KeyServer() as slow:
        slow.serve_json("/jwks", jwks(EC), delay=0.4)
        verifier = verifier_for(slow.url("/jwks"), clock, fetch_timeout=1.0)
        results: list[str] = []

        def first() -> None:
            results.append(verifier.verify(fresh()).username)

        thread = threading.Thread(target=first)
        thread.start()
        _wait_for(lambda: slow.count("/jwks") == 1)
        started = time.monotonic()
        assert verifier.verify(fresh()).username == "alice"  # waited for the first fetch
        assert time.monotonic() - started < 3.0
        thread.join(10)
        assert results == ["alice"]
        assert slow.count("/jwks") == 1


def test_waiting_for_a_failing_fetch_is_bounded(clock: Clock) -> None:
    with KeyServer() as slow:
        slow.serve_json("/jwks", jwks(EC), delay=10)
        verifier = verifier_for(slow.url("/jwks"), clock, fetch_timeout=0.3)
        results: list[str] = []

        def first() -> None:
            results.append(reason(verifier, fresh()))

        thread = threading.Thread(target=first)
        thread.start()
        _wait_for(lambda: slow.count("/jwks") == 1)
        started = time.monotonic()
        assert reason(verifier, fresh()) == "assertion_keys_unavailable"
        assert time.monotonic() - started < 1.6  # at most one fetch (2 x 0.3 s) + 1 s
        thread.join(10)
        assert results == ["assertion_keys_unavailable"]
        assert slow.count("/jwks") == 1


@pytest.mark.parametrize(
    ("cache_control", "ttl", "refetch_after"),
    [
        pytest.param("max-age=60", 3600.0, 60.0, id="shorter-max-age-wins"),
        pytest.param("public, max-age=7200", 600.0, 600.0, id="longer-max-age-loses"),
        pytest.param('max-age="120", must-revalidate', 3600.0, 120.0, id="quoted"),
        pytest.param("no-store", 3600.0, COOLDOWN, id="no-store-floors-at-cooldown"),
        pytest.param("max-age=1", 3600.0, COOLDOWN, id="tiny-floors-at-cooldown"),
        pytest.param("private", 600.0, 600.0, id="no-max-age"),
    ],
)
def test_cache_control(
    server: KeyServer, clock: Clock, cache_control: str, ttl: float, refetch_after: float
) -> None:
    server.serve_json("/jwks", jwks(EC), headers={"Cache-Control": cache_control})
    verifier = verifier_for(server.url("/jwks"), clock, keys_ttl=ttl)
    verifier.verify(fresh())
    clock.advance(refetch_after - 0.5)
    verifier.verify(fresh())
    assert server.count("/jwks") == 1
    clock.advance(1)
    verifier.verify(fresh())
    assert server.count("/jwks") == 2


def test_pomerium_style_max_age(server: KeyServer, clock: Clock) -> None:
    """Pomerium serves its JWKS with ``Cache-Control: max-age=60``."""
    server.serve_json("/jwks", jwks(EC), headers={"Cache-Control": "max-age=60"})
    verifier = verifier_for(server.url("/jwks"), clock)
    verifier.verify(fresh())
    clock.advance(61)
    verifier.verify(fresh())
    assert server.count("/jwks") == 2


def test_a_withdrawn_key_untrusts_its_cached_tokens(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    token = fresh()
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    server.serve_json("/jwks", jwks(NEW))  # ec-1 withdrawn
    clock.advance(TTL)
    assert reason(verifier, token) == "assertion_unknown_key"
    assert server.count("/jwks") == 2


def test_cached_tokens_survive_an_outage(server: KeyServer, clock: Clock) -> None:
    verifier = verifier_for(server.url("/jwks"), clock)
    token = fresh()
    first = verifier.verify(token)
    server.serve("/jwks", b"", status=500)
    clock.advance(TTL)
    assert verifier.verify(token) is first


def test_jwks_file_is_reread(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(EC)))
    verifier = verifier_for("unused", clock, jwks_url=None, jwks_file=str(path))
    assert verifier.keys_location == str(path)
    assert verifier.verify(fresh()).key_id == "ec-1"
    path.write_text(json.dumps(jwks(EC, NEW)))
    assert reason(verifier, fresh(NEW)) == "assertion_unknown_key"  # within the cooldown
    clock.advance(COOLDOWN)
    assert verifier.verify(fresh(NEW)).key_id == "ec-2"
    path.write_text("{broken")
    clock.advance(TTL)
    with caplog.at_level(logging.WARNING, "remote_identity.assertions"):
        assert verifier.verify(fresh(NEW)).key_id == "ec-2"
    assert len(failures(caplog)) == 1
    path.unlink()
    clock.advance(TTL)
    assert verifier.verify(fresh()).key_id == "ec-1"


def test_pem_map(server: KeyServer, clock: Clock) -> None:
    server.serve_json("/pem", {"ec-1": EC.pem(), "bad": "not a pem", "": "x", "n": 5})
    verifier = verifier_for("unused", clock, jwks_url=None, pem_map_url=server.url("/pem"))
    assert verifier.verify(fresh()).key_id == "ec-1"
    assert reason(verifier, fresh(NEW)) == "assertion_unknown_key"
    server.serve_json("/pem", {"ec-1": EC.pem(), "ec-2": NEW.pem()})
    clock.advance(COOLDOWN)
    assert verifier.verify(fresh(NEW)).key_id == "ec-2"
    assert server.count("/pem") == 2


# -- one PEM per kid (AWS ALB's layout) -------------------------------------------------------

KID = str(uuid.uuid4())
ALB_KEY = ec_key(KID)


@pytest.fixture
def per_kid(server: KeyServer) -> KeyServer:
    server.serve(f"/keys/{KID}", ALB_KEY.pem().encode())
    return server


def per_kid_verifier(server: KeyServer, clock: Clock, **options: Any) -> AssertionVerifier:
    return verifier_for(
        "unused", clock, jwks_url=None, pem_key_base_url=server.url("/keys/"), **options
    )


def test_per_kid_keys(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    assert verifier.keys_location == per_kid.url("/keys")
    for _ in range(3):
        assert verifier.verify(fresh(ALB_KEY)).key_id == KID
    assert per_kid.count(f"/keys/{KID}") == 1


@pytest.mark.parametrize(
    "kid",
    [
        pytest.param("../jwks", id="dot-dot"),
        pytest.param("a/b", id="slash"),
        pytest.param("a.b", id="dot"),
        pytest.param("%2e%2e", id="percent"),
        pytest.param("a?b=c", id="query"),
        pytest.param("a#b", id="fragment"),
        pytest.param("-leading", id="leading-dash"),
        pytest.param("x" * 200, id="long"),
        pytest.param("é", id="non-ascii"),
        pytest.param(" a", id="space"),
        pytest.param("http://127.0.0.1:1/x", id="url"),
    ],
)
def test_per_kid_refuses_unsafe_kids(per_kid: KeyServer, clock: Clock, kid: str) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    assert reason(verifier, ALB_KEY.sign(claims(), {"kid": kid})) == "assertion_unknown_key"
    assert per_kid.count() == 0


def test_per_kid_needs_a_kid(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    assert reason(verifier, ALB_KEY.sign(claims(), kid=False)) == "assertion_unknown_key"
    assert per_kid.count() == 0


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        pytest.param({"body": b"no", "status": 404}, "assertion_unknown_key", id="404"),
        pytest.param({"body": b"no", "status": 403}, "assertion_unknown_key", id="403"),
        pytest.param({"body": b"no", "status": 500}, "assertion_keys_unavailable", id="500"),
        pytest.param({"body": b"garbage"}, "assertion_keys_unavailable", id="not-pem"),
    ],
)
def test_per_kid_failures(
    server: KeyServer, clock: Clock, route: dict[str, Any], expected: str
) -> None:
    server.serve(f"/keys/{KID}", **route)
    verifier = per_kid_verifier(server, clock)
    assert reason(verifier, fresh(ALB_KEY)) == expected
    assert reason(verifier, fresh(ec_key(str(uuid.uuid4())))) == "assertion_unknown_key"
    assert server.count() == 1  # the second kid came within the cooldown


def test_per_kid_wrong_key_type(server: KeyServer, clock: Clock) -> None:
    from tests.assertion_support.signing import rsa_key

    server.serve(f"/keys/{KID}", rsa_key().pem().encode())
    verifier = per_kid_verifier(server, clock)
    assert reason(verifier, fresh(ALB_KEY)) == "assertion_keys_unavailable"


def test_per_kid_flood(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    verifier.verify(fresh(ALB_KEY))
    clock.advance(COOLDOWN)
    for _ in range(200):
        key = ec_key(str(uuid.uuid4()))
        assert reason(verifier, fresh(key)) == "assertion_unknown_key"
    assert per_kid.count() == 2


def test_per_kid_keeps_a_known_key_through_an_outage(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    verifier.verify(fresh(ALB_KEY))
    per_kid.serve(f"/keys/{KID}", b"down", status=500)
    clock.advance(TTL)
    assert verifier.verify(fresh(ALB_KEY)).key_id == KID
    assert per_kid.count(f"/keys/{KID}") == 2
    clock.advance(TTL)
    per_kid.serve(f"/keys/{KID}", ALB_KEY.pem().encode())
    assert verifier.verify(fresh(ALB_KEY)).key_id == KID
    assert per_kid.count(f"/keys/{KID}") == 3


def test_per_kid_expired_key_refreshed_by_one_request(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock)
    token = fresh(ALB_KEY)
    verifier.verify(token)
    clock.advance(TTL)
    assert verifier.verify(token).key_id == KID  # cached token, key still trusted
    assert verifier.verify(fresh(ALB_KEY)).key_id == KID
    assert per_kid.count(f"/keys/{KID}") == 2


def test_per_kid_keeps_a_bounded_number_of_kids(server: KeyServer, clock: Clock) -> None:
    keys = [ec_key(f"kid-{i}") for i in range(4)]
    for key in keys:
        server.serve(f"/keys/{key.kid}", key.pem().encode())

    def parse(body: bytes, kid: str) -> Any:
        return parse_pem(body, kid, frozenset({"ES256"}), kid)

    from remote_identity.assertions.fetch import fetch_url

    source = PerKidKeys(
        server.url("/keys"),
        lambda url: fetch_url(url, 1.0),
        parse,
        ttl=TTL,
        cooldown=0,
        wait=1,
        clock=clock,
        max_kids=2,
    )
    prints = [source.candidates(key.kid)[0].fingerprint for key in keys]
    assert not source.trusts(prints[0])
    assert not source.trusts(prints[1])
    assert source.trusts(prints[2])
    assert source.trusts(prints[3])
    with pytest.raises(KeySourceError):
        parse(b"junk", "x")


def test_per_kid_concurrent_requests_share_one_fetch(server: KeyServer, clock: Clock) -> None:
    server.serve(f"/keys/{KID}", ALB_KEY.pem().encode(), delay=0.4)
    verifier = per_kid_verifier(server, clock)
    results: list[str | None] = []
    thread = threading.Thread(target=lambda: results.append(verifier.verify(fresh(ALB_KEY)).key_id))
    thread.start()
    _wait_for(lambda: server.count() == 1)
    assert verifier.verify(fresh(ALB_KEY)).key_id == KID  # waited, then used that fetch
    thread.join(10)
    assert results == [KID]
    assert server.count() == 1


def test_per_kid_stale_key_while_a_refresh_is_in_flight(per_kid: KeyServer, clock: Clock) -> None:
    verifier = per_kid_verifier(per_kid, clock, fetch_timeout=0.5)
    verifier.verify(fresh(ALB_KEY))
    per_kid.serve(f"/keys/{KID}", ALB_KEY.pem().encode(), delay=5)
    clock.advance(TTL)
    thread = threading.Thread(target=lambda: verifier.verify(fresh(ALB_KEY)))
    thread.start()
    _wait_for(lambda: per_kid.count() == 2)
    started = time.monotonic()
    assert verifier.verify(fresh(ALB_KEY)).key_id == KID  # the last good key, no waiting
    assert time.monotonic() - started < 0.4
    thread.join(10)
    assert per_kid.count() == 2
