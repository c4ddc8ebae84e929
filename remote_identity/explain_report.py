"""The report of ``explain``: what it says about one judged request, as text or JSON, and
its exit status.

Shared by ``remote-identity explain`` (:mod:`remote_identity.cli`) and any command that
judges a request with a gate built elsewhere (``manage.py remote_identity explain``
builds it from a site's settings): both print the same report and exit with the same
status. The report never holds a header's secret value or a signed token: the gate
removes the secret, and the token is described by its unverified header only
(:mod:`remote_identity.explain_assertion`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import explain_assertion
from .gate import IdentityGate, Verdict

__all__ = [
    "EXIT_CODES",
    "EXIT_USAGE",
    "build_report",
    "exit_status",
    "quiet_library_log",
    "render",
    "text_lines",
]

#: The exit status of each outcome.
EXIT_CODES = {"identity": 0, "anonymous": 1, "rejected": 2}
#: The exit status of a usage or configuration error.
EXIT_USAGE = 3


class _Collector(logging.Handler):
    """Keeps the library's log records away from standard error; the report says them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def quiet_library_log() -> Iterator[list[logging.LogRecord]]:
    """Collect the records of the ``remote_identity`` loggers instead of emitting them.

    The report says everything the security log would, and a request replayed by hand
    must not reach a site's security log: while judging, the handlers of
    ``remote_identity`` and of every logger under it (a site's ``LOGGING`` may have put
    some there) are set aside, and the records go to the returned list only. The
    process's logging is as it was afterwards.
    """
    children = [
        log
        for name, log in logging.Logger.manager.loggerDict.items()
        if name.startswith("remote_identity.") and isinstance(log, logging.Logger)
    ]
    library_log = logging.getLogger("remote_identity")
    saved = [(log, log.handlers[:], log.propagate) for log in [library_log, *children]]
    collector = _Collector()
    for child in children:
        child.handlers[:] = []
        child.propagate = True
    library_log.handlers[:] = [collector]
    library_log.propagate = False
    try:
        yield collector.records
    finally:
        for log, handlers, propagate in saved:
            log.handlers[:] = handlers
            log.propagate = propagate


def build_report(
    verdict: Verdict,
    gate: IdentityGate,
    notes: list[str],
    token: object,
    records: list[logging.LogRecord],
) -> dict[str, Any]:
    """The report on ``verdict``: the peer and its trust, the outcome, the identity or
    the reason, the notes on the request, the signed token (``token`` is the value of the
    verifier's header) and the values the parser dropped."""
    identity = verdict.identity
    error = verdict.error
    return {
        "peer": verdict.peer,
        "trusted": verdict.trusted,
        "trusted_proxies": list(gate.trusted_proxies.entries),
        "scheme": gate.scheme.name,
        "outcome": verdict.outcome,
        "stripped": list(verdict.stripped),
        "identity": None
        if identity is None
        else {
            "username": identity.username,
            "name": identity.name,
            "email": identity.email,
            "groups": list(identity.groups),
            "fingerprint": identity.fingerprint,
        },
        "reason": None if error is None else error.reason,
        "header": None if error is None else error.header,
        "message": None if error is None else str(error),
        "notes": notes,
        "assertion": explain_assertion.describe(verdict, gate.assertion, token, records)
        if gate.assertion is not None
        else None,
        # The security log repeats the reason shown anyway; a dropped value (an e-mail
        # address) is said as its record on remote_identity.parsing says it.
        "log": [f"{warning.header} dropped: {warning}" for warning in verdict.warnings],
    }


def text_lines(report: dict[str, Any]) -> list[str]:
    """The report as the lines of the text output."""
    trust = "trusted" if report["trusted"] else "NOT trusted"
    nobody = (
        "none: the signature alone decides" if report["assertion"] else "none: nobody is trusted"
    )
    proxies = ", ".join(report["trusted_proxies"]) or nobody
    lines = [
        f"peer:      {report['peer']} ({trust}; trusted proxies: {proxies})",
        f"scheme:    {report['scheme']}",
    ]
    if report["assertion"]:
        lines.extend(explain_assertion.text_lines(report["assertion"]))
    lines.extend(f"note:      {note}" for note in report["notes"])
    if report["stripped"]:
        lines.append(f"stripped:  {', '.join(report['stripped'])}")
    lines.append(f"outcome:   {report['outcome']}")
    if report["reason"] is not None:
        lines.append(f"reason:    {report['reason']}: {report['message']}")
    lines.extend(f"logged:    {message}" for message in report["log"])
    identity = report["identity"]
    if identity is not None:
        lines += [
            f"username:  {identity['username']}",
            f"name:      {identity['name']}",
            f"email:     {identity['email']}",
            f"groups:    {', '.join(identity['groups'])}",
            f"fingerprint: {identity['fingerprint']}",
        ]
    return lines


def render(report: dict[str, Any], *, as_json: bool) -> str:
    """The report as printed: indented JSON (not ASCII-escaped), or the text lines."""
    if as_json:
        return json.dumps(report, indent=2, ensure_ascii=False)
    return "\n".join(text_lines(report))


def exit_status(outcome: str) -> int:
    """The exit status of an outcome: 0 an identity, 1 anonymous, 2 rejected."""
    return EXIT_CODES[outcome]
