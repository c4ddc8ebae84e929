"""Tests of remote_identity.assertions.tokencache: bounded, expiring, never a failure."""

from __future__ import annotations

import threading

from remote_identity.assertions.claims import DEFAULT_CLAIMS, VerifiedAssertion
from remote_identity.assertions.tokencache import TokenCache


def assertion(name: str) -> VerifiedAssertion:
    return VerifiedAssertion(name, None, None, (), {}, "X-T", DEFAULT_CLAIMS, 0.0, None)


def test_get_until_expiry() -> None:
    cache = TokenCache(4)
    value = assertion("a")
    cache.put("t", value, expires_at=100.0, fingerprint="fp")
    assert cache.get("t", 99.9) == (value, "fp")
    assert cache.get("t", 100.0) is None
    assert len(cache) == 0  # the expired entry is gone
    assert cache.get("other", 0.0) is None


def test_bounded_oldest_first() -> None:
    cache = TokenCache(3)
    for i in range(5):
        cache.put(f"t{i}", assertion(f"a{i}"), 100.0, "fp")
    assert len(cache) == 3
    assert [cache.get(f"t{i}", 0.0) is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    cache.put("t2", assertion("again"), 100.0, "fp")  # re-inserting moves it to the end
    cache.put("t5", assertion("a5"), 100.0, "fp")
    assert cache.get("t3", 0.0) is None
    assert cache.get("t2", 0.0) is not None


def test_size_zero_stores_nothing() -> None:
    cache = TokenCache(0)
    cache.put("t", assertion("a"), 100.0, "fp")
    assert len(cache) == 0


def test_discard() -> None:
    cache = TokenCache(2)
    cache.put("t", assertion("a"), 100.0, "fp")
    cache.discard("t")
    cache.discard("never-there")
    assert cache.get("t", 0.0) is None


def test_concurrent_inserts_stay_bounded() -> None:
    cache = TokenCache(50)

    def insert(prefix: str) -> None:
        for i in range(500):
            cache.put(f"{prefix}{i}", assertion(prefix), 100.0, "fp")
            cache.get(f"{prefix}{i - 1}", 0.0)

    threads = [threading.Thread(target=insert, args=(f"p{n}-",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(cache) == 50
