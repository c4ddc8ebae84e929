"""The attacks: named header sets a client sends, through a proxy or straight to the app.

Each ``Attack`` says which headers the attacker adds, on which path, and whether the
attacker is signed in (as the demo user ``bob``, groups ``editors``) at the sign-in front
first. The expected outcome is the same for all: the application never sees anybody but
the signed-in user (or nobody), never a group the user does not have, and never fails
with a 500. Attacks in malformed HTTP may also be refused outright (400) by a proxy or a
server, which is as safe.

``ASSERTION_ATTACKS`` are for the signing recipe: forged tokens (another key, ``alg:
none``, HS256 with the public key, an unknown key id), genuine ones an attacker may hold
(expired, made for another application), and unsigned identity headers sent along with
a valid token. The expectation is the same, plus: a token that reaches verification and
fails is refused with its reason code (400), never believed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .client import Header
from .recipes import SECRET_HEADER, SECRET_VALUE
from .tokens import Tokens

JSON = "/whoami.json"  # protected: the sign-in front asks for a sign-in
PUBLIC_JSON = "/public/whoami.json"  # bypassed by the sign-in front's rules
UNAUTHENTICATED_JSON = "/healthz"  # not sent to the sign-in front by the recipes

VICTIM = "bob"  # the signed-in attacker: an editor who wants to be an admin
SPOOF = [("Remote-User", "admin"), ("Remote-Groups", "admins")]


@dataclass(frozen=True)
class Attack:
    """One attack case."""

    id: str
    headers: tuple[Header, ...]
    path: str = JSON
    signed_in: bool = False
    malformed: bool = False  # malformed HTTP: a 400 from a proxy or server is fine too


ATTACKS = (
    Attack("spoofed-remote-user", (*SPOOF,)),
    Attack("spoofed-while-signed-in", (*SPOOF,), signed_in=True),
    Attack(
        "underscore-spelling",
        (("Remote_User", "admin"), ("Remote_Groups", "admins"), ("Remote_Name", "Admin")),
        signed_in=True,
    ),
    Attack(
        "repeated-headers",
        (
            ("Remote-User", "admin"),
            ("Remote-User", "bob"),
            ("Remote-Groups", "admins"),
            ("Remote-Groups", "editors"),
        ),
        signed_in=True,
    ),
    Attack("injected-groups", (("Remote-Groups", "admins"),), signed_in=True),
    Attack(
        "mixed-case-names", (("rEMOTE-uSER", "admin"), ("REMOTE-GROUPS", "admins")), signed_in=True
    ),
    Attack("comma-in-username", (("Remote-User", "admin,bob"),), signed_in=True),
    Attack(
        "control-char-in-username", (("Remote-User", b"admin\x01"),), signed_in=True, malformed=True
    ),
    Attack(
        "overlong-values",
        (
            ("Remote-User", "a" * 4000),
            ("Remote-Name", "n" * 4000),
            ("Remote-Groups", ",".join(f"g{i}" for i in range(1200))),
        ),
        signed_in=True,
    ),
    Attack(
        "invalid-utf8",
        (("Remote-User", b"\xffadmin"), ("Remote-Name", b"J\xc3\x28rn")),
        signed_in=True,
    ),
    Attack("compatibility-character", (("Remote-User", "ᴬdmin".encode()),), signed_in=True),
    Attack(
        "spoofed-x-forwarded-for",
        (
            ("X-Forwarded-For", "127.0.0.2"),
            ("X-Real-IP", "127.0.0.2"),
            ("Forwarded", "for=127.0.0.2"),
            *SPOOF,
        ),
        path=PUBLIC_JSON,
    ),
    Attack("unprotected-path", (*SPOOF,), path=PUBLIC_JSON),
    Attack("unprotected-path-signed-in", (*SPOOF,), path=PUBLIC_JSON, signed_in=True),
    Attack(
        "unauthenticated-location", (*SPOOF, ("Remote_User", "admin")), path=UNAUTHENTICATED_JSON
    ),
    Attack("client-sent-shared-secret", ((SECRET_HEADER, SECRET_VALUE), *SPOOF), path=PUBLIC_JSON),
    Attack(
        "whitespace-before-colon",
        (("Remote-User ", "admin"), ("Remote-Groups ", "admins")),
        signed_in=True,
        malformed=True,
    ),
    Attack(
        "obs-fold-continuation",
        (("Remote-Groups", b"editors\r\n admins"),),
        signed_in=True,
        malformed=True,
    ),
    Attack(
        "literal-caddy-placeholder",
        (("Remote-User", "{http.reverse_proxy.header.Remote-User}"),),
        path=PUBLIC_JSON,
    ),
)


# -- signed assertions ------------------------------------------------------------------------

NOW = int(time.time())
ADMIN = (("user", "alice"), ("groups", ("admins", "staff", "editors")))


@dataclass(frozen=True)
class AssertionAttack:
    """A token sent in ``X-Pomerium-Jwt-Assertion``, made by ``harness.tokens.Tokens``.

    ``make`` names the ``Tokens`` method and ``claims`` its arguments; ``extra`` are more
    headers sent along. ``reasons`` are the codes the application may refuse the token
    with when it reaches verification (empty: a valid token, of the signed-in user).
    """

    id: str
    make: str
    claims: tuple[tuple[str, Any], ...] = ()
    extra: tuple[Header, ...] = ()
    reasons: frozenset[str] = frozenset()
    malformed: bool = False  # a server may refuse the request itself (400, 431)

    def headers(self, tokens: Tokens) -> list[Header]:
        token = getattr(tokens, self.make)(**dict(self.claims))
        return [("X-Pomerium-Jwt-Assertion", token), *self.extra]


ASSERTION_ATTACKS = (
    AssertionAttack(
        "forged-wrong-key", "wrong_key", ADMIN, reasons=frozenset({"assertion_signature"})
    ),
    AssertionAttack(
        "forged-alg-none", "alg_none", ADMIN, reasons=frozenset({"assertion_algorithm"})
    ),
    AssertionAttack(
        "forged-hs256-with-the-public-key",
        "hs256_public_key",
        ADMIN,
        reasons=frozenset({"assertion_algorithm"}),
    ),
    AssertionAttack(
        "forged-unknown-kid", "unknown_kid", ADMIN, reasons=frozenset({"assertion_unknown_key"})
    ),
    AssertionAttack(
        "replayed-for-another-app",
        "genuine",
        (*ADMIN, ("iss", "wiki.example.com"), ("aud", "wiki.example.com")),
        reasons=frozenset({"assertion_audience", "assertion_issuer"}),
    ),
    AssertionAttack(
        "replayed-expired",
        "genuine",
        (*ADMIN, ("iat", NOW - 7200), ("exp", NOW - 3600)),
        reasons=frozenset({"assertion_expired"}),
    ),
    AssertionAttack(
        "valid-token-with-unsigned-headers",
        "genuine",
        (("user", VICTIM), ("groups", ("editors",))),
        extra=(*SPOOF, ("Remote-Name", "Admin"), ("Remote-Email", "admin@example.com")),
    ),
    AssertionAttack(
        "valid-token-underscore-headers",
        "genuine",
        (("user", VICTIM), ("groups", ("editors",))),
        extra=(("Remote_User", "admin"), ("X_Pomerium_Jwt_Assertion", "x")),
    ),
)
