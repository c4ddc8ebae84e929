"""``remote-identity explain``: why a request is (not) trusted, and what identity it carries.

Builds the environ a server would build from the given headers, runs it through the
same ``IdentityGate`` the middleware uses, and reports the decision. The gate's options
are the flags of :data:`remote_identity.options.OPTIONS`. Exit status: 0 an identity,
1 anonymous, 2 rejected, 3 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, NoReturn

from . import __version__, explain_assertion
from .errors import ConfigurationError
from .explain_report import (
    EXIT_CODES,
    EXIT_USAGE,
    build_report,
    exit_status,
    quiet_library_log,
    render,
)
from .gate import IdentityGate, Verdict
from .options import OPTIONS, POLICY_OPTIONS, Option
from .policy import ParsingPolicy
from .schemes import environ_key

__all__ = [
    "EXIT_CODES",
    "EXIT_USAGE",
    "SERVERS",
    "ServerModel",
    "add_request_flags",
    "build_environ",
    "explain",
    "main",
    "request_headers",
]


@dataclass(frozen=True)
class ServerModel:
    """How a server (and what runs before the gate) turns header lines into what the gate
    reads.

    Attributes:
        underscores: a header name with ``_``: ``"drop"`` (gunicorn, waitress), ``"fold"``
            onto the ``-`` spelling (granian), or ``"asgi"``: passed on as a header of its
            own and removed by ``remote_identity.asgi`` (uvicorn).
        joiner: what joins a repeated header, or ``None`` when the last one wins.
        proxy_peers: peers whose ``X-Forwarded-For`` replaces the peer (uvicorn's
            ``--proxy-headers`` with its default ``--forwarded-allow-ips``).
        layer: what joins and removes, for the notes.
    """

    underscores: Literal["drop", "fold", "asgi"]
    joiner: str | None
    proxy_peers: tuple[str, ...] = ()
    layer: str = ""


#: The servers ``explain --server`` models, measured with raw requests.
SERVERS: dict[str, ServerModel] = {
    "gunicorn": ServerModel("drop", ","),
    "waitress": ServerModel("drop", ", "),
    "granian": ServerModel("fold", None),
    # uvicorn passes header names on as received and repeated headers as separate ones;
    # remote_identity.asgi joins the scheme's headers with "," and removes underscore
    # spellings. Its --proxy-headers (on by default) trusts X-Forwarded-For from these.
    "uvicorn": ServerModel("asgi", ",", ("127.0.0.1", "::1"), "remote_identity.asgi"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_environ(
    headers: Sequence[tuple[bytes, bytes]], peer: str | None, server: str = "gunicorn"
) -> tuple[dict[str, Any], list[str]]:
    """The environ ``server`` would build, and notes on headers it dropped or merged."""
    model = SERVERS[server]
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    notes: list[str] = []
    peer = _proxy_peer(model, headers, peer, notes)
    if peer is not None:
        environ["REMOTE_ADDR"] = peer
    joins = model.layer or server
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1").strip(" \t")
        if "_" in name and model.underscores != "fold":
            if model.underscores == "drop":
                notes.append(f"{server} drops the header {name!r} (underscore in its name)")
            else:
                notes.append(
                    f"{server} passes the header {name!r} on as it is; {model.layer} removes "
                    "underscore spellings of identity headers (Django before 5.2.13 and "
                    "6.0.4 would read it as its hyphen spelling)"
                )
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if name.lower() == "content-type":
            key = "CONTENT_TYPE"
        elif name.lower() == "content-length":
            key = "CONTENT_LENGTH"
        if key in environ and model.joiner is not None:
            notes.append(f"{joins} joins the repeated header {name!r} with {model.joiner!r}")
            environ[key] = f"{environ[key]}{model.joiner}{value}"
        else:
            if key in environ:
                notes.append(f"{server} keeps only the last {key} ({name!r} wins)")
            environ[key] = value
    return environ, notes


def _proxy_peer(
    model: ServerModel, headers: Sequence[tuple[bytes, bytes]], peer: str | None, notes: list[str]
) -> str | None:
    """The peer after uvicorn's ``--proxy-headers``: from ``X-Forwarded-For``, read right
    to left, the first host that is not a trusted one (or the first host if all are)."""
    if peer not in model.proxy_peers:
        return peer
    forwarded = [value for name, value in headers if name.lower() == b"x-forwarded-for"]
    if not forwarded:
        return peer
    hosts = [_host(item.strip()) for item in b", ".join(forwarded).decode("latin-1").split(",")]
    client = next((host for host in reversed(hosts) if not _is_proxy(host, model)), hosts[0])
    if client and client != peer:
        notes.append(
            f"uvicorn replaced the peer {peer} with {client} from X-Forwarded-For "
            f"(--proxy-headers is on by default for {' and '.join(model.proxy_peers)}); "
            "run it with --no-proxy-headers"
        )
        return client
    return peer


def _host(value: str) -> str:
    """The host of an ``X-Forwarded-For`` entry without its port, as uvicorn reads it."""
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end != -1 else value
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host if port.isdigit() else value
    return value


def _is_proxy(host: str, model: ServerModel) -> bool:
    try:
        return any(ipaddress.ip_address(host) == ipaddress.ip_address(p) for p in model.proxy_peers)
    except ValueError:
        return host in model.proxy_peers


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="remote-identity",
        description="Explain how remote_identity judges a request's identity headers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "explain",
        help="show how a request's identity headers are judged",
        description="Judge one request as the middleware would and explain the decision.",
    )
    add_request_flags(command)
    for option in (*OPTIONS.values(), *POLICY_OPTIONS.values()):
        if option.flag is not None:
            _add_option(command, option)
    explain_assertion.add_flags(command)
    return parser


def add_request_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that describe the request: ``--peer``, ``-H``, ``--raw``, ``--server``
    and ``--json`` (the token's ``--assertion`` is among the assertion flags)."""
    parser.add_argument("--peer", default="127.0.0.1", help="the TCP peer (REMOTE_ADDR)")
    parser.add_argument(
        "-H", "--header", action="append", type=_header_arg, default=[], metavar="'NAME: VALUE'"
    )
    parser.add_argument(
        "--raw", action="store_true", help="read a raw HTTP request from standard input"
    )
    parser.add_argument("--server", default="gunicorn", choices=sorted(SERVERS))
    parser.add_argument("--json", action="store_true", help="print JSON")


