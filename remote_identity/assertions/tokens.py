"""The cheap, unauthenticated first look at a token: size, shape and JOSE header.

Everything here runs before any key is looked up or any signature checked, on input an
attacker controls, so it is strict and bounded: the length is checked before anything
else (a 64 KB header costs one comparison), the shape by one regular expression, and
only the short JOSE header is decoded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InvalidAssertion

__all__ = ["Profile", "TokenHeader", "read_token"]

#: ``"jwt"``: RFC 7519 compact tokens (base64url without padding). ``"aws-alb"``: AWS
#: Application Load Balancer's ``x-amzn-oidc-data``, whose segments keep their ``=``
#: padding and whose JOSE header carries ``signer``, ``iss``, ``client`` and ``exp``.
Profile = Literal["jwt", "aws-alb"]

_SHAPES: dict[str, re.Pattern[str]] = {
    # The signature may be empty: an unsigned token ("alg": "none") is then refused for
    # its algorithm, which says more than "malformed".
    "jwt": re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    "aws-alb": re.compile(r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.(?:[A-Za-z0-9_-]+={0,2})?"),
}
_BEARER = re.compile(r"bearer[ \t]+", re.IGNORECASE)
_MAX_HEADER_CHARS = 4096
_MALFORMED = "a compact JWS token: three base64url segments separated by dots"


@dataclass(frozen=True, slots=True)
class TokenHeader:
    """The token (without any ``Bearer`` prefix) and its decoded, still unverified header.

    Attributes:
        token: the compact token text.
        alg: the ``alg`` header parameter.
        kid: the ``kid`` header parameter, ``None`` when absent or empty.
        fields: the whole JOSE header.
    """

    token: str
    alg: str
    kid: str | None
    fields: dict[str, Any]


def read_token(
    value: object,
    *,
    header: str,
    max_bytes: int,
    profile: Profile,
    bearer: bool,
) -> TokenHeader:
    """Check the size and shape of ``value`` and decode its JOSE header.

    Raises ``InvalidAssertion`` (``assertion_malformed`` or ``assertion_algorithm``).
    """
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        raise InvalidAssertion("assertion_malformed", header, "a token in a text header")
    if len(value) > max_bytes:
        raise InvalidAssertion(
            "assertion_malformed", header, f"a token of at most {max_bytes} bytes"
        )
    token = value.strip()
    if bearer:
        prefix = _BEARER.match(token)
        if prefix is None:
            raise InvalidAssertion(
                "assertion_malformed", header, "the Bearer authentication scheme"
            )
        token = token[prefix.end() :]
    if not _SHAPES[profile].fullmatch(token):
        raise InvalidAssertion("assertion_malformed", header, _MALFORMED)
    segment = token[: token.index(".")]
    fields = _decode_header(segment, header)
    alg = fields.get("alg")
    if not isinstance(alg, str):
        raise InvalidAssertion("assertion_algorithm", header, "an 'alg' header parameter")
    if "crit" in fields:  # RFC 7515, 4.1.11: refuse extensions we do not understand (all)
        raise InvalidAssertion(
            "assertion_malformed", header, "a token without critical header extensions"
        )
    kid = fields.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidAssertion("assertion_malformed", header, "a 'kid' header that is a string")
    return TokenHeader(token=token, alg=alg, kid=kid or None, fields=fields)


def _decode_header(segment: str, header: str) -> dict[str, Any]:
    if len(segment) > _MAX_HEADER_CHARS:
        raise InvalidAssertion(
            "assertion_malformed", header, f"a JOSE header of at most {_MAX_HEADER_CHARS} bytes"
        )
    stripped = segment.rstrip("=")
    try:
        if stripped != segment and len(segment) % 4:
            raise binascii.Error("padding that does not complete a quantum")
        raw = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
        fields = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidAssertion(
            "assertion_malformed", header, "a JOSE header that is base64url-encoded JSON"
        ) from None
    if not isinstance(fields, dict):
        raise InvalidAssertion("assertion_malformed", header, "a JOSE header that is a JSON object")
    return fields
