"""The portal: Authelia's own host, with its sign-in page, logout and authz endpoints.

Routes (Authelia 4.38+ names):

- ``GET /``: sign-in form (``rd`` target URL and ``rm`` method kept in hidden fields);
  a signed-in browser goes straight to a safe ``rd`` or sees who is signed in.
- ``POST /`` and ``POST /api/firstfactor`` (form or JSON): check the password, set the
  session cookie, 303 to a safe ``rd``; JSON clients get Authelia's JSON reply.
- ``GET|POST /logout?rd=URL``: end the session, go to ``rd`` only if it is safe.
  ``POST /api/logout`` is the JSON variant (``{"targetURL": ...}``).
- ``/api/authz/forward-auth`` (Caddy, Traefik, HAProxy) and ``/api/authz/auth-request``
  (nginx): 200 + Remote-* headers, 302/303/401 + Location, or 403. With signing on, the
  200 also carries ``X-Pomerium-Jwt-Assertion`` for the target's host (``signing``).
- ``GET /.well-known/pomerium/jwks.json``: the signing key, with signing on.
- ``GET /api/state`` (who is signed in, as JSON) and ``GET /api/health`` (``OK``).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import pages
from .authz import (
    TargetError,
    auth_request_target,
    forward_auth_target,
    unauthorized_status,
)
from .front import Decision, identity_headers
from .httpbase import BaseHandler, loggable
from .signing import HEADER, serve_jwks

logger = logging.getLogger("signin.portal")

_AUTH_FAILED = "Authentication failed. Check your credentials."  # Authelia's message
_HTML = "text/html; charset=utf-8"


class PortalHandler(BaseHandler):
    """Request handler of the portal listener."""

    def handle_any(self) -> None:
        if self.server.signer and serve_jwks(self, self.server.signer):
            return
        route = urlsplit(self.path).path
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        front = self.server.front
        if route == "/api/health" and self.command in ("GET", "HEAD"):
            self.reply(200, "OK")
        elif route in ("/api/authz/forward-auth", "/api/authz/auth-request"):
            self.authz(nginx=route.endswith("auth-request"))
        elif route == "/" and self.command in ("GET", "HEAD"):
            self.portal_page(query.get("rd", ""), query.get("rm", ""))
        elif route in ("/", "/api/firstfactor") and self.command == "POST":
            self.first_factor()
        elif route == "/logout" and self.command in ("GET", "POST"):
            self.logout(query)
        elif route == "/api/logout" and self.command == "POST":
            self.logout_json()
        elif route == "/api/state" and self.command in ("GET", "HEAD"):
            signed_in = front.session_user(self.cookie_headers())
            user = signed_in[1].username if signed_in else ""
            self.reply_json(200, {"username": user, "authentication_level": int(bool(user))})
        else:
            self.reply(404, "404 Not Found\n")

    def portal_page(self, rd: str, rm: str) -> None:
        """Sign-in form; or, when signed in, a safe ``rd`` or who is signed in."""
        signed_in = self.server.front.session_user(self.cookie_headers())
        if signed_in is None:
            self.reply(200, pages.sign_in_page(rd=rd, rm=rm), content_type=_HTML)
        elif self.server.front.is_safe(rd):
            self.reply(302, headers=[("Location", rd)])
        else:
            user = signed_in[1]
            self.reply(
                200, pages.signed_in_page(user.username, user.displayname), content_type=_HTML
            )

    def authz(self, *, nginx: bool) -> None:
        """Answer an auth request from a reverse proxy."""
        front = self.server.front
        try:
            method, target = (auth_request_target if nginx else forward_auth_target)(self.headers)
            if target.host not in front.allowed_hosts:
                raise TargetError(f"target URL {target.url!r} is not on an allowed host")
        except TargetError as exc:
            logger.error("cannot authorize: %s", loggable(str(exc)))
            self.reply(401, "401 Unauthorized")
            return
        decision = front.authorize(self.cookie_headers(), method, target.url)
        self.send_decision(
            decision,
            401 if nginx else unauthorized_status(method, self.headers),
            method,
            target.host,
        )

    def send_decision(self, decision: Decision, status: int, method: str, host: str) -> None:
        """200 with the identity (and the assertion for ``host``, with signing on), 403,
        or ``status`` with a Location to the portal."""
        if decision.outcome == "forbidden":
            self.reply(403, "403 Forbidden")
        elif decision.outcome == "unauthorized":
            body = (
                ""
                if method == "HEAD"
                else pages.redirect_body(decision.location, status, self.responses[status][0])
            )
            self.reply(status, body, content_type=_HTML, headers=[("Location", decision.location)])
        else:
            user = decision.user
            headers = identity_headers(user) if user else []
            # http.server writes header values as latin-1: this puts the UTF-8 bytes on the wire.
            replied = [(name, value.decode("latin-1")) for name, value in headers]
            if user and self.server.signer:
                replied.append((HEADER, self.server.signer.sign(user, host)))
            self.reply(200, headers=replied)

    def form_or_json(self) -> dict[str, Any] | None:
        """The request body as a dict (form or JSON), or None after replying 400."""
        body = self.read_body()
        if body is None:
            return None
        try:
            text = body.decode("utf-8")
            if self.headers.get_content_type() == "application/json":
                data = json.loads(text) if text.strip() else {}
                if not isinstance(data, dict):
                    raise ValueError("expected a JSON object")
                return data
            return {k: v[0] for k, v in parse_qs(text, errors="strict").items()}
        except ValueError:
            self.reply(400, "400 Bad Request: expected a form or a JSON object\n")
            return None

    def first_factor(self) -> None:
        """Sign in with username and password."""
        front = self.server.front
        is_json = self.headers.get_content_type() == "application/json"
        data = self.form_or_json()
        if data is None:
            return
        username, password = str(data.get("username", "")), str(data.get("password", ""))
        rd = str(data.get("targetURL" if is_json else "rd", "") or "")
        result = front.sign_in(username, password) if username and password else None
        if result is None:
            if is_json:
                self.reply_json(401, None, status="KO", message=_AUTH_FAILED)
            else:
                page = pages.sign_in_page(
                    rd=rd, rm=str(data.get("rm", "")), username=username, error=_AUTH_FAILED
                )
                self.reply(401, page, content_type=_HTML)
            return
        for old in self.old_sessions():
            front.sessions.destroy(old)
        cookie = ("Set-Cookie", front.cookie(result[0]))
        if is_json:
            self.reply_json(200, {"redirect": rd} if front.is_safe(rd) else None, headers=[cookie])
        else:
            self.reply(303, headers=[cookie, ("Location", rd if front.is_safe(rd) else "/")])

    def old_sessions(self) -> list[str]:
        """Tokens of sessions this browser still holds (ended at sign-in and logout)."""
        tokens = []
        for _ in range(10):  # a browser sends a handful of cookies at most
            signed_in = self.server.front.session_user(self.cookie_headers())
            if signed_in is None:
                break
            tokens.append(signed_in[0])
            self.server.front.sessions.destroy(signed_in[0])
        return tokens

    def logout(self, query: dict[str, str]) -> None:
        """End the session; go to ``rd`` only if it is safe."""
        data = self.form_or_json() if self.command == "POST" else {}
        if data is None:
            return
        rd = str(data.get("rd") or query.get("rd", ""))
        self.old_sessions()
        cookie = ("Set-Cookie", self.server.front.expired_cookie())
        if self.server.front.is_safe(rd):
            self.reply(303 if self.command == "POST" else 302, headers=[cookie, ("Location", rd)])
        else:
            if rd:
                logger.info("logout: not redirecting to an unsafe URL")
            self.reply(200, pages.signed_out_page(), content_type=_HTML, headers=[cookie])

    def logout_json(self) -> None:
        """Authelia's ``POST /api/logout``: says whether ``targetURL`` is safe."""
        data = self.form_or_json()
        if data is None:
            return
        self.old_sessions()
        safe = self.server.front.is_safe(str(data.get("targetURL") or ""))
        cookie = ("Set-Cookie", self.server.front.expired_cookie())
        self.reply_json(200, {"safeTargetURL": safe}, headers=[cookie])

    def reply_json(
        self,
        code: int,
        data: object,
        *,
        status: str = "OK",
        message: str = "",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """Authelia's JSON envelope: ``{"status": "OK", "data": ...}`` or a KO message."""
        payload: dict[str, object] = {"status": status}
        if data is not None:
            payload["data"] = data
        if message:
            payload["message"] = message
        self.reply(
            code,
            json.dumps(payload),
            content_type="application/json; charset=utf-8",
            headers=headers or [],
        )
