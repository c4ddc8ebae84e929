"""The reverse proxy: nginx + Authelia in one listener, so the demo needs no nginx.

For every request it asks `Front.authorize` (the same decision as forward-auth), then:

- not signed in: the same 302/303/401 + Location to the portal that Authelia sends;
- signed in but not permitted: 403;
- permitted: forwards to the upstream after removing every client-sent identity header
  (``Remote-User``, ``Remote-Name``, ``Remote-Email``, ``Remote-Groups``, in any case and
  with ``_`` for ``-``: WSGI servers may map both spellings onto one environ key), and
  sets the four Authelia headers from the session (none on an anonymous bypass); a
  client's ``X-Pomerium-Jwt-Assertion`` is removed too (see ``signing``);
- upstream unreachable: 502.

Hop-by-hop headers are dropped both ways; ``X-Forwarded-For/-Proto/-Host`` and
``X-Real-IP`` are set from the client connection (client values are replaced).
"""

from __future__ import annotations

import http.client
import logging
import time

from . import pages
from .authz import unauthorized_status
from .front import IDENTITY_HEADERS, identity_headers
from .httpbase import BaseHandler, loggable
from .signing import HEADER, serve_jwks
from .targets import Target, TargetError, parse_host, parse_path, parse_url
from .users import User

logger = logging.getLogger("signin.proxy")

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",  # answered here (http.server sends 100 Continue), not passed on
    }
)
_REPLACED = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "forwarded"}
)
_IDENTITY = frozenset(name.lower() for name in (*IDENTITY_HEADERS, HEADER))
_CHUNK = 64 * 1024
_UPSTREAM_TIMEOUT = 30.0  # seconds per connect or read
_RELAY_DEADLINE = 600.0  # seconds a single response may keep streaming


def is_identity_header(name: str) -> bool:
    """Would a WSGI server read this header as one of Authelia's identity headers?"""
    return name.strip().lower().replace("_", "-") in _IDENTITY


def _dropped(name: str, connection_tokens: set[str]) -> bool:
    lower = name.lower()
    return lower in _HOP_BY_HOP or lower in connection_tokens or lower == "content-length"


def _connection_tokens(values: list[str]) -> set[str]:
    return {t.strip().lower() for v in values for t in v.split(",") if t.strip()}


