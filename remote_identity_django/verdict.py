"""``request_verdict()``: the one place that finds what the gate decided about a request.

The middleware, the Django REST framework class and the admin pages all call it, so a
request is judged once, by one rule, whichever of them sees it first.

Where the verdict comes from, in order:

1. ``request.META["remote_identity.verdict"]``: the core's WSGI middleware, or an earlier
   call of this function, already judged the request;
2. ``request.scope`` (ASGI): the core's ASGI middleware judged it; the verdict is copied
   into ``META`` so that the site can read it there, as under WSGI;
3. otherwise the gate built from the settings judges ``request.META`` now.

The threat in case 3: the gate removes an untrusted peer's identity headers and the
shared secret from ``META``, but Django keeps other copies of the request's headers. A
``request.headers`` read earlier (by another middleware) is a cached copy of ``META``,
and under ASGI ``request.scope["headers"]`` holds the raw header list. Both are
rebuilt here without what the gate removed, so no layer of the request still holds a
stripped value or the secret (``META["remote_identity.orig"]`` keeps what was removed,
with the secret redacted, as the core records it).

With ``REMOTE_IDENTITY_ENABLED = False`` the verdict is :data:`DISABLED` (anonymous) for
every request, and this function reads and removes nothing (a core WSGI or ASGI layer in
front still judges the request as it is configured to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remote_identity import ENVIRON_KEY, Identity, Verdict
from remote_identity.gate import VERDICT_KEY

from .conf import conf, get_gate

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["DISABLED", "request_verdict"]

#: The verdict on every request while ``REMOTE_IDENTITY_ENABLED`` is ``False``.
DISABLED = Verdict("anonymous", None, trusted=False)


def request_verdict(request: HttpRequest) -> Verdict:
    """The gate's verdict on ``request``; judges it if nobody has (see the module)."""
    if not conf.ENABLED:
        return DISABLED
    meta = request.META
    verdict = meta.get(VERDICT_KEY)
    if isinstance(verdict, Verdict):
        return verdict
    scope = getattr(request, "scope", None)
    if ENVIRON_KEY not in meta and isinstance(scope, dict) and ENVIRON_KEY in scope:
        meta[ENVIRON_KEY] = scope[ENVIRON_KEY]
        verdict = scope.get(VERDICT_KEY)
        if isinstance(verdict, Verdict):
            meta[VERDICT_KEY] = verdict
            return verdict
    if ENVIRON_KEY in meta:
        # Set by a layer that keeps no verdict: its identity is taken as it is.
        identity = meta[ENVIRON_KEY]
        peer = meta.get("REMOTE_ADDR")
        peer = peer if isinstance(peer, str) else None
        if isinstance(identity, Identity):
            verdict = Verdict("identity", peer, trusted=True, identity=identity)
        else:
            verdict = Verdict("anonymous", peer, trusted=True)
    else:
        gate = get_gate()
        verdict = gate.process(meta)
        _scrub(request, gate.removable)
    meta[VERDICT_KEY] = verdict
    return verdict


def _scrub(request: HttpRequest, watched: frozenset[str]) -> None:
    """Drop the copies of the headers the gate removed from ``META``: the cached
    ``request.headers``, and ``request.scope["headers"]`` under ASGI."""
    request.__dict__.pop("headers", None)  # a cached_property: rebuilt from META
    scope: Any = getattr(request, "scope", None)
    if not isinstance(scope, dict) or "headers" not in scope:
        return
    meta = request.META
    kept = []
    for name, value in scope["headers"]:
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        # An underscore spelling of a watched header is never passed on: frameworks
        # fold it onto the hyphenated name.
        if key in watched and (key not in meta or b"_" in name):
            continue
        kept.append((name, value))
    request.scope = {**scope, "headers": kept}  # type: ignore[attr-defined]
