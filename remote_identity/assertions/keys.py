"""Public keys and key sets, read from the formats the proxies publish.

- a JWKS (RFC 7517): ``{"keys": [{"kty": ..., "kid": ..., ...}, ...]}`` (Pomerium,
  Cloudflare Access, authentik, Teleport, any OpenID provider);
- a JSON map of key id to PEM (Google IAP's ``https://www.gstatic.com/iap/verify/public_key``);
- one PEM public key per key id (AWS ALB's ``https://public-keys.auth.elb.<region>.amazonaws.com/<kid>``).

Each key is bound to the algorithms its type allows (an RSA key verifies ``RS*``/``PS*``,
a P-256 key ``ES256`` only, an Ed25519 key ``EdDSA``), intersected with the JWK's own
``alg`` and with the verifier's allowed algorithms. A token's ``alg`` never decides how a
key is used: that is the algorithm-confusion attack (an HMAC "signature" made with a
public key as the secret). Symmetric (``oct``) and private keys are never loaded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_KEYS",
    "KeySet",
    "KeySourceError",
    "PublicKey",
    "parse_jwks",
    "parse_pem",
    "parse_pem_map",
]

logger = logging.getLogger("remote_identity.assertions")

#: Keys kept from one document; a token without ``kid`` is tried against each of them.
MAX_KEYS = 20


class KeySourceError(ValueError):
    """A key document that cannot be used at all; the message says why."""


@dataclass(frozen=True, slots=True, eq=False)
class PublicKey:
    """One verification key.

    Attributes:
        kid: its key id, or ``None`` when the publisher gave none.
        algorithms: the JWS algorithms it may verify (never empty).
        key: the ``cryptography`` public key object.
        fingerprint: hex SHA-256 of the key's SubjectPublicKeyInfo and its ``kid``.
    """

    kid: str | None
    algorithms: frozenset[str]
    key: Any
    fingerprint: str


@dataclass(frozen=True, slots=True)
class KeySet:
    """The keys of one document, by key id."""

    by_kid: Mapping[str, PublicKey]
    anonymous: tuple[PublicKey, ...] = ()
    fingerprints: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        prints = {k.fingerprint for k in (*self.by_kid.values(), *self.anonymous)}
        object.__setattr__(self, "fingerprints", frozenset(prints))

    @classmethod
    def of(cls, keys: Iterable[PublicKey]) -> KeySet:
        """A set of ``keys``; the first key with a given ``kid`` wins."""
        by_kid: dict[str, PublicKey] = {}
        anonymous: list[PublicKey] = []
        for key in keys:
            if key.kid is None:
                anonymous.append(key)
            else:
                by_kid.setdefault(key.kid, key)
        return cls(by_kid, tuple(anonymous))

    def candidates(self, kid: str | None) -> tuple[PublicKey, ...] | None:
        """The keys a token with this ``kid`` may be signed with; ``None``: unknown kid.

        A token without ``kid`` may be signed by any key (Teleport's tokens carry none);
        keys published without a ``kid`` are candidates for every token.
        """
        if kid is None:
            return (*self.by_kid.values(), *self.anonymous)
        key = self.by_kid.get(kid)
        if key is not None:
            return (key,)
        return self.anonymous or None


def _make_key(
    kid: str | None, key: Any, allowed: frozenset[str], declared: object, where: str
) -> PublicKey | None:
    from . import _backend

    algorithms = _backend.key_algorithms(key) & allowed
    if declared is not None:
        algorithms &= {declared}
    if not algorithms:
        logger.info(
            "key %r from %s skipped: it verifies none of the allowed algorithms %s",
            kid,
            where,
            sorted(allowed),
        )
        return None
    fingerprint = _backend.key_fingerprint(key) + (f"/{kid}" if kid is not None else "")
    return PublicKey(kid=kid, algorithms=frozenset(algorithms), key=key, fingerprint=fingerprint)


def _load_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise KeySourceError(f"{where} is not JSON") from None


def _finish(keys: list[PublicKey], where: str) -> KeySet:
    if not keys:
        raise KeySourceError(f"{where} has no usable public key")
    if len(keys) > MAX_KEYS:
        logger.warning("%s has %d keys; only the first %d are used", where, len(keys), MAX_KEYS)
    return KeySet.of(keys[:MAX_KEYS])


def parse_jwks(document: bytes | Mapping[str, Any], allowed: frozenset[str], where: str) -> KeySet:
    """The usable signing keys of a JWKS document (bytes of JSON, or the parsed object)."""
    from . import _backend

    parsed = _load_json(document, where) if isinstance(document, bytes) else document
    entries = parsed.get("keys") if isinstance(parsed, Mapping) else None
    if not isinstance(entries, list):
        raise KeySourceError(f'{where} is not a JWKS (a JSON object with a "keys" list)')
    keys: list[PublicKey] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            logger.warning("%s: a JWKS entry that is not an object was skipped", where)
            continue
        kid = entry.get("kid")
        kid = kid if isinstance(kid, str) and kid else None
        if entry.get("use", "sig") != "sig":
            continue  # an encryption key
        try:
            key = _backend.key_from_jwk(entry)
        except _backend.KeyFormatError as error:
            logger.warning("key %r from %s skipped: %s", kid, where, error)
            continue
        made = _make_key(kid, key, allowed, entry.get("alg"), where)
        if made is not None:
            keys.append(made)
    return _finish(keys, where)


def parse_pem_map(document: bytes, allowed: frozenset[str], where: str) -> KeySet:
    """The keys of a JSON object mapping each key id to a PEM public key (Google IAP)."""
    from . import _backend

    parsed = _load_json(document, where)
    if not isinstance(parsed, dict):
        raise KeySourceError(f"{where} is not a JSON object of key id to PEM key")
    keys: list[PublicKey] = []
    for kid, pem in parsed.items():
        if not kid or not isinstance(pem, str):
            logger.warning("%s: entry %r is not a key id with a PEM key; skipped", where, kid)
            continue
        try:
            key = _backend.key_from_pem(pem.encode("utf-8"))
        except _backend.KeyFormatError as error:
            logger.warning("key %r from %s skipped: %s", kid, where, error)
            continue
        made = _make_key(kid, key, allowed, None, where)
        if made is not None:
            keys.append(made)
    return _finish(keys, where)


def parse_pem(document: bytes, kid: str, allowed: frozenset[str], where: str) -> PublicKey:
    """The one PEM public key of ``document``, published for ``kid`` (AWS ALB)."""
    from . import _backend

    try:
        key = _backend.key_from_pem(document)
    except _backend.KeyFormatError as error:
        raise KeySourceError(f"{where}: {error}") from None
    made = _make_key(kid, key, allowed, None, where)
    if made is None:
        raise KeySourceError(f"{where}: the key verifies none of {sorted(allowed)}")
    return made
