"""Tests of remote_identity.explain_report: the report's rendering, exit status and the
quiet library log shared by every ``explain`` command."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from remote_identity import IdentityGate
from remote_identity.explain_report import (
    EXIT_USAGE,
    build_report,
    exit_status,
    quiet_library_log,
    render,
    text_lines,
)


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def site_handler() -> Iterator[_Kept]:
    """A handler a site's LOGGING puts on a logger under remote_identity."""
    handler = _Kept()
    security = logging.getLogger("remote_identity.security")
    security.addHandler(handler)
    security.propagate = False
    try:
        yield handler
    finally:
        security.removeHandler(handler)
        security.propagate = True


def test_the_log_is_collected_and_kept_from_the_sites_handlers(site_handler: _Kept) -> None:
    gate = IdentityGate(trusted_proxies=["10.0.0.2"])
    environ = {"REMOTE_ADDR": "203.0.113.9", "HTTP_REMOTE_USER": "admin"}
    library_log = logging.getLogger("remote_identity")
    before = (library_log.handlers[:], library_log.propagate)
    site_handlers = logging.getLogger("remote_identity.security").handlers[:]
    assert site_handler in site_handlers
    with quiet_library_log() as records:
        verdict = gate.process(environ)
        security = logging.getLogger("remote_identity.security")
        assert (security.handlers, security.propagate) == ([], True)
    assert [r.name for r in records] == ["remote_identity.security"]
    assert site_handler.records == []  # a replayed request is not a security event
    assert logging.getLogger("remote_identity.security").handlers == site_handlers
    assert logging.getLogger("remote_identity.security").propagate is False
    assert (library_log.handlers, library_log.propagate) == before
    assert verdict.outcome == "anonymous"


def test_a_placeholder_logger_is_not_created() -> None:
    logging.getLogger("remote_identity_tests_only.a.b")  # makes a placeholder for ".a"
    logging.getLogger("remote_identity.placeholder.child")
    with quiet_library_log():
        pass
    assert "remote_identity.placeholder" in logging.Logger.manager.loggerDict
    placeholder = logging.Logger.manager.loggerDict["remote_identity.placeholder"]
    assert not isinstance(placeholder, logging.Logger)


def test_render_and_exit_status() -> None:
    gate = IdentityGate(trusted_proxies=["10.0.0.2"])
    verdict = gate.process({"REMOTE_ADDR": "10.0.0.2", "HTTP_REMOTE_USER": "zoe"})
    report = build_report(verdict, gate, ["a note"], None, [])
    lines = text_lines(report)
    assert lines[:4] == [
        "peer:      10.0.0.2 (trusted; trusted proxies: 10.0.0.2)",
        "scheme:    authelia",
        "note:      a note",
        "outcome:   identity",
    ]
    assert render(report, as_json=False) == "\n".join(lines)
    assert json.loads(render(report, as_json=True)) == report
    assert exit_status(report["outcome"]) == 0
    assert [exit_status(o) for o in ("identity", "anonymous", "rejected")] == [0, 1, 2]
    assert EXIT_USAGE == 3
