"""``AssertionVerifier``: is this signed identity assertion genuine, fresh and for us?"""

from __future__ import annotations

import functools
import importlib
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError, InvalidAssertion
from .claims import VerifiedAssertion, claim_map, read_fields
from .fetch import FetchError, check_url, fetch_url, read_file
from .keys import KeySourceError, PublicKey, parse_jwks, parse_pem, parse_pem_map
from .options import (
    check_algorithms,
    check_audience,
    check_header,
    check_names,
    check_number,
    check_text,
)
from .sources import KeyLookupError, KeySource, PerKidKeys, RefreshingKeys, StaticKeys
from .tokencache import TokenCache
from .tokens import Profile, TokenHeader, read_token

__all__ = ["AssertionVerifier"]

_EXTRA = "signed assertions need PyJWT and cryptography: pip install 'remote-identity[jwt]'"
_KEY_SOURCES = ("jwks_url", "jwks", "jwks_file", "pem_map_url", "pem_key_base_url")


def _require_backend() -> None:
    try:
        importlib.import_module("remote_identity.assertions._backend")
    except ImportError as error:
        raise ConfigurationError(_EXTRA) from error


class AssertionVerifier:
    """Verifies the signed identity assertion (a JWT) a proxy attaches to each request.

    The threat: where the proxy is a cloud service (Cloudflare Access, Google IAP, AWS
    ALB), its requests come from addresses every customer of that cloud shares, so "the
    peer is the proxy" proves nothing; anyone can send ``Cf-Access-Authenticated-User-Email``
    from a Worker. What an attacker cannot produce is the proxy's signature. The
    verifier believes a token only when it is signed by a key published at the pinned
    location (never a location named by the token: ``jku``, ``x5u``, ``jwk`` and ``kid``
    URLs are ignored), with an allowed public-key algorithm bound to that key, by the
    configured ``issuer``, for the configured ``audience`` (so a token for another
    application behind the same proxy is refused), and within its validity period.

    Args:
        header: the request header carrying the token, e.g. ``"X-Pomerium-Jwt-Assertion"``.
        issuer: the required ``iss``.
        audience: the required ``aud``: a string, or a list of which one must match.
            With ``profile="aws-alb"``: the load balancer ARN(s) of ``signer``.
        algorithms: the allowed algorithms (``RS*``, ``PS*``, ``ES*``, ``EdDSA``);
            ``none`` and ``HS*`` are refused.
        jwks_url: a JWKS URL (https, or http to a loopback address).
        jwks: a JWKS given as a dict (never refreshed).
        jwks_file: a JWKS file, re-read like a URL (for hosts without outbound access).
        pem_map_url: a URL serving a JSON object of key id -> PEM key (Google IAP).
        pem_key_base_url: a base URL serving one PEM key at ``<base>/<kid>`` (AWS ALB).
        claims: identity field -> claim name, laid over
            ``{"username": "sub", "email": "email", "name": "name", "groups": "groups"}``;
            ``None`` as a claim name leaves the field out.
        leeway: seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``.
        profile: ``"jwt"``, or ``"aws-alb"`` (padded segments; ``signer``, ``iss``,
            ``client`` and ``exp`` in the JOSE header).
        client_id: with ``"aws-alb"``, the required ``client`` of the JOSE header.
        bearer: the header value is ``Bearer <token>`` (``Authorization``).
        required_claims: claims that must be present besides ``exp`` (always required
            for ``"jwt"``), e.g. ``["iat"]``.
        max_token_bytes: longer header values are refused before any decoding.
        fetch_timeout: seconds per network operation of a key fetch (twice that in all).
        keys_ttl: seconds keys are used before they are fetched again (a shorter
            ``Cache-Control: max-age`` wins, down to ``refetch_cooldown``).
        refetch_cooldown: the least time between two key fetches, whatever triggers them
            (an unknown ``kid``, a retry after a failure).
        token_cache_size: how many verified tokens are remembered (0: none).
        clock: the monotonic clock of the key cache (for tests).

    Every mistake raises ``ConfigurationError`` here, never at request time. Usage::

        verifier = AssertionVerifier(
            header="X-Pomerium-Jwt-Assertion",
            issuer="app.example.com",
            audience="app.example.com",
            algorithms=["ES256"],
            jwks_url="https://app.example.com/.well-known/pomerium/jwks.json",
        )
        assertion = verifier.verify(environ["HTTP_X_POMERIUM_JWT_ASSERTION"])
    """

    def __init__(
        self,
        *,
        header: str,
        issuer: str,
        audience: str | Sequence[str],
        algorithms: Sequence[str],
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        claims: Mapping[str, str | None] | None = None,
        leeway: float = 30,  # seconds; Google IAP documents 30 s of skew
        jwks_file: str | os.PathLike[str] | None = None,
        pem_map_url: str | None = None,
        pem_key_base_url: str | None = None,
        profile: Profile = "jwt",
        client_id: str | None = None,
        bearer: bool = False,
        required_claims: Sequence[str] = (),
        max_token_bytes: int = 16384,  # room for ALB's user-info tokens; others are ~1 KB
        fetch_timeout: float = 2.0,  # seconds; a key server slower than that is down
        keys_ttl: float = 3600.0,  # seconds; Cloudflare keeps a rotated key valid 7 days
        refetch_cooldown: float = 10.0,  # seconds; bounds fetches a random kid can cause
        token_cache_size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _require_backend()
        self.header = check_header(header)
        self.issuer = check_text("issuer", issuer)
        self.audience = check_audience(audience)
        self.algorithms = check_algorithms(algorithms)
        self.claims = claim_map(claims)
        self.leeway = check_number("leeway", leeway, minimum=0, maximum=600)
        if profile not in ("jwt", "aws-alb"):
            raise ConfigurationError(f"profile must be 'jwt' or 'aws-alb', not {profile!r}")
        self.profile: Profile = profile
        if client_id is not None and profile != "aws-alb":
            raise ConfigurationError("client_id is checked only with profile='aws-alb'")
        self.client_id = None if client_id is None else check_text("client_id", client_id)
        if not isinstance(bearer, bool):
            raise ConfigurationError(f"bearer must be True or False, not {bearer!r}")
        self.bearer = bearer
        required = check_names("required_claims", required_claims, allow_empty=True)
        self.required_claims = tuple(
            dict.fromkeys(required if profile == "aws-alb" else ("exp", *required))
        )
        self.max_token_bytes = int(
            check_number(
                "max_token_bytes", max_token_bytes, minimum=256, maximum=65536, integer=True
            )
        )
        self.fetch_timeout = check_number("fetch_timeout", fetch_timeout, minimum=0.01, maximum=60)
        self.keys_ttl = check_number("keys_ttl", keys_ttl, minimum=1, maximum=7 * 86400)
        self.refetch_cooldown = check_number(
            "refetch_cooldown", refetch_cooldown, minimum=0, maximum=86400
        )
        cache_size = check_number(
            "token_cache_size", token_cache_size, minimum=0, maximum=10**6, integer=True
        )
        self._clock = clock
        self._source = self._key_source(
            jwks_url=jwks_url,
            jwks=jwks,
            jwks_file=jwks_file,
            pem_map_url=pem_map_url,
            pem_key_base_url=pem_key_base_url,
        )
        self._cache = TokenCache(int(cache_size))

    def __repr__(self) -> str:
        return (
            f"AssertionVerifier(header={self.header!r}, issuer={self.issuer!r}, "
            f"audience={list(self.audience)!r}, algorithms={list(self.algorithms)!r}, "
            f"keys={self._source.where!r})"
        )

    @property
    def keys_location(self) -> str:
        """Where the keys come from (a URL, a file, or the configuration)."""
        return self._source.where

    def _key_source(self, **sources: Any) -> KeySource:
        given = [name for name in _KEY_SOURCES if sources[name] is not None]
        if len(given) != 1:
            raise ConfigurationError(
                f"exactly one key source is needed, one of {', '.join(_KEY_SOURCES)}; "
                f"got {', '.join(given) or 'none'}"
            )
        name = given[0]
        value = sources[name]
        allowed = frozenset(self.algorithms)
        timing: dict[str, Any] = {
            "ttl": self.keys_ttl,
            "cooldown": self.refetch_cooldown,
            "wait": 2 * self.fetch_timeout + 1,
            "clock": self._clock,
        }
        if name == "jwks":
            if not isinstance(value, Mapping):
                raise ConfigurationError(f"jwks must be a JWKS dict, not {type(value).__name__}")
            try:
                keys = parse_jwks(value, allowed, "jwks")
            except KeySourceError as error:
                raise ConfigurationError(f"jwks: {error}") from None
            return StaticKeys(keys, "the configured jwks")
        if name == "jwks_file":
            if not isinstance(value, (str, os.PathLike)):
                raise ConfigurationError(f"jwks_file must be a path, not {value!r}")
            where = os.fspath(value)
            load = functools.partial(read_file, value)
            try:
                initial = parse_jwks(load().body, allowed, where)
            except (FetchError, KeySourceError) as error:
                raise ConfigurationError(f"jwks_file: {error}") from None
            parse = functools.partial(parse_jwks, allowed=allowed, where=where)
            return RefreshingKeys(load, parse, where=where, initial=initial, **timing)
        url = check_url(value, name)
        if name == "pem_key_base_url":
            base = url.rstrip("/")
            if "?" in base:
                raise ConfigurationError(f"pem_key_base_url: {url!r} must not have a query")

            def parse_one(body: bytes, kid: str) -> PublicKey:
                return parse_pem(body, kid, allowed, f"{base}/{kid}")

            load_one = functools.partial(fetch_url, timeout=self.fetch_timeout)
            return PerKidKeys(base, load_one, parse_one, **timing)
        parser = parse_jwks if name == "jwks_url" else parse_pem_map
        parse = functools.partial(parser, allowed=allowed, where=url)
        load = functools.partial(fetch_url, url, self.fetch_timeout)
        return RefreshingKeys(load, parse, where=url, **timing)

    def verify(self, token: str | bytes) -> VerifiedAssertion:
        """The verified assertion in ``token`` (the header's value), or ``InvalidAssertion``.

        A token verified before costs a dictionary lookup while it is valid and its key
        is still published. ``InvalidAssertion`` is the only exception this raises, for
        any input; its ``reason`` says which check failed, and it never contains the token.
        """
        if isinstance(token, str) and len(token) <= self.max_token_bytes:
            hit = self._cache.get(token, time.time())
            if hit is not None:
                if self._source.trusts(hit[1]):
                    return hit[0]
                self._cache.discard(token)
        return self._verify(token)

    def _verify(self, value: str | bytes) -> VerifiedAssertion:
        parsed = read_token(
            value,
            header=self.header,
            max_bytes=self.max_token_bytes,
            profile=self.profile,
            bearer=self.bearer,
        )
        if parsed.alg not in self.algorithms:
            raise self._error("assertion_algorithm")
        if self.profile == "aws-alb" and parsed.fields.get("signer") not in self.audience:
            raise InvalidAssertion(
                "assertion_audience", self.header, f"a 'signer' among {', '.join(self.audience)}"
            )
        try:
            candidates = self._source.candidates(parsed.kid)
        except KeyLookupError as error:
            raise InvalidAssertion(error.reason, self.header, error.expected) from None
        usable = [key for key in candidates if parsed.alg in key.algorithms]
        if not usable:
            algorithms = ", ".join(sorted(candidates[0].algorithms))
            raise InvalidAssertion(
                "assertion_algorithm", self.header, f"the algorithm of the key: {algorithms}"
            )
        payload, key = self._decode(parsed, usable)
        expires_at = self._check_issuer_and_expiry(parsed, payload)
        username, name, email, groups = read_fields(payload, self.claims, self.header)
        assertion = VerifiedAssertion(
            username=username,
            name=name,
            email=email,
            groups=groups,
            claims=MappingProxyType(payload),
            header=self.header,
            claim_names=self.claims,
            expires_at=expires_at,
            key_id=key.kid,
        )
        if isinstance(value, str):
            self._cache.put(value, assertion, expires_at + self.leeway, key.fingerprint)
        return assertion

    def _decode(
        self, parsed: TokenHeader, keys: list[PublicKey]
    ) -> tuple[dict[str, Any], PublicKey]:
        from . import _backend

        jwt_format = self.profile == "jwt"
        for key in keys:  # one key, unless the token has no kid
            try:
                payload = _backend.decode(
                    parsed.token,
                    key.key,
                    parsed.alg,
                    audience=self.audience if jwt_format else None,
                    issuer=self.issuer if jwt_format else None,
                    leeway=self.leeway,
                    require=self.required_claims,
                )
            except _backend.SignatureError:
                continue
            except _backend.Error as error:
                reason = _backend.reason_for(error)
                raise self._error(reason, _backend.expected_for(error)) from None
            except (TypeError, ValueError, OverflowError, RecursionError):
                raise self._error("assertion_claims") from None
            return payload, key
        raise self._error("assertion_signature")

    def _check_issuer_and_expiry(self, parsed: TokenHeader, payload: Mapping[str, Any]) -> float:
        """The expiry time of the token; for ``aws-alb``, first the JOSE header checks
        PyJWT does not make (``iss``, ``client`` and ``exp`` live there)."""
        if self.profile == "jwt":
            return float(int(payload["exp"]))  # PyJWT checked iss, aud, exp, nbf, iat
        fields = parsed.fields
        if fields.get("iss") != self.issuer or payload.get("iss", self.issuer) != self.issuer:
            raise self._error("assertion_issuer")
        if self.client_id is not None and fields.get("client") != self.client_id:
            raise InvalidAssertion(
                "assertion_audience", self.header, f"the client {self.client_id}"
            )
        exp = fields.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not math.isfinite(exp):
            raise InvalidAssertion(
                "assertion_claims", self.header, "an 'exp' header parameter that is a number"
            )
        if exp <= time.time() - self.leeway:
            raise self._error("assertion_expired")
        return float(exp)

    def _error(self, reason: str, expected: str | None = None) -> InvalidAssertion:
        return InvalidAssertion(reason, self.header, expected or self._expected(reason))

    def _expected(self, reason: str) -> str:
        leeway = f"{self.leeway:g} s of leeway"
        return {
            "assertion_signature": "a signature by one of the issuer's keys",
            "assertion_expired": f"a token that has not expired ({leeway})",
            "assertion_not_yet_valid": f"a token that is already valid ({leeway})",
            "assertion_audience": f"an audience among {', '.join(self.audience)}",
            "assertion_issuer": f"the issuer {self.issuer}",
            "assertion_algorithm": f"an algorithm among {', '.join(self.algorithms)}",
            "assertion_claims": "registered claims of the right JSON types",
            "assertion_keys_unavailable": f"a key from {self._source.where} that can verify it",
        }.get(reason, "a well-formed signed JWT")
