"""``IdentityGate``: the trust decision and the parsing, applied to one environ.

The WSGI middleware, the Django adapter, the ASGI middleware and ``remote-identity
explain`` all call :meth:`IdentityGate.process`, so every rule has one implementation.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal, NamedTuple

from .errors import ConfigurationError, IdentityError
from .identity import Identity
from .parsing import DEFAULT_POLICY, ParsingPolicy, parse_identity
from .schemes import HeaderScheme, environ_key, get_scheme
from .trust import TrustedProxies

__all__ = ["ENVIRON_KEY", "ORIG_KEY", "VERDICT_KEY", "IdentityGate", "Verdict"]

#: ``environ[ENVIRON_KEY]`` is the request's ``Identity``, or ``None``.
ENVIRON_KEY = "remote_identity"
#: ``environ[VERDICT_KEY]`` is the full ``Verdict``: trust, error, what was stripped.
VERDICT_KEY = "remote_identity.verdict"
#: ``environ[ORIG_KEY]`` maps each environ key the gate removed to its value, saved
#: before removal (the shared secret's value is never kept).
ORIG_KEY = "remote_identity.orig"
#: The original peer when Werkzeug's ProxyFix rewrote ``REMOTE_ADDR``.
PROXY_FIX_ORIG = "werkzeug.proxy_fix.orig"

REDACTED = "[redacted]"

security_log = logging.getLogger("remote_identity.security")

Outcome = Literal["identity", "anonymous", "rejected"]

_PARSE_CACHE_SIZE = 1024


class Verdict(NamedTuple):
    """What the gate decided about one request.

    Attributes:
        outcome: ``"identity"`` (a user is signed in), ``"anonymous"`` (nobody is) or
            ``"rejected"`` (the request must be refused, see ``error``).
        peer: the TCP peer the decision was based on.
        trusted: whether the peer (and the shared secret, if configured) was trusted.
        identity: the ``Identity`` when ``outcome == "identity"``, else ``None``.
        error: why the identity headers were refused (also set for an untrusted peer's
            headers, with reason ``"untrusted_peer"`` or ``"bad_secret"``).
        stripped: the header names removed from the environ, in the scheme's spelling.
    """

    # A named tuple rather than a frozen dataclass: it is built on every request, and a
    # tuple is several times cheaper to build.
    outcome: Outcome
    peer: str | None
    trusted: bool
    identity: Identity | None = None
    error: IdentityError | None = None
    stripped: tuple[str, ...] = ()

    def refusal(self) -> tuple[int, str]:
        """The HTTP status and plain-text body refusing a ``"rejected"`` verdict.

        400 for an invalid identity from a trusted peer, 403 for identity headers from
        an untrusted one; the body names the reason code and the header, never a value.
        """
        error = self.error
        if self.outcome != "rejected" or error is None:
            raise ValueError(f"a {self.outcome!r} verdict is not a refusal")
        text = f"Identity refused: {error.reason} ({error.header}); expected {error.expected}.\n"
        return (400 if self.trusted else 403), text


class IdentityGate:
    """Decides whether a request's identity headers are believed, and parses them.

    Args:
        trusted_proxies: peers allowed to speak for users (``TrustedProxies`` or a list of
            IPs, CIDRs and ``"unix"``). Empty trusts nobody.
        scheme: a preset name from ``PRESETS`` or a ``HeaderScheme``.
        policy: limits and normalization choices (``ParsingPolicy``).
        on_untrusted: ``"strip"`` removes an untrusted peer's identity headers and serves
            the request anonymously; ``"reject"`` refuses it.
        on_invalid: ``"reject"`` refuses a trusted request whose identity is invalid;
            ``"anonymous"`` strips its identity headers and serves it anonymously.
        shared_secret_header: the name of a header the proxy adds to every request with
            ``shared_secret``; default off. When set, a peer is trusted only if it is a
            trusted proxy *and* sends this header with the secret (compared in constant
            time). The header is always removed before the application sees it.
        shared_secret: the secret itself, at least 16 characters; set with
            ``shared_secret_header``.
    """

    __slots__ = (
        "_cache",
        "_parse_keys",
        "_secret",
        "_secret_key",
        "_untrusted_errors",
        "on_invalid",
        "on_untrusted",
        "policy",
        "scheme",
        "shared_secret_header",
        "trusted_proxies",
    )

    def __init__(
        self,
        *,
        trusted_proxies: TrustedProxies | Iterable[str],
        scheme: str | HeaderScheme = "authelia",
        policy: ParsingPolicy = DEFAULT_POLICY,
        on_untrusted: Literal["strip", "reject"] = "strip",
        on_invalid: Literal["reject", "anonymous"] = "reject",
        shared_secret_header: str | None = None,
        shared_secret: str | None = None,
    ) -> None:
        if not isinstance(trusted_proxies, TrustedProxies):
            trusted_proxies = TrustedProxies(trusted_proxies)
        if on_untrusted not in ("strip", "reject"):
            raise ConfigurationError(
                f"on_untrusted must be 'strip' or 'reject', not {on_untrusted!r}"
            )
        if on_invalid not in ("reject", "anonymous"):
            raise ConfigurationError(
                f"on_invalid must be 'reject' or 'anonymous', not {on_invalid!r}"
            )
        if not isinstance(policy, ParsingPolicy):
            raise ConfigurationError(f"policy must be a ParsingPolicy, not {policy!r}")
        if (shared_secret_header is None) != (shared_secret is None):
            raise ConfigurationError("shared_secret_header and shared_secret must be set together")
        if shared_secret is not None and (
            not isinstance(shared_secret, str) or len(shared_secret) < 16
        ):
            raise ConfigurationError("shared_secret must be a string of at least 16 characters")
        self.trusted_proxies = trusted_proxies
        self.scheme = get_scheme(scheme)
        self.policy = policy
        self.on_untrusted = on_untrusted
        self.on_invalid = on_invalid
        self.shared_secret_header = shared_secret_header
        if shared_secret_header is not None and shared_secret is not None:
            check = HeaderScheme(name="shared secret", user_headers=(shared_secret_header,))
            self._secret_key: str | None = check.environ_keys[0]
            self._secret: bytes | None = shared_secret.encode("utf-8")
        else:
            self._secret_key = None
            self._secret = None
        self._parse_keys = tuple(
            environ_key(header)
            for header in (
                *self.scheme.user_headers,
                self.scheme.name_header,
                self.scheme.email_header,
                self.scheme.groups_header,
            )
            if header is not None
        )
        self._cache: dict[tuple[object, ...], Identity | None] = {}
        # Exceptions are cheap to keep and dear to build; these are never raised, only
        # reported, so one per header serves every request.
        self._untrusted_errors = {
            header: IdentityError(
                "untrusted_peer", header, "identity headers only from a trusted proxy"
            )
            for header in self.scheme.headers
        }

    def peer(self, environ: MutableMapping[str, Any]) -> str | None:
        """The TCP peer: ``REMOTE_ADDR``, or the original one if ProxyFix rewrote it."""
        orig = environ.get(PROXY_FIX_ORIG)
        if isinstance(orig, dict) and "REMOTE_ADDR" in orig:
            value = orig["REMOTE_ADDR"]
        else:
            value = environ.get("REMOTE_ADDR")
        return value if isinstance(value, str) else None

    def process(self, environ: MutableMapping[str, Any]) -> Verdict:
        """Judge ``environ``, strip what must not reach the application, and record it.

        Sets ``environ[ENVIRON_KEY]`` and ``environ[VERDICT_KEY]``; saves every removed
        key under ``environ[ORIG_KEY]`` first; logs refusals on ``remote_identity.security``.
        The caller turns a ``"rejected"`` outcome into a 4xx response.
        """
        peer = self.peer(environ)
        trusted = self.trusted_proxies.is_trusted(peer)
        secret_error = None
        if self._secret_key is not None:
            sent = environ.get(self._secret_key)
            if sent is not None:
                _save(environ, self._secret_key, REDACTED)
                del environ[self._secret_key]
            if trusted and not _same_secret(sent, self._secret):
                trusted = False
                secret_error = IdentityError(
                    "bad_secret", str(self.shared_secret_header), "the configured shared secret"
                )
        if trusted:
            verdict = self._judge_trusted(environ, peer)
        else:
            verdict = self._judge_untrusted(environ, peer, secret_error)
        environ[ENVIRON_KEY] = verdict.identity
        environ[VERDICT_KEY] = verdict
        return verdict

    def _judge_trusted(self, environ: MutableMapping[str, Any], peer: str | None) -> Verdict:
        key = tuple(environ.get(k) for k in self._parse_keys)
        cache = self._cache
        try:
            identity = cache[key]
        except KeyError:
            try:
                identity = parse_identity(environ, self.scheme, self.policy)
            except IdentityError as error:
                return self._refuse_invalid(environ, peer, error)
            if len(cache) >= _PARSE_CACHE_SIZE:
                cache.clear()
            cache[key] = identity
        if identity is None:
            return Verdict("anonymous", peer, trusted=True)
        return Verdict("identity", peer, trusted=True, identity=identity)

    def _refuse_invalid(
        self, environ: MutableMapping[str, Any], peer: str | None, error: IdentityError
    ) -> Verdict:
        security_log.warning(
            "identity from trusted peer %s refused: %s",
            peer,
            error,
            extra={"reason": error.reason, "peer": peer, "header": error.header},
        )
        if self.on_invalid == "reject":
            return Verdict("rejected", peer, trusted=True, error=error)
        stripped = self._strip(environ)
        return Verdict("anonymous", peer, trusted=True, error=error, stripped=stripped)

    def _judge_untrusted(
        self,
        environ: MutableMapping[str, Any],
        peer: str | None,
        secret_error: IdentityError | None,
    ) -> Verdict:
        stripped = self._strip(environ)
        if not stripped:
            return Verdict("anonymous", peer, trusted=False, error=secret_error)
        error = secret_error or self._untrusted_errors[stripped[0]]
        if security_log.isEnabledFor(logging.WARNING):
            security_log.warning(
                "identity headers from untrusted peer %s removed (%s): %s",
                peer,
                error.reason,
                ", ".join(stripped),
                extra={"reason": error.reason, "peer": peer, "headers": stripped},
            )
        outcome: Outcome = "rejected" if self.on_untrusted == "reject" else "anonymous"
        return Verdict(outcome, peer, trusted=False, error=error, stripped=stripped)

    def _strip(self, environ: MutableMapping[str, Any]) -> tuple[str, ...]:
        """Remove every header of the scheme, saving each value first."""
        stripped = []
        for header, key in zip(self.scheme.headers, self.scheme.environ_keys, strict=True):
            if key in environ:
                _save(environ, key, environ[key])
                del environ[key]
                stripped.append(header)
        return tuple(stripped)


def _save(environ: MutableMapping[str, Any], key: str, value: object) -> None:
    orig = environ.get(ORIG_KEY)
    if not isinstance(orig, dict):
        orig = environ[ORIG_KEY] = {}
    orig.setdefault(key, value)


def _same_secret(sent: object, secret: bytes | None) -> bool:
    if not isinstance(sent, str) or secret is None:
        return False
    try:
        sent_bytes = sent.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sent_bytes, secret)