def request_headers(args: argparse.Namespace) -> tuple[list[tuple[bytes, bytes]], list[str]]:
    """The header lines of ``-H`` and, with ``--raw``, of the request on standard input;
    and notes on the lines that are not headers."""
    headers = list(args.header)
    notes: list[str] = []
    if args.raw:
        raw_headers, notes = _read_raw_request(sys.stdin.buffer)
        headers.extend(raw_headers)
    return headers, notes


def _add_option(parser: argparse.ArgumentParser, option: Option[Any]) -> None:
    """The flag of a gate option, as remote_identity.options defines it."""
    kwargs: dict[str, Any] = {
        "dest": option.name,
        "help": option.doc.replace("%", "%%"),
        "type": option.parse,
        "default": [] if option.repeat else option.default,
    }
    if option.repeat:
        kwargs["action"] = "append"
    if option.choices:
        kwargs["choices"] = option.choices
    if option.metavar:
        kwargs["metavar"] = option.metavar
    parser.add_argument(option.flag, **kwargs)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``remote-identity`` command."""
    args = _parser().parse_args(argv)
    with quiet_library_log() as records:
        options = {name: getattr(args, name) for name, o in OPTIONS.items() if o.flag}
        policy = {name: getattr(args, name) for name, o in POLICY_OPTIONS.items() if o.flag}
        try:
            assertion = explain_assertion.assertion_options(args)
            gate = IdentityGate(**options, assertion=assertion, policy=ParsingPolicy(**policy))
        except ConfigurationError as exc:
            print(f"remote-identity: {exc}", file=sys.stderr)
            return EXIT_USAGE
        headers, notes = request_headers(args)
        report = explain(
            gate,
            headers,
            args.peer,
            args.server,
            token=args.assertion,
            notes=notes,
            records=records,
        )
    print(render(report, as_json=args.json))
    return exit_status(report["outcome"])


def explain(
    gate: IdentityGate,
    headers: Sequence[tuple[bytes, bytes]],
    peer: str | None,
    server: str = "gunicorn",
    *,
    token: str | None = None,
    notes: Sequence[str] = (),
    records: list[logging.LogRecord] | None = None,
    judge: Callable[[dict[str, Any]], Verdict] | None = None,
    verify_advice: str = "--assertion-preset {scheme}",
) -> dict[str, Any]:
    """The report on the request ``server`` builds from ``headers`` and ``peer``, judged
    by ``gate`` (or by ``judge``, given the environ, when the caller judges as a framework
    does).

    ``token`` is sent in the header of ``gate``'s assertion verifier; ``notes`` are added
    to the report's; ``records`` are the library's log records collected while judging
    (:func:`~remote_identity.explain_report.quiet_library_log`), for the key log;
    ``verify_advice`` says how to verify a scheme's signed assertion instead of believing
    its headers from an address.
    """
    lines = list(headers)
    if token is not None and gate.assertion is not None:
        lines.append((gate.assertion.header.encode("latin-1"), token.encode("utf-8")))
    environ, server_notes = build_environ(lines, peer, server)
    if gate.scheme.shared_addresses and gate.assertion is None:
        server_notes.append(
            f"the {gate.scheme.name} headers are believed from an address, which is safe only "
            "behind a private tunnel: the proxy signs what it sends, verify that instead "
            f"({verify_advice.format(scheme=gate.scheme.name)})"
        )
    sent = environ.get(environ_key(gate.assertion.header)) if gate.assertion else None
    verdict = gate.process(environ) if judge is None else judge(environ)
    return build_report(verdict, gate, [*notes, *server_notes], sent, records or [])
