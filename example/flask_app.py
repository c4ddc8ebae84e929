"""A Flask application behind an authenticating proxy, using ``remote_identity.wsgi``.

The middleware wraps Flask's WSGI application. It believes the identity headers only from
the proxies in ``TRUSTED_PROXIES``, removes them from every other peer, answers 400 to an
invalid identity, and leaves the result in ``environ["remote_identity"]``: an ``Identity``
or ``None``. The views read nothing else; they never look at a header.

Run it (from the repository root) with the proxy on this host, connecting from its own
address (``curl --interface 127.0.0.2`` plays it)::

    TRUSTED_PROXIES=127.0.0.2 flask --app example/flask_app run

``TRUSTED_PROXIES`` is a comma-separated list of IPs and CIDRs; when it is unset, nobody
is trusted and every request is anonymous.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, abort, jsonify, request
from markupsafe import escape

from remote_identity import Identity
from remote_identity.wsgi import RemoteIdentityMiddleware

__all__ = ["app", "create_app", "current_identity"]


def current_identity() -> Identity | None:
    """The identity the middleware accepted for this request, or ``None``."""
    identity = request.environ.get("remote_identity")
    return identity if isinstance(identity, Identity) else None


def require_group(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator: 401 without an identity, 403 without membership of ``group``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if identity is None:
                abort(401)
            if group not in identity.groups:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def create_app(trusted_proxies: Iterable[str] = (), scheme: str = "authelia") -> Flask:
    """The Flask application, its WSGI callable wrapped by the middleware."""
    app = Flask(__name__)
    # Wrap app.wsgi_app, not app: Flask's CLI, test client and extensions keep working.
    app.wsgi_app = RemoteIdentityMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, trusted_proxies=list(trusted_proxies), scheme=scheme
    )

    @app.get("/")
    def home() -> str:
        # Flask sends a returned str as text/html: the names come from the directory, and
        # a display name like "<script>..." must reach the browser as text (escape()).
        identity = current_identity()
        if identity is None:
            return "Hello, stranger. You are not signed in.\n"
        name, username = escape(identity.name or identity.username), escape(identity.username)
        return f"Hello, {name} ({username}).\n"

    @app.get("/whoami")
    def whoami() -> Any:
        identity = current_identity()
        if identity is None:
            return jsonify(signed_in=False)
        return jsonify(
            signed_in=True,
            username=identity.username,
            name=identity.name,
            email=identity.email,
            groups=list(identity.groups),
        )

    @app.get("/admin")
    @require_group("admins")
    def admin() -> str:
        return "Welcome to the admin area.\n"

    return app


def _env_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


app = create_app(_env_list(os.environ.get("TRUSTED_PROXIES")))
