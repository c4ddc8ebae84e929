"""``manage.py remote_identity explain``: the core's ``explain`` report, judged with the
site's own settings, and what the site's middleware would do with the verdict.

The request (header lines, peer, server, path, token) is turned into an environ by the
core (:func:`remote_identity.cli.explain`); the verdict comes from
:func:`~remote_identity_django.verdict.request_verdict` on a Django request made from that
environ, so the gate is the site's own (:func:`~remote_identity_django.conf.get_gate`)
and ``REMOTE_IDENTITY_ENABLED`` means what it means to the middleware. What the middleware
does next is asked of the site's own middleware class
(:meth:`~remote_identity_django.middleware.RemoteIdentityMiddleware.decide`, as for a
request without a session), and the username of the site's
:func:`~remote_identity_django.backends.remote_backend`. Nothing is read from or written
to the database: whether the user exists, is active or has a usable password is not
looked up.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse

from remote_identity import ConfigurationError, Verdict
from remote_identity.cli import explain

from .backends import remote_backend
from .conf import GATE_SETTINGS, PREFIX, conf, first_subclass, get_gate
from .middleware import Action, RemoteIdentityMiddleware
from .verdict import DISABLED, request_verdict

__all__ = ["django_lines", "explain_request", "setting_error", "site_middleware"]

#: How the report advises verifying a scheme's signed assertion: with the setting.
VERIFY_ADVICE = f"{PREFIX}ASSERTION = {{{{'preset': '{{scheme}}'}}}}"


def site_middleware() -> type[RemoteIdentityMiddleware] | None:
    """The first ``RemoteIdentityMiddleware`` (or subclass) of ``MIDDLEWARE``."""
    return first_subclass(settings.MIDDLEWARE, RemoteIdentityMiddleware)


def setting_error(error: ConfigurationError) -> str:
    """The message of a ``ConfigurationError`` the site's settings caused, naming the
    setting at fault."""
    names = [PREFIX + name for name, option in GATE_SETTINGS.items() if option.name == error.option]
    return f"{names[0] if names else f'the {PREFIX}* settings'}: {error}"


def explain_request(
    headers: Sequence[tuple[bytes, bytes]],
    peer: str | None,
    server: str = "gunicorn",
    *,
    path: str = "/",
    token: str | None = None,
    notes: Sequence[str] = (),
    records: list[logging.LogRecord] | None = None,
) -> dict[str, Any]:
    """The core's report on the request, judged as the site judges it, with a
    ``"django"`` entry (:func:`django_lines`).

    While ``REMOTE_IDENTITY_ENABLED`` is ``False`` the site's verdict is anonymous; the
    report then shows what the gate would decide once enabled. Raises
    ``ConfigurationError`` for a setting the gate refuses, and for a token while
    ``REMOTE_IDENTITY_ASSERTION`` is not set.
    """
    gate = get_gate()
    if token is not None and gate.assertion is None:
        raise ConfigurationError(
            f"--assertion needs the verifier the site configures: {PREFIX}ASSERTION is not set"
        )
    seen: dict[str, Any] = {}

    def judge(environ: dict[str, Any]) -> Verdict:
        path_info, _, query = path.partition("?")
        environ["PATH_INFO"] = path_info.encode("utf-8").decode("latin-1")  # as WSGI has it
        environ["QUERY_STRING"] = query
        environ["wsgi.input"] = io.BytesIO()
        request = WSGIRequest(environ)
        site = request_verdict(request)
        seen.update(request=request, site=site)
        return gate.process(request.META) if site is DISABLED else site

    report = explain(
        gate,
        headers,
        peer,
        server,
        token=token,
        notes=notes,
        records=records,
        judge=judge,
        verify_advice=VERIFY_ADVICE,
    )
    report["django"] = _site(seen["request"], seen["site"])
    return report


def _site(request: HttpRequest, verdict: Verdict) -> dict[str, Any]:
    """What the site does with ``verdict``: the ``"django"`` entry of the report."""
    backend = remote_backend()
    middleware_class = site_middleware()
    entry: dict[str, Any] = {
        "enabled": verdict is not DISABLED,
        "outcome": verdict.outcome,
        "middleware": _dotted(middleware_class),
        "backend": _dotted(type(backend)) if backend is not None else None,
        "path": request.path_info,
        "excluded": None,
        "action": "none",
        "status": None,
        "username": None,
        "notes": [],
    }
    notes: list[str] = entry["notes"]
    if verdict is DISABLED:
        notes.append(
            f"{PREFIX}ENABLED is False: the site reads no identity header and every request "
            "is anonymous (above: what the settings decide once it is enabled)"
        )
        return entry
    if middleware_class is None:
        notes.append(
            "MIDDLEWARE has no RemoteIdentityMiddleware: no request signs anybody in "
            "(remote_identity.E028)"
        )
        return entry
    middleware = middleware_class(_no_response)
    entry["excluded"] = middleware.is_excluded(request)
    decision = middleware.decide(request, verdict)
    if decision.action is Action.NEED_USER:  # as for a request without a session
        decision = middleware.decide(request, verdict, AnonymousUser())
    entry["action"] = decision.action.value
    if decision.action is Action.REFUSE:
        status, text = verdict.refusal()
        entry["status"] = status
        notes.append(f"{middleware_class.__name__} answers {status}: {text.strip()}")
    elif entry["excluded"]:
        notes.append(
            f"the path {request.path_info!r} is under {PREFIX}EXCLUDED_PATHS: the middleware "
            "logs nobody in or out there"
        )
    elif decision.action is Action.LOGIN:
        username = str(decision.username)
        entry["username"] = backend.clean_username(username) if backend else username
        notes.append(_sign_in(entry["username"], entry["backend"]))
    elif verdict.identity is not None:
        notes.append(
            f"no sign-in: the identity has no e-mail address, and {PREFIX}IDENTIFY_BY is 'email'"
        )
    elif middleware_class.force_logout_if_no_header:
        notes.append("no identity: a session a remote-user backend made is logged out")
    else:
        notes.append(f"no identity: {middleware_class.__name__} keeps the session")
    return entry


def _sign_in(username: str, backend: str | None) -> str:
    if backend is None:
        return (
            f"signs in {username!r} through AUTHENTICATION_BACKENDS, which has no "
            "RemoteIdentityBackend: nothing is synced from the identity"
        )
    text = f"signs in as {username!r} ({backend})"
    if not conf.CREATE_UNKNOWN_USER:
        text += f"; {PREFIX}CREATE_UNKNOWN_USER is False: only if that user exists"
    return text


def django_lines(entry: dict[str, Any]) -> list[str]:
    """The ``"django"`` entry of the report, as lines of the text output."""
    return [f"django:    {note}" for note in entry["notes"]]


def _dotted(cls: type | None) -> str | None:
    return None if cls is None else f"{cls.__module__}.{cls.__qualname__}"


def _no_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse(status=204)
