"""Verified claims -> the raw values of the identity fields, with their types checked.

The values are not yet an ``Identity``: they still go through the same rules as header
values (control characters, look-alike characters, lengths, e-mail syntax). This module
only guarantees their JSON types: ``username`` a non-blank string; ``name`` and
``email`` a string or absent; ``groups`` a list of strings or absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError, InvalidAssertion

__all__ = ["DEFAULT_CLAIMS", "FIELDS", "VerifiedAssertion", "claim_map", "read_fields"]

#: The identity fields a claim can be mapped to.
FIELDS = ("username", "name", "email", "groups")

#: Which claim carries each field unless configured otherwise (OpenID Connect's names).
DEFAULT_CLAIMS: Mapping[str, str] = MappingProxyType(
    {"username": "sub", "email": "email", "name": "name", "groups": "groups"}
)


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    """A token whose signature, issuer, audience and validity period were verified.

    Attributes:
        username: the username claim's value (a non-blank string, not yet normalized).
        name: the display-name claim's value, ``None`` when unmapped or absent.
        email: the e-mail claim's value, ``None`` when unmapped or absent.
        groups: the groups claim's values, ``()`` when unmapped or absent.
        claims: every verified claim of the token (read-only).
        header: the request header the token came in.
        claim_names: the claim each field was read from (for messages).
        expires_at: when the token expires, in seconds since the epoch (without leeway).
        key_id: the ``kid`` of the key that verified it, if it had one.
    """

    username: str
    name: str | None
    email: str | None
    groups: tuple[str, ...]
    claims: Mapping[str, Any] = field(repr=False)
    header: str
    claim_names: Mapping[str, str] = field(repr=False)
    expires_at: float
    key_id: str | None


def claim_map(claims: object) -> Mapping[str, str]:
    """``claims`` laid over ``DEFAULT_CLAIMS``; a field mapped to ``None`` is not read.

    Raises ``ConfigurationError`` for an unknown field, a claim name that is not a
    non-empty string, or an unmapped username.
    """
    if claims is None:
        return DEFAULT_CLAIMS
    if not isinstance(claims, Mapping):
        raise ConfigurationError(
            f"claims must map identity fields to claim names, not {type(claims).__name__}"
        )
    merged: dict[str, str | None] = dict(DEFAULT_CLAIMS)
    for name, claim in claims.items():
        if name not in FIELDS:
            raise ConfigurationError(
                f"claims: unknown identity field {name!r}; expected one of {', '.join(FIELDS)}"
            )
        if claim is not None and (not isinstance(claim, str) or not claim):
            raise ConfigurationError(
                f"claims[{name!r}] must be a claim name (a non-empty string) or None"
            )
        merged[name] = claim
    if merged["username"] is None:
        raise ConfigurationError("claims['username'] must name a claim: it is the identity")
    return MappingProxyType({f: c for f, c in merged.items() if c is not None})


def read_fields(
    payload: Mapping[str, Any], names: Mapping[str, str], header: str
) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """The (username, name, email, groups) values of ``payload``, types checked."""
    claim = names["username"]
    username = payload.get(claim)
    if not isinstance(username, str) or not username.strip():
        raise InvalidAssertion(
            "assertion_claims", header, f"a {claim!r} claim that is a non-blank string"
        )
    return (
        username,
        _text(payload, names.get("name"), header),
        _text(payload, names.get("email"), header),
        _groups(payload, names.get("groups"), header),
    )


def _text(payload: Mapping[str, Any], claim: str | None, header: str) -> str | None:
    value = payload.get(claim) if claim is not None else None
    if value is None or isinstance(value, str):
        return value
    raise InvalidAssertion("assertion_claims", header, f"a {claim!r} claim that is a string")


def _groups(payload: Mapping[str, Any], claim: str | None, header: str) -> tuple[str, ...]:
    value = payload.get(claim) if claim is not None else None
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(group, str) for group in value):
        return tuple(value)
    raise InvalidAssertion(
        "assertion_claims", header, f"a {claim!r} claim that is a list of strings"
    )
