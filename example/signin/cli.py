"""Command line: ``python -m signin serve ...`` and ``python -m signin hash-password``."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

from .rules import DEFAULT_RULES, RulesError, load_rules
from .server import start
from .sessions import SessionStore
from .signing import JWKS_PATH
from .urls import split_host_port
from .users import UsersFileError, hash_password


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the portal (and optionally the proxy)")
    serve.add_argument("--users", required=True, help="users file (Authelia's YAML format)")
    serve.add_argument("--portal", default="127.0.0.1:9091", help="HOST:PORT of the portal")
    serve.add_argument("--proxy", help="HOST:PORT of the reverse proxy (needs --upstream)")
    serve.add_argument("--upstream", help="the application behind the proxy: http://HOST:PORT")
    serve.add_argument("--public-url", help="the portal's URL in redirects (default: its address)")
    serve.add_argument("--rules", help="access rules file, YAML or JSON (default: built in)")
    serve.add_argument("--source-address", help="local IP for upstream connections")
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host that rd= may point to and that is protected (repeatable)",
    )
    serve.add_argument(
        "--no-identity-on-bypass",
        action="store_true",
        help="send no Remote-* headers on bypass paths even when signed in (Authelia sends them)",
    )
    serve.add_argument(
        "--sign-assertions",
        action="store_true",
        help="proxy: add a Pomerium-style signed X-Pomerium-Jwt-Assertion (ES256)",
    )
    serve.add_argument("--session-expiration", type=float, default=3600.0, metavar="SECONDS")
    serve.add_argument(
        "--session-inactivity", type=float, default=300.0, metavar="SECONDS", help="0: no limit"
    )
    serve.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow listening on other addresses than loopback (this is a test double!)",
    )
    hasher = sub.add_parser("hash-password", help="print an argon2id hash for the users file")
    hasher.add_argument("password", nargs="?", help="default: read from stdin")
    hasher.add_argument("--iterations", type=int, default=3, help="argon2 t (Authelia: 3)")
    hasher.add_argument("--memory", type=int, default=65536, help="argon2 m in KiB (65536)")
    hasher.add_argument("--parallelism", type=int, default=4, help="argon2 p (Authelia: 4)")
    return parser


def _hash(args: argparse.Namespace) -> int:
    password = args.password
    if password is None:
        password = getpass.getpass() if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("error: empty password", file=sys.stderr)
        return 2
    try:
        hasher = PasswordHasher(
            time_cost=args.iterations, memory_cost=args.memory, parallelism=args.parallelism
        )
        print(hash_password(password, hasher))
    except (Argon2Error, ValueError) as exc:
        print(f"error: {exc} (argon2 needs memory >= 8 * parallelism KiB)", file=sys.stderr)
        return 2
    return 0


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if bool(args.proxy) != bool(args.upstream):
        parser.error("--proxy and --upstream go together")
    if args.sign_assertions and not args.proxy:
        parser.error("--sign-assertions needs --proxy")
    try:
        portal = split_host_port(args.portal)
        proxy = split_host_port(args.proxy) if args.proxy else None
        rules = load_rules(args.rules) if args.rules else DEFAULT_RULES
    except (ValueError, OSError) as exc:  # RulesError is a ValueError
        parser.error(str(exc))
    hosts = [portal[0]] + ([proxy[0]] if proxy else [])
    if not args.allow_non_loopback and not all(map(_is_loopback, hosts)):
        parser.error("refusing to listen on a non-loopback address without --allow-non-loopback")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sessions = SessionStore(expiration=args.session_expiration, inactivity=args.session_inactivity)
    try:
        running = start(
            args.users,
            portal=portal,
            proxy=proxy,
            upstream=args.upstream,
            public_url=args.public_url,
            rules=rules,
            allowed_hosts=args.allowed_host,
            source_address=args.source_address,
            sessions=sessions,
            identity_on_bypass=not args.no_identity_on_bypass,
            sign_assertions=args.sign_assertions,
        )
    except (UsersFileError, RulesError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"portal: {running.portal_url}/  (redirects use {running.front.public_url}/)")
    if running.proxy_url:
        print(f"proxy:  {running.proxy_url}/  -> {args.upstream}")
    if args.sign_assertions:
        print(f"keys:   {running.proxy_url}{JWKS_PATH}")
    sys.stdout.flush()
    while not stopping.wait(timeout=1.0):
        pass
    running.stop()
    print("stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m signin``."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "hash-password":
        return _hash(args)
    return _serve(args, parser)
