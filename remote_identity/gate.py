"""``IdentityGate``: the trust decision and the parsing, applied to one request.

The WSGI middleware, the Django adapter, the ASGI middleware and ``remote-identity
explain`` all call :meth:`IdentityGate.decide` (through :meth:`IdentityGate.process` for
a WSGI environ), so every rule has one implementation.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from . import options as gate_options
from .errors import IdentityError
from .events import SecurityLog
from .identity import Identity
from .parsing import ParseResult, parse_headers
from .peer import PROXY_FIX_ORIG, peer_of
from .schemes import environ_key

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import GateOptions

__all__ = ["ENVIRON_KEY", "ORIG_KEY", "PROXY_FIX_ORIG", "VERDICT_KEY", "IdentityGate", "Verdict"]

#: ``environ[ENVIRON_KEY]`` is the request's ``Identity``, or ``None``.
ENVIRON_KEY = "remote_identity"
#: ``environ[VERDICT_KEY]`` is the full ``Verdict``: trust, error, what was stripped.
VERDICT_KEY = "remote_identity.verdict"
#: ``environ[ORIG_KEY]`` maps each environ key the gate removed to its value, saved
#: before removal (the shared secret's value is never kept).
ORIG_KEY = "remote_identity.orig"

REDACTED = "[redacted]"

security_log = logging.getLogger("remote_identity.security")
parsing_log = logging.getLogger("remote_identity.parsing")

Outcome = Literal["identity", "anonymous", "rejected"]

_PARSE_CACHE_SIZE = 1024
# Servers known to fold "Remote_User" onto HTTP_REMOTE_USER instead of dropping it.
_FOLDING_SERVERS = ("granian",)


class Verdict(NamedTuple):
    """What the gate decided about one request.

    Attributes:
        outcome: ``"identity"`` (a user is signed in), ``"anonymous"`` (nobody is) or
            ``"rejected"`` (the request must be refused, see ``error``).
        peer: the TCP peer the decision was based on.
        trusted: whether the peer (and the shared secret, if configured) was trusted.
        identity: the ``Identity`` when ``outcome == "identity"``, else ``None``.
        error: why the identity headers were refused (also set for an untrusted peer's
            headers, with reason ``"untrusted_peer"``, ``"bad_secret"`` or
            ``"ambiguous_peer"``).
        stripped: the header names to remove (removed from a WSGI environ by
            :meth:`IdentityGate.process`), in the scheme's spelling.
        warnings: values left out of the identity (an e-mail address that is not one),
            each an ``IdentityError``; the identity itself was accepted.
    """

    # A named tuple rather than a frozen dataclass: it is built on every request, and a
    # tuple is several times cheaper to build.
    outcome: Outcome
    peer: str | None
    trusted: bool
    identity: Identity | None = None
    error: IdentityError | None = None
    stripped: tuple[str, ...] = ()
    warnings: tuple[IdentityError, ...] = ()

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
    # The docstring is completed below with every option of remote_identity.options.
    """Decides whether a request's identity headers are believed, and parses them.

    The threat: identity headers are ordinary request headers that anyone reaching the
    application can send. The gate believes them only from a trusted peer (and with the
    shared secret, when one is configured), removes them otherwise, and refuses values
    that are not one clean name. ``X-Forwarded-For`` never decides trust: it is read only
    to notice that a peer saved by Werkzeug's ProxyFix may have come from it, and then
    nobody is trusted (:mod:`remote_identity.peer`).

    Every refusal is counted (:attr:`refusals`) and logged on
    ``remote_identity.security``, at most once per peer and reason every 10 seconds.

    Args:
    """

    __doc__ = f"{__doc__}{gate_options.args_doc(' ' * 8)}\n"

    __slots__ = (
        "__weakref__",
        "_cache",
        "_keys_by_header",
        "_pairs",
        "_secret",
        "_secret_error",
        "_secret_key",
        "_server_checked",
        "_untrusted_errors",
        "events",
        "on_invalid",
        "on_untrusted",
        "policy",
        "scheme",
        "shared_secret_header",
        "trusted_proxies",
    )

    def __init__(self, **options: Unpack[GateOptions]) -> None:
        gate_options.check_names(options)
        self.trusted_proxies = gate_options.OPTIONS["trusted_proxies"].take(options)
        self.scheme = gate_options.OPTIONS["scheme"].take(options)
        self.policy = gate_options.OPTIONS["policy"].take(options)
        self.on_untrusted = gate_options.OPTIONS["on_untrusted"].take(options)
        self.on_invalid = gate_options.OPTIONS["on_invalid"].take(options)
        self.shared_secret_header = gate_options.OPTIONS["shared_secret_header"].take(options)
        secret = gate_options.OPTIONS["shared_secret"].take(options)
        gate_options.check_combination(options)
        scheme = self.scheme
        self._keys_by_header = dict(zip(scheme.headers, scheme.environ_keys, strict=True))
        self._pairs = tuple(zip(scheme.environ_keys, scheme.headers, strict=True))
        if self.shared_secret_header is not None and secret is not None:
            self._secret_key: str | None = environ_key(self.shared_secret_header)
            self._secret: bytes | None = secret.encode("utf-8")
        else:
            self._secret_key = None
            self._secret = None
        self._cache: dict[tuple[object, ...], ParseResult] = {}
        # Exceptions are cheap to keep and dear to build; these are never raised, only
        # reported, so one per header serves every request.
        self._untrusted_errors = {
            header: IdentityError(
                "untrusted_peer", header, "identity headers only from a trusted proxy"
            )
            for header in scheme.headers
        }
        self._secret_error = IdentityError(
            "bad_secret", str(self.shared_secret_header), "the configured shared secret"
        )
        self._server_checked = False
        #: The security records of this gate, rate-limited, and the count of each refusal.
        self.events = SecurityLog()

    @property
    def refusals(self) -> dict[str, int]:
        """Every event this gate counted since it was built, by reason code (identity
        headers refused or removed, values dropped such as ``invalid_email``, a folding
        server as ``underscore_header``), logged or not. See also
        :func:`remote_identity.events.refusal_counts`."""
        return self.events.counts

    def peer(self, environ: Mapping[str, Any]) -> str | None:
        """The TCP peer: ``REMOTE_ADDR``, or the original one if ProxyFix rewrote it."""
        return peer_of(environ)[0]

    def process(self, environ: MutableMapping[str, Any]) -> Verdict:
        """Judge a WSGI ``environ``, strip what must not reach the application, record it.

        Sets ``environ[ENVIRON_KEY]`` and ``environ[VERDICT_KEY]``; saves every removed
        key under ``environ[ORIG_KEY]`` first; logs refusals on ``remote_identity.security``.
        The caller turns a ``"rejected"`` outcome into a 4xx response.
        """
        if not self._server_checked:
            self._check_server(environ.get("SERVER_SOFTWARE"))
        peer, ambiguous = peer_of(environ)
        verdict = self.decide(peer, environ, ambiguous=ambiguous)
        stripped = verdict.stripped
        secret_key = self._secret_key
        if stripped or (secret_key is not None and secret_key in environ):
            # Saved before removal; a value saved earlier (by another layer) is kept.
            orig = environ.get(ORIG_KEY)
            if not isinstance(orig, dict):
                orig = environ[ORIG_KEY] = {}
            if secret_key is not None and secret_key in environ:
                del environ[secret_key]
                orig.setdefault(secret_key, REDACTED)
            keys = self._keys_by_header
            for header in stripped:
                key = keys[header]
                orig.setdefault(key, environ.pop(key))
        environ[ENVIRON_KEY] = verdict.identity
        environ[VERDICT_KEY] = verdict
        return verdict

    def decide(
        self, peer: str | None, values: Mapping[str, Any], *, ambiguous: bool = False
    ) -> Verdict:
        """Judge a request from ``peer`` whose headers ``values`` holds under their environ
        keys (``HTTP_REMOTE_USER``); change nothing, count and log what is refused.

        ``ambiguous`` says the peer cannot be known (see :mod:`remote_identity.peer`):
        nobody is trusted then. The caller removes ``Verdict.stripped`` and the shared
        secret's header.
        """
        if ambiguous:
            return self._judge_untrusted(values, peer, _AMBIGUOUS)
        if not self.trusted_proxies.is_trusted(peer):
            return self._judge_untrusted(values, peer, None)
        if self._secret_key is not None and not _same_secret(
            values.get(self._secret_key), self._secret
        ):
            return self._judge_untrusted(values, peer, self._secret_error)
        return self._judge_trusted(values, peer)

    def _judge_trusted(self, values: Mapping[str, Any], peer: str | None) -> Verdict:
        keys = self.scheme.parsed_keys
        key = tuple(map(values.get, keys))
        cache = self._cache
        try:
            result = cache[key]
        except KeyError:
            try:
                # Parsed from the cache key itself: parsing cannot read a value the key
                # does not hold, so a cached identity is never stale.
                result = parse_headers(dict(zip(keys, key, strict=True)), self.scheme, self.policy)
            except IdentityError as error:
                return self._refuse_invalid(values, peer, error)
            if len(cache) >= _PARSE_CACHE_SIZE:
                cache.clear()
            cache[key] = result
        identity, dropped = result
        for warning in dropped:
            self.events.record(
                parsing_log,
                warning.reason,
                peer,
                "%s dropped: %s",
                warning.header,
                warning,
                extra={"header": warning.header},
            )
        if identity is None:
            return Verdict("anonymous", peer, True)
        return Verdict("identity", peer, True, identity, None, (), dropped)

    def _refuse_invalid(
        self, values: Mapping[str, Any], peer: str | None, error: IdentityError
    ) -> Verdict:
        self.events.record(
            security_log,
            error.reason,
            peer,
            "identity from trusted peer %s refused: %s",
            peer,
            error,
            extra={"header": error.header},
        )
        if self.on_invalid == "reject":
            return Verdict("rejected", peer, True, error=error)
        return Verdict("anonymous", peer, True, error=error, stripped=self._present(values))

    def _judge_untrusted(
        self, values: Mapping[str, Any], peer: str | None, error: IdentityError | None
    ) -> Verdict:
        stripped = self._present(values)
        if not stripped:
            return Verdict("anonymous", peer, False, None, error)
        error = error or self._untrusted_errors[stripped[0]]
        # This path is an attacker's to repeat: count first, build the record only when
        # the rate limit lets it be written.
        admitted = self.events.count(security_log, error.reason, peer)
        if admitted is not None:
            self.events.write(
                security_log,
                admitted,
                error.reason,
                peer,
                "identity headers from untrusted peer %s removed (%s): %s",
                peer,
                error.reason,
                ", ".join(stripped),
                extra={"headers": stripped},
            )
        outcome: Outcome = "rejected" if self.on_untrusted == "reject" else "anonymous"
        return Verdict(outcome, peer, False, None, error, stripped)

    def _present(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The scheme's headers present in ``values``, in the scheme's order."""
        return tuple([header for key, header in self._pairs if key in values])

    def _check_server(self, software: object) -> None:
        """Warn, once per gate, when the server folds ``Remote_User`` onto ``Remote-User``."""
        self._server_checked = True
        name = software.lower() if isinstance(software, str) else ""
        if any(server in name for server in _FOLDING_SERVERS):
            self.events.record(
                security_log,
                "underscore_header",
                None,
                "%s maps a client's 'Remote_User' header onto HTTP_REMOTE_USER like "
                "'Remote-User' (last one wins), so a client can override the proxy's "
                "identity headers. Make the proxy drop header names containing '_' "
                "(nginx does by default) or run under a server that drops them. It also "
                "empties non-ASCII header values: a display name, or the whole groups "
                "header when one group name is not ASCII.",
                software,
                extra={"server": software},
            )


_AMBIGUOUS = IdentityError(
    "ambiguous_peer",
    "X-Forwarded-For",
    "one Werkzeug ProxyFix layer at most outside the middleware, or the middleware outside "
    "ProxyFix",
)


def _same_secret(sent: object, secret: bytes | None) -> bool:
    if not isinstance(sent, str) or secret is None:
        return False
    try:
        sent_bytes = sent.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sent_bytes, secret)
