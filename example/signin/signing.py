"""Signed identity assertions, the way Pomerium makes them (development double).

With signing on (``serve --sign-assertions``), the proxy adds ``X-Pomerium-Jwt-Assertion``
to every request it forwards with an identity: an ES256 JWT whose ``iss`` and ``aud`` are
the route's host name (Pomerium's default ``jwt_issuer_format``), with ``sub`` and
``user`` (the username), ``email``, ``name``, ``groups``, ``iat``, a short ``exp``, a
``jti`` and the key id in its header. A copy of that header sent by a client is always
removed. The key pair is generated at start and never stored; the public key is served
at ``/.well-known/pomerium/jwks.json`` on the proxy, as Pomerium serves it on every route,
with Pomerium's ``Cache-Control: max-age=60``.
"""

from __future__ import annotations

import json
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


class AssertionSigner:
    """An ES256 key pair generated at start, and the tokens and JWKS made with it."""

    def __init__(self, lifetime: int = LIFETIME) -> None:
        import jwt  # the jwt extra: needed only when signing is on
        from cryptography.hazmat.primitives.asymmetric import ec

        self.lifetime = lifetime
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = uuid.uuid4().hex
        public: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(
            self._key.public_key(), as_dict=True
        )
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


def serve_jwks(handler: BaseHandler, signer: AssertionSigner) -> bool:
    """Answer a request for the JWKS; ``False`` for any other path."""
    if handler.path.split("?", 1)[0] != JWKS_PATH:
        return False
    headers = [("Cache-Control", "max-age=60")]
    handler.reply(200, signer.jwks, content_type="application/json", headers=headers)
    return True
