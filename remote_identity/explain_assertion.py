"""The signed-assertion part of ``remote-identity explain``: its flags, the verifier they
build, and what the report says about the token.

The token is request input, not configuration: ``--assertion TOKEN`` puts it in the
verifier's header (``-H 'X-Pomerium-Jwt-Assertion: ...'`` works as well). The verifier is
configured as the ``assertion`` option is (:mod:`remote_identity.options`): a preset and
its parameters, or the verifier's own options. The report says which check refused the
token, its unverified ``alg`` and ``kid``, and never the token itself or its claims.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
from typing import TYPE_CHECKING, Any

from .assertions.presets import PRESETS
from .errors import ConfigurationError, IdentityError

if TYPE_CHECKING:
    from .assertions.verifier import AssertionVerifier
    from .verdicts import Verdict

__all__ = ["CHECKS", "add_flags", "assertion_options", "describe", "text_lines", "token_header"]

#: The check that refuses a token, by the reason code of its refusal.
CHECKS = {
    "assertion_malformed": "shape: size, three segments, the JOSE header",
    "assertion_algorithm": "algorithm: alg among the allowed ones, and the key's own",
    "assertion_unknown_key": "key: the kid among the published keys",
    "assertion_keys_unavailable": "keys: fetching or reading the issuer's keys",
    "assertion_signature": "signature",
    "assertion_expired": "expiry: exp",
    "assertion_not_yet_valid": "validity start: nbf, iat",
    "assertion_audience": "audience: aud",
    "assertion_issuer": "issuer: iss",
    "assertion_claims": "claims: required claims and their types",
}
NAME_RULES = "claim values: the rules of header values"
_NETWORK = frozenset({"untrusted_peer", "bad_secret", "ambiguous_peer"})


def add_flags(
    parser: argparse.ArgumentParser,
    *,
    configuration: bool = True,
    description: str = "Verify the proxy's signed assertion (the assertion option): a preset "
    "with its parameters, or the verifier's options.",
) -> None:
    """The assertion flags of ``explain``: the token's, and with ``configuration`` the
    verifier's (a command whose gate comes from elsewhere takes the token only)."""
    group = parser.add_argument_group("signed assertion", description)
    group.add_argument(
        "--assertion",
        metavar="TOKEN",
        help="the signed assertion, sent in the verifier's header (never printed)",
    )
    if not configuration:
        return
    group.add_argument(
        "--assertion-preset",
        choices=sorted(PRESETS),
        metavar="NAME",
        help=f"an assertion preset: {', '.join(PRESETS)}",
    )
    group.add_argument(
        "--assertion-option",
        action="append",
        default=[],
        type=_option,
        metavar="NAME=VALUE",
        help="a parameter of the preset or an option of AssertionVerifier; VALUE is read "
        "as JSON when it is JSON (a list, a number), else as text. Repeatable.",
    )
    group.add_argument("--jwks-url", metavar="URL", help="the keys' URL (a JWKS)")
    group.add_argument("--jwks-file", metavar="PATH", help="the keys' file (a JWKS)")


def _option(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    return name.strip(), parsed


def assertion_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``assertion`` option the flags describe, or ``None`` when they describe none.

    Raises ``ConfigurationError`` for a token without a configuration.
    """
    options: dict[str, Any] = dict(args.assertion_option)
    if args.assertion_preset is not None:
        options["preset"] = args.assertion_preset
    for name in ("jwks_url", "jwks_file"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if not options:
        if args.assertion is not None:
            raise ConfigurationError(
                "--assertion needs the verifier's configuration: --assertion-preset (with "
                "--assertion-option for its parameters) or --assertion-option for each option",
                option="assertion",
                reason="bad_assertion",
            )
        return None
    return options


def token_header(token: str, *, bearer: bool = False) -> dict[str, Any]:
    """The unverified ``alg`` and ``kid`` of ``token`` (what its JOSE header says), or
    ``{}`` when it has no readable header."""
    from .assertions.tokens import read_token

    try:
        header = read_token(token, header="", max_bytes=65536, profile="aws-alb", bearer=bearer)
    except IdentityError:
        return {}
    return {"alg": header.alg, "kid": header.kid}


def describe(
    verdict: Verdict, verifier: AssertionVerifier, token: object, records: list[logging.LogRecord]
) -> dict[str, Any]:
    """The report's ``assertion`` entry: where the token and keys come from, what its
    header says, and the check that refused it or when it expires."""
    error = verdict.error
    if error is None or error.reason in _NETWORK:
        failed = None
    else:
        failed = CHECKS.get(error.reason, NAME_RULES)
    assertion = verdict.assertion
    text = token if isinstance(token, str) else ""
    present = bool(text.strip(" \t"))
    return {
        "header": verifier.header,
        "keys": verifier.keys_location,
        "present": present,
        "token": token_header(text, bearer=verifier.bearer) if present else {},
        "verified": assertion is not None,
        "key_id": assertion.key_id if assertion else None,
        "expires": _time(assertion.expires_at) if assertion else None,
        "failed_check": failed,
        "key_log": [
            record.getMessage() for record in records if record.name == "remote_identity.assertions"
        ],
    }


def _time(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def text_lines(entry: dict[str, Any]) -> list[str]:
    """The report's lines about the assertion, for the text output."""
    lines = [f"assertion: {entry['header']}, keys from {entry['keys']}"]
    if not entry["present"]:
        lines.append("token:     none: nobody is signed in")
        return lines
    header = entry["token"]
    if header:
        kid = f"kid {header['kid']}" if header["kid"] else "no kid"
        lines.append(f"token:     alg {header['alg']}, {kid} (unverified header)")
    if entry["verified"]:
        lines.append(f"verified:  key {entry['key_id']}, expires {entry['expires']}")
    if entry["failed_check"]:
        lines.append(f"failed:    {entry['failed_check']}")
    lines.extend(f"keys log:  {message}" for message in entry["key_log"])
    return lines
