"""``remote-identity explain``: why a request is (not) trusted, and what identity it carries.

Builds the environ a WSGI server would build from the given headers, runs it through the
same ``IdentityGate`` the middleware uses, and reports the decision. Exit status: 0 an
identity, 1 anonymous, 2 rejected, 3 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO, NoReturn

from . import __version__
from .errors import ConfigurationError
from .gate import IdentityGate, Verdict
from .parsing import ParsingPolicy
from .schemes import PRESETS
from .trust import TrustedProxies

__all__ = ["build_environ", "main"]

EXIT_CODES = {"identity": 0, "anonymous": 1, "rejected": 2}
EXIT_USAGE = 3

#: How servers turn header lines into environ keys: (drops "_" names, joins repeats with).
SERVERS: dict[str, tuple[bool, str | None]] = {
    "gunicorn": (True, ","),
    "waitress": (True, ", "),
    "granian": (False, None),  # folds "_" onto "-"; a repeated header: the last one wins
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_environ(
    headers: Sequence[tuple[bytes, bytes]], peer: str | None, server: str = "gunicorn"
) -> tuple[dict[str, Any], list[str]]:
    """The environ ``server`` would build, and notes on headers it dropped or merged."""
    drops_underscores, joiner = SERVERS[server]
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if peer is not None:
        environ["REMOTE_ADDR"] = peer
    notes = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1").strip(" \t")
        if "_" in name and drops_underscores:
            notes.append(f"{server} drops the header {name!r} (underscore in its name)")
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if name.lower() == "content-type":
            key = "CONTENT_TYPE"
        elif name.lower() == "content-length":
            key = "CONTENT_LENGTH"
        if key in environ and joiner is not None:
            notes.append(f"{server} joins the repeated header {name!r} with {joiner!r}")
            environ[key] = f"{environ[key]}{joiner}{value}"
        else:
            if key in environ:
                notes.append(f"{server} keeps only the last {key} ({name!r} wins)")
            environ[key] = value
    return environ, notes


def _header_arg(text: str) -> tuple[bytes, bytes]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip().encode("latin-1"), value.strip().encode("utf-8")


def _read_raw_request(stream: BinaryIO) -> tuple[list[tuple[bytes, bytes]], list[str]]:
    """Header lines of a raw HTTP request (the request line is skipped)."""
    headers = []
    notes = []
    lines = stream.read(1 << 20).split(b"\n")
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            break
        name, sep, value = line.partition(b":")
        if not sep:
            notes.append(f"ignored a line that is not a header: {line[:40]!r}")
            continue
        headers.append((name.strip(), value.strip()))
    return headers, notes


def _report(verdict: Verdict, gate: IdentityGate, notes: list[str]) -> dict[str, Any]:
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
    }


def _print_text(report: dict[str, Any]) -> None:
    trust = "trusted" if report["trusted"] else "NOT trusted"
    proxies = ", ".join(report["trusted_proxies"]) or "none: nobody is trusted"
    print(f"peer:      {report['peer']} ({trust}; trusted proxies: {proxies})")
    print(f"scheme:    {report['scheme']}")
    for note in report["notes"]:
        print(f"note:      {note}")
    if report["stripped"]:
        print(f"stripped:  {', '.join(report['stripped'])}")
    print(f"outcome:   {report['outcome']}")
    if report["reason"] is not None:
        print(f"reason:    {report['reason']}: {report['message']}")
    for message in report["log"]:
        print(f"logged:    {message}")
    identity = report["identity"]
    if identity is not None:
        print(f"username:  {identity['username']}")
        print(f"name:      {identity['name']}")
        print(f"email:     {identity['email']}")
        print(f"groups:    {', '.join(identity['groups'])}")
        print(f"fingerprint: {identity['fingerprint']}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="remote-identity",
        description="Explain how remote_identity judges a request's identity headers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser(
        "explain",
        help="show how a request's identity headers are judged",
        description="Judge one request as the middleware would and explain the decision.",
    )
    explain.add_argument("--peer", default="127.0.0.1", help="the TCP peer (REMOTE_ADDR)")
    explain.add_argument(
        "--trusted", action="append", default=[], metavar="ADDR", help="a trusted proxy; repeat"
    )
    explain.add_argument("--scheme", default="authelia", choices=sorted(PRESETS))
    explain.add_argument(
        "-H", "--header", action="append", type=_header_arg, default=[], metavar="'NAME: VALUE'"
    )
    explain.add_argument(
        "--raw", action="store_true", help="read a raw HTTP request from standard input"
    )
    explain.add_argument("--server", default="gunicorn", choices=sorted(SERVERS))
    explain.add_argument("--username-case", default="preserve", choices=["preserve", "lower"])
    explain.add_argument(
        "--max-name-length",
        type=int,
        default=255,
        help="longest display name accepted (the Django adapter uses 150)",
    )
    explain.add_argument("--on-untrusted", default="strip", choices=["strip", "reject"])
    explain.add_argument("--on-invalid", default="reject", choices=["reject", "anonymous"])
    explain.add_argument("--secret-header", default=None)
    explain.add_argument("--secret", default=None)
    explain.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``remote-identity`` command."""
    args = _parser().parse_args(argv)
    # The report says everything the security log would; keep standard error quiet while
    # judging, and leave the process's logging as it was.
    library_log = logging.getLogger("remote_identity")
    propagate = library_log.propagate
    collector = _Collector()
    library_log.addHandler(collector)
    library_log.propagate = False
    try:
        return _explain(args, collector.records)
    finally:
        library_log.removeHandler(collector)
        library_log.propagate = propagate


class _Collector(logging.Handler):
    """Keeps the library's log records so the report can show them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _explain(args: argparse.Namespace, logged: list[logging.LogRecord]) -> int:
    try:
        gate = IdentityGate(
            trusted_proxies=TrustedProxies(args.trusted),
            scheme=args.scheme,
            policy=ParsingPolicy(
                username_case=args.username_case, max_name_length=args.max_name_length
            ),
            on_untrusted=args.on_untrusted,
            on_invalid=args.on_invalid,
            shared_secret_header=args.secret_header,
            shared_secret=args.secret,
        )
    except ConfigurationError as exc:
        print(f"remote-identity: {exc}", file=sys.stderr)
        return EXIT_USAGE
    headers = list(args.header)
    notes: list[str] = []
    if args.raw:
        raw_headers, notes = _read_raw_request(sys.stdin.buffer)
        headers.extend(raw_headers)
    environ, server_notes = build_environ(headers, args.peer, args.server)
    verdict = gate.process(environ)
    report = _report(verdict, gate, notes + server_notes)
    # The security log repeats the reason shown anyway; other records (a dropped e-mail
    # address) say something the report would not.
    report["log"] = [
        record.getMessage() for record in logged if record.name != "remote_identity.security"
    ]
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_text(report)
    return EXIT_CODES[verdict.outcome]
