"""Tests of remote_identity.events: rate-limited security records, every event counted."""

from __future__ import annotations

import gc
import logging
import threading

import pytest

from remote_identity.events import INTERVAL, MAX_PEERS, OTHERS, SecurityLog, refusal_counts

logger = logging.getLogger("remote_identity.security")


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="remote_identity")
    return caplog


def event(log: SecurityLog, peer: object = "203.0.113.7", reason: str = "untrusted_peer") -> None:
    log.record(logger, reason, peer, "refused from %s", peer, extra={"headers": ("Remote-User",)})


def summary(records: list[logging.LogRecord]) -> list[tuple[object, str, int, str]]:
    return [
        (r.peer, r.reason, r.suppressed, r.getMessage())  # type: ignore[attr-defined]
        for r in records
    ]


def test_defaults() -> None:
    log = SecurityLog()
    assert (log.interval, log.max_peers) == (INTERVAL, MAX_PEERS) == (10.0, 1024)
    assert log.counts == {}


def test_one_record_per_peer_and_reason_per_interval(logged: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = SecurityLog(clock=clock)
    for _ in range(5):
        event(log)
    clock.now += INTERVAL - 0.001
    event(log)
    assert summary(logged.records) == [
        ("203.0.113.7", "untrusted_peer", 0, "refused from 203.0.113.7")
    ]
    clock.now += 0.001
    event(log)
    event(log)
    clock.now += INTERVAL
    event(log)
    assert summary(logged.records)[1:] == [
        (
            "203.0.113.7",
            "untrusted_peer",
            5,
            "refused from 203.0.113.7 (5 similar records suppressed)",
        ),
        (
            "203.0.113.7",
            "untrusted_peer",
            1,
            "refused from 203.0.113.7 (1 similar records suppressed)",
        ),
    ]
    assert log.counts == {"untrusted_peer": 9}
    assert logged.records[0].headers == ("Remote-User",)  # type: ignore[attr-defined]


def test_peers_and_reasons_have_windows_of_their_own(logged: pytest.LogCaptureFixture) -> None:
    log = SecurityLog(clock=Clock())
    for peer in ("a", "b", "a", None, None):
        for reason in ("untrusted_peer", "bad_secret"):
            event(log, peer, reason)
    assert [(r.peer, r.reason) for r in logged.records] == [  # type: ignore[attr-defined]
        ("a", "untrusted_peer"),
        ("a", "bad_secret"),
        ("b", "untrusted_peer"),
        ("b", "bad_secret"),
        (None, "untrusted_peer"),
        (None, "bad_secret"),
    ]
    assert log.counts == {"untrusted_peer": 5, "bad_secret": 5}


def test_cycling_source_addresses_keeps_memory_bounded(logged: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = SecurityLog(clock=clock, max_peers=8)
    for n in range(1000):
        event(log, f"198.51.100.{n}")
        assert len(log._windows) <= 8 + 1  # the peers' windows and one shared window
    # 8 peers got a record of their own; the other 992 share one window: one record.
    assert len(logged.records) == 9
    assert logged.records[8].getMessage() == "refused from 198.51.100.8"
    clock.now += INTERVAL
    event(log, "198.51.100.5000")
    assert len(log._windows) <= 9
    assert log.counts == {"untrusted_peer": 1001}
    # Nothing suppressed is lost: what the expired windows held went to the shared one.
    assert sum(r.suppressed for r in logged.records) + len(logged.records) == 1001  # type: ignore[attr-defined]


def test_expired_windows_are_swept_at_most_once_a_second(logged: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = SecurityLog(clock=clock, max_peers=2)
    event(log, "a")
    event(log, "a")
    event(log, "b")
    clock.now += INTERVAL
    event(log, "c")  # table full: the sweep frees "a" and "b"; "a"'s suppression moves on
    assert ("c", "untrusted_peer") in log._windows
    # ... and "c"'s record says it.
    assert logged.records[-1].getMessage() == (
        "refused from c (1 similar records from other peers suppressed)"
    )
    event(log, "d")
    event(log, "e")  # full again, swept less than a second ago: the shared window
    event(log, "f")
    assert ("e", "untrusted_peer") not in log._windows
    assert [r.peer for r in logged.records] == ["a", "b", "c", "d", "e"]  # type: ignore[attr-defined]
    assert log._windows[(OTHERS, "untrusted_peer")][1] == 1


def test_disabled_logger_still_counts(caplog: pytest.LogCaptureFixture) -> None:
    log = SecurityLog(clock=Clock())
    with caplog.at_level(logging.CRITICAL, logger="remote_identity"):
        for _ in range(3):
            event(log)
    assert caplog.records == []
    assert log.counts == {"untrusted_peer": 3}
    assert log._windows == {}


def test_counts_are_a_copy() -> None:
    log = SecurityLog()
    counts = log.counts
    counts["untrusted_peer"] = 99
    assert log.counts == {}


def test_concurrent_events_are_all_counted(caplog: pytest.LogCaptureFixture) -> None:
    log = SecurityLog()
    with caplog.at_level(logging.CRITICAL, logger="remote_identity"):
        threads = [
            threading.Thread(target=lambda: [event(log, "p") for _ in range(2000)])
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert log.counts == {"untrusted_peer": 8000}


def test_refusal_counts_sum_every_live_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="remote_identity"):
        before = refusal_counts().get("made_up_for_this_test", 0)
        first, second = SecurityLog(), SecurityLog()
        event(first, reason="made_up_for_this_test")
        event(second, reason="made_up_for_this_test")
        event(second, reason="made_up_for_this_test")
        assert refusal_counts()["made_up_for_this_test"] == before + 3
        del second
        gc.collect()
        assert refusal_counts()["made_up_for_this_test"] == before + 1
        assert first.counts == {"made_up_for_this_test": 1}


def test_others_key_reads_well() -> None:
    assert repr(OTHERS) == "other peers"
