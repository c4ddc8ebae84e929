"""``IdentityGate``: the trust decision and the parsing, applied to one request.

The WSGI middleware, the Django adapter, the ASGI middleware and ``remote-identity
explain`` all call :meth:`IdentityGate.decide` (through :meth:`IdentityGate.process` for
a WSGI environ), so every rule has one implementation.

Two modes. Header mode (the default) believes the scheme's headers from a trusted peer.
Signed mode (``assertion=``) believes only the verified claims of the proxy's signed
token (:mod:`remote_identity.signed`); the network checks (``trusted_proxies``, the shared
secret) are then optional, and both must hold when they are set.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from . import options as gate_options
from .errors import IdentityError
from .events import SecurityLog
from .fields import ParseResult
from .parsing import parse_headers
from .peer import PROXY_FIX_ORIG, peer_of
from .schemes import environ_key
from .signed import SignedIdentities
from .verdicts import ENVIRON_KEY, ORIG_KEY, REDACTED, VERDICT_KEY, Outcome, Verdict

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import GateOptions

__all__ = [
    "ENVIRON_KEY",
    "ORIG_KEY",
    "PROXY_FIX_ORIG",
    "REDACTED",
    "VERDICT_KEY",
    "IdentityGate",
    "Verdict",
]

security_log = logging.getLogger("remote_identity.security")
parsing_log = logging.getLogger("remote_identity.parsing")

_PARSE_CACHE_SIZE = 1024
# Servers known to fold "Remote_User" onto HTTP_REMOTE_USER instead of dropping it.
_FOLDING_SERVERS = ("granian",)


class IdentityGate:
    # The docstring is completed below with every option of remote_identity.options.
    """Decides whether a request's identity headers are believed, and parses them.

    The threat: identity headers are ordinary request headers that anyone reaching the
    application can send. The gate believes them only from a trusted peer (and with the
    shared secret, when one is configured), removes them otherwise, and refuses values
    that are not one clean name. ``X-Forwarded-For`` never decides trust: it is read only
    to notice that a peer saved by Werkzeug's ProxyFix may have come from it, and then
    nobody is trusted (:mod:`remote_identity.peer`).

    In signed mode (``assertion``) the threat is that the proxy's address proves nothing
    (a cloud proxy's addresses are shared): the identity comes only from the verified
    claims of the proxy's token, every header of the scheme and the proxy's unsigned
    headers are removed from every request, and a request without a token is anonymous.
    ``trusted_proxies`` and the shared secret are then optional; when set, they must hold
    as well. With neither set, any peer holding a valid token is believed.

    Every refusal is counted (:attr:`refusals`) and logged on
    ``remote_identity.security``, at most once per peer and reason every 10 seconds.

    Args:
    """

    __doc__ = f"{__doc__}{gate_options.args_doc(' ' * 8)}\n"

    __slots__ = (
        "__weakref__",
        "_cache",
        "_keys_by_header",
        "_network",
        "_pairs",
        "_secret",
        "_secret_error",
        "_secret_key",
        "_server_checked",
        "_signed",
        "_token_header",
        "_unsigned_keys",
        "_unsigned_pairs",
        "_untrusted_errors",
        "assertion",
        "events",
        "headers",
        "on_invalid",
        "on_untrusted",
        "policy",
        "redacted",
        "removable",
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
        self.assertion = gate_options.OPTIONS["assertion"].take(options)
        gate_options.check_combination(options)
        self._network = bool(self.trusted_proxies)  # signed mode: check the peer too
        if self.shared_secret_header is not None and secret is not None:
            self._secret_key: str | None = environ_key(self.shared_secret_header)
            self._secret: bytes | None = secret.encode("utf-8")
        else:
            self._secret_key = None
            self._secret = None
        headers = [*self.scheme.headers]
        self._signed: SignedIdentities | None = None
        if self.assertion is not None:
            self._signed = SignedIdentities(self.assertion, self.policy)
            headers += [*self.assertion.unsigned_headers, self.assertion.header]
        spelling: dict[str, str] = {}  # environ key -> the first spelling of its header
        for header in headers:
            spelling.setdefault(environ_key(header), header)
        self._keys_by_header = {header: key for key, header in spelling.items()}
        #: Every header this gate judges and may remove (the scheme's and, in signed
        #: mode, the proxy's unsigned headers and the assertion's own header).
        self.headers = tuple(self._keys_by_header)
        self._pairs = tuple(spelling.items())
        # Signed mode removes these from every request: all but the assertion's header.
        token_key = self._signed.key if self._signed is not None else None
        self._unsigned_pairs = tuple(pair for pair in self._pairs if pair[0] != token_key)
        self._unsigned_keys = frozenset(key for key, _ in self._unsigned_pairs)
        self._token_header = spelling.get(token_key or "", "")
        #: Environ keys whose values ``remote_identity.orig`` never keeps (it keeps
        #: ``"[redacted]"`` instead), the shared secret's and the signed assertion's.
        self.redacted = frozenset(key for key in (token_key, self._secret_key) if key)
        #: The environ keys of ``headers`` and of the shared secret's header: every key
        #: :meth:`process` may remove.
        self.removable = frozenset([*spelling, *([self._secret_key] if self._secret_key else [])])
        self._cache: dict[tuple[object, ...], ParseResult] = {}
        # Exceptions are cheap to keep and dear to build; these are never raised, only
        # reported, so one per header serves every request.
        self._untrusted_errors = {
            header: IdentityError(
                "untrusted_peer", header, "identity headers only from a trusted proxy"
            )
            for header in self.headers
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
                value = environ.pop(key)
                orig.setdefault(key, REDACTED if key in self.redacted else value)
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
        if self._signed is not None:
            return self._decide_signed(self._signed, peer, values, ambiguous)
        if ambiguous:
            return self._judge_untrusted(values, peer, _AMBIGUOUS)
        if not self.trusted_proxies.is_trusted(peer):
            return self._judge_untrusted(values, peer, None)
        if self._secret_key is not None and not _same_secret(
            values.get(self._secret_key), self._secret
        ):
            return self._judge_untrusted(values, peer, self._secret_error)
        return self._judge_trusted(values, peer)

    def _decide_signed(
        self, signed: SignedIdentities, peer: str | None, values: Mapping[str, Any], ambiguous: bool
    ) -> Verdict:
        """Signed mode: the network checks that are configured, then the assertion."""
        trusted = False
        if self._network:
            if ambiguous:
                return self._judge_untrusted(values, peer, _AMBIGUOUS)
            if not self.trusted_proxies.is_trusted(peer):
                return self._judge_untrusted(values, peer, None)
            trusted = True
        if self._secret_key is not None:
            if not _same_secret(values.get(self._secret_key), self._secret):
                return self._judge_untrusted(values, peer, self._secret_error)
            trusted = True
        # Most requests carry none of them: one pass in C says so.
        stripped: tuple[str, ...] = ()
        if not self._unsigned_keys.isdisjoint(values):
            stripped = tuple([header for key, header in self._unsigned_pairs if key in values])
        token = values.get(signed.key)
        if not token:
            # No assertion (or an empty one, as a proxy sends on public paths): nobody.
            return Verdict("anonymous", peer, trusted, None, None, stripped)
        try:
            assertion = signed.verify(token)
            entry = signed.results.get(id(assertion)) or signed.identify(assertion)
        except IdentityError as error:
            return self._refuse_assertion(peer, trusted, error, (*stripped, self._token_header))
        identity, dropped = entry[1]
        if dropped:
            self._log_dropped(peer, dropped)
        return Verdict("identity", peer, trusted, identity, None, stripped, dropped, assertion)

    def _refuse_assertion(
        self, peer: str | None, trusted: bool, error: IdentityError, stripped: tuple[str, ...]
    ) -> Verdict:
        # Anyone can send a token: count first, build the record only when the rate limit
        # lets it be written. Neither the error nor the record holds the token.
        admitted = self.events.count(security_log, error.reason, peer)
        if admitted is not None:
            self.events.write(
                security_log,
                admitted,
                error.reason,
                peer,
                "signed assertion from %s refused: %s",
                peer,
                error,
                extra={"header": error.header},
            )
        outcome: Outcome = "rejected" if self.on_invalid == "reject" else "anonymous"
        return Verdict(outcome, peer, trusted, None, error, stripped)

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
        if dropped:
            self._log_dropped(peer, dropped)
        if identity is None:
            return Verdict("anonymous", peer, True)
        return Verdict("identity", peer, True, identity, None, (), dropped)

    def _log_dropped(self, peer: str | None, dropped: tuple[IdentityError, ...]) -> None:
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