class ProxyHandler(BaseHandler):
    """Request handler of the proxy listener."""

    def handle_any(self) -> None:
        if self.server.signer and serve_jwks(self, self.server.signer):
            return
        front = self.server.front
        try:
            target = self.target()
        except TargetError as exc:
            logger.warning("refused: %s", loggable(str(exc)))
            self.close_connection = True
            self.reply(400, "400 Bad Request: the request's host or path is not valid\n")
            return
        if target.host != front.cookie_host:
            self.wrong_host(target)
            return
        decision = front.authorize(self.cookie_headers(), self.command, target.url)
        if decision.outcome == "forbidden":
            self.reply(403, "403 Forbidden")
        elif decision.outcome == "unauthorized":
            status = unauthorized_status(self.command, self.headers)
            body = pages.redirect_body(decision.location, status, self.responses[status][0])
            location = [("Location", decision.location)]
            self.reply(status, body, content_type="text/html; charset=utf-8", headers=location)
        else:
            self.forward(target.path, target.authority, decision.user)

    def target(self) -> Target:
        """The request's host (``Host``, else this listener) and path, parsed strictly."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            raise TargetError(f"{len(hosts)} Host headers")
        if self.path.startswith("/"):
            if hosts:
                host, port = parse_host(hosts[0])
            else:
                host, port = str(self.server.server_address[0]), self.server.server_address[1]
            return Target("http", host.lower(), port, parse_path(self.path))
        # The absolute form (a client that takes this for a forward proxy): its host wins.
        absolute = parse_url(self.path, "request target")
        return Target("http", absolute.host, absolute.port, absolute.path)

    def wrong_host(self, target: Target) -> None:
        """421 and a page that links to the same page on the host the cookie belongs to.

        The sign-in cookie is the portal host's (``Front.cookie_host``, as Authelia's is
        its cookie domain's): under another name for the same address (``localhost`` for
        ``127.0.0.1``) the browser never sends it, and signing in would loop back here.
        """
        path = target.path if self.command in ("GET", "HEAD") else "/"
        right = Target("http", self.server.front.cookie_host, target.port, path)
        page = pages.wrong_host_page(target.authority, right.url)
        self.reply(421, page, content_type="text/html; charset=utf-8")

    def forward(self, target: str, host: str, user: User | None) -> None:
        """Send the request upstream and relay the response."""
        assert self.server.upstream is not None
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or not length.isdigit():
            self.close_connection = True
            self.reply(411, "411 Length Required\n")
            return
        source = (self.server.source_address, 0) if self.server.source_address else None
        conn = http.client.HTTPConnection(
            *self.server.upstream, timeout=_UPSTREAM_TIMEOUT, source_address=source
        )
        try:
            try:
                self.send_upstream(conn, target, host, user, int(length))
                response = conn.getresponse()
            except OSError as exc:  # refused, reset, timed out
                logger.error("upstream %s:%d unreachable: %s", *self.server.upstream, exc)
                self.close_connection = True
                self.reply(502, "502 Bad Gateway: the upstream application is not reachable\n")
                return
            self.relay(response)
        finally:
            conn.close()

    def send_upstream(
        self,
        conn: http.client.HTTPConnection,
        target: str,
        host: str,
        user: User | None,
        length: int,
    ) -> None:
        """Request line, filtered headers, identity headers, then the body."""
        conn.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
        tokens = _connection_tokens(self.headers.get_all("Connection") or [])
        for name, value in self.headers.items():
            if _dropped(name, tokens) or is_identity_header(name) or name.lower() in _REPLACED:
                continue
            conn.putheader(name, value)
        if "Host" not in self.headers:
            conn.putheader("Host", host)
        conn.putheader("X-Forwarded-For", self.client_address[0])
        conn.putheader("X-Real-IP", self.client_address[0])
        conn.putheader("X-Forwarded-Proto", "http")
        conn.putheader("X-Forwarded-Host", host)
        for name, raw in identity_headers(user) if user else []:
            conn.putheader(name, raw)  # bytes: the UTF-8 display name goes out unchanged
        if self.server.signer and user:
            conn.putheader(HEADER, self.server.signer.sign(user, host))
        if length or self.command in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(length))
        conn.endheaders()
        remaining = length
        for _ in range(length // _CHUNK + 1):  # bounded by the announced length
            if remaining <= 0:
                break
            chunk = self.rfile.read(min(_CHUNK, remaining))
            if not chunk:
                raise ConnectionResetError("client closed the connection mid-body")
            conn.send(chunk)
            remaining -= len(chunk)

    def relay(self, response: http.client.HTTPResponse) -> None:
        """Status, end-to-end headers (every Set-Cookie) and the body, streamed."""
        self.send_response_only(response.status, response.reason)
        tokens = _connection_tokens(response.headers.get_all("Connection") or [])
        headers = response.getheaders()
        for name, value in headers:
            if not _dropped(name, tokens):
                self.send_header(name, value)
        if not any(name.lower() == "date" for name, _ in headers):
            self.send_header("Date", self.date_time_string())
        bodyless = self.command == "HEAD" or response.status in (204, 304)
        chunked = not bodyless and response.length is None and self.request_version == "HTTP/1.1"
        if bodyless and response.getheader("Content-Length"):
            self.send_header("Content-Length", response.getheader("Content-Length", "0"))
        elif response.length is not None and not bodyless:
            self.send_header("Content-Length", str(response.length))
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not bodyless:
            self.close_connection = True  # an HTTP/1.0 client: the end of the body is EOF
        self.end_headers()
        if not bodyless:
            self.copy_body(response, chunked=chunked)

    def copy_body(self, response: http.client.HTTPResponse, *, chunked: bool) -> None:
        deadline = time.monotonic() + _RELAY_DEADLINE
        try:
            while time.monotonic() < deadline:
                data = response.read1(_CHUNK)
                if not data:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                self.wfile.flush()
            else:
                raise TimeoutError("response took too long")
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError as exc:  # upstream died mid-body or the client went away
            logger.warning("relay of %s cut short: %s", loggable(self.path.split("?", 1)[0]), exc)
            self.close_connection = True
