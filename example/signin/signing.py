"""Signed identity assertions, the way Pomerium makes them (development double).

With signing on (``serve --sign-assertions``), the proxy adds ``X-Pomerium-Jwt-Assertion``
to every request it forwards with an identity, and the authz endpoints answer a proxy
(nginx's ``auth_request``, forward-auth) with it among the identity headers: an ES256 JWT
whose ``iss`` and ``aud`` are the route's host name (Pomerium's default
``jwt_issuer_format``), with ``sub`` and ``user`` (the username), ``email``, ``name``,
``groups``, ``iat``, a short ``exp``, a ``jti`` and the key id in its header. A copy of
that header sent by a client is always removed by the proxy.

The key pair is generated at start and never stored, or read from a PEM file
(``--signing-key``, as Pomerium's ``signing_key_file``); its key id is derived from the
public key (the RFC 7638 thumbprint), so a new key has a new ``kid``. The public key is
served at ``/.well-known/pomerium/jwks.json`` on the proxy, as Pomerium serves it on every
route, and on the portal, with Pomerium's ``Cache-Control: max-age=60``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .httpbase import BaseHandler
    from .users import User

HEADER = "X-Pomerium-Jwt-Assertion"
JWKS_PATH = "/.well-known/pomerium/jwks.json"
LIFETIME = 60  # seconds; Pomerium's tokens live 5 minutes, a test double's need less


class SigningKeyError(ValueError):
    """The signing key file cannot be used."""


class AssertionSigner:
    """An ES256 key pair (generated at start, or read from ``key_file``), and the tokens
    and JWKS made with it."""

    def __init__(
        self, lifetime: int = LIFETIME, key_file: str | os.PathLike[str] | None = None
    ) -> None:
        import jwt  # the jwt extra: needed only when signing is on
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.lifetime = lifetime
        if key_file is None:
            self._key = ec.generate_private_key(ec.SECP256R1())
        else:
            try:
                with open(key_file, "rb") as file:
                    key = serialization.load_pem_private_key(file.read(), password=None)
            except (OSError, ValueError, TypeError) as exc:
                raise SigningKeyError(f"signing key {os.fspath(key_file)!r}: {exc}") from None
            if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
                raise SigningKeyError(
                    f"signing key {os.fspath(key_file)!r}: expected a P-256 EC private key (ES256)"
                )
            self._key = key
        public: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(
            self._key.public_key(), as_dict=True
        )
        self.kid = thumbprint(public)
        document = {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}
        self.jwks = json.dumps(document).encode()

    def sign(self, user: User, host: str) -> str:
        """The assertion for ``user`` on the route ``host`` (``name[:port]``)."""
        import jwt

        route = urlsplit(f"//{host}").hostname or host
        now = int(time.time())
        claims = {
            "iss": route,
            "aud": route,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + self.lifetime,
            "sub": user.username,
            "user": user.username,
            "email": user.email,
            "groups": list(user.groups),
            "name": user.displayname,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of an EC public JWK (base64url SHA-256, no padding)."""
    members = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":")
    )
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def serve_jwks(handler: BaseHandler, signer: AssertionSigner) -> bool:
    """Answer a request for the JWKS; ``False`` for any other path."""
    if handler.path.split("?", 1)[0] != JWKS_PATH:
        return False
    headers = [("Cache-Control", "max-age=60")]
    handler.reply(200, signer.jwks, content_type="application/json", headers=headers)
    return True
