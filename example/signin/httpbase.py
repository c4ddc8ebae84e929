"""The HTTP plumbing shared by the portal and the proxy: server class, replies, logging."""

from __future__ import annotations

import logging
import re
import socket
import sys
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .front import Front

if TYPE_CHECKING:
    from .signing import AssertionSigner

logger = logging.getLogger("signin.http")

MAX_BODY = 1024 * 1024  # request bodies the portal reads itself (sign-in forms, JSON)
# C0 controls, DEL and C1 controls (ESC starts a terminal's escape sequences), and the
# backslash that introduces the escapes written instead.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def loggable(text: str) -> str:
    r"""``text`` with control characters written as ``\xNN`` (and ``\`` as ``\\``).

    Request lines and headers are the client's: written raw into a log, ``\x1b[2J``
    clears the terminal that shows it, and a newline forges a log line.
    """
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if m[0] != "\\" else "\\\\", text)


class FrontServer(ThreadingHTTPServer):
    """A threading server that knows its `Front` (and, for the proxy, its upstream)."""

    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog is 5: a burst of simultaneous requests (a proxy
    # asking the authz endpoint for each) would wait on TCP retransmissions. Authelia
    # listens with a large backlog too.
    request_queue_size = 1024
    signer: AssertionSigner | None = None  # signs X-Pomerium-Jwt-Assertion (signing on)

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        front: Front,
        *,
        upstream: tuple[str, int] | None = None,  # proxy only: where requests go
        source_address: str | None = None,  # proxy only: local address for upstream
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.front = front
        self.upstream = upstream
        self.source_address = source_address
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is one log line, not a traceback; the rest as usual."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            logging.getLogger("signin").info("client %s went away: %s", client_address, error)
            return
        super().handle_error(request, client_address)


class BaseHandler(BaseHTTPRequestHandler):
    """Replies with a Content-Length always (HTTP/1.1 keep-alive) and quiet, safe logs."""

    server: FrontServer
    protocol_version = "HTTP/1.1"
    server_version = "signin-front"
    timeout = 30  # seconds an idle keep-alive connection may wait for its next request

    def version_string(self) -> str:
        return self.server_version

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>; every method goes to `handle_any`.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def handle_any(self) -> None:
        raise NotImplementedError

    def reply(
        self,
        status: int,
        body: bytes | str = b"",
        *,
        content_type: str = "text/plain; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Send a whole response; no body for HEAD."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self, limit: int = MAX_BODY) -> bytes | None:
        """The request body, or None after replying 411/413/400 for an unusable one."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self.reply(411, "411 Length Required\n")
            return None
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit():
            self.close_connection = True
            self.reply(400, "400 Bad Request: invalid Content-Length\n")
            return None
        if int(length) > limit:
            self.close_connection = True
            self.reply(413, "413 Content Too Large\n")
            return None
        return self.rfile.read(int(length))

    def cookie_headers(self) -> list[str]:
        """Every Cookie header of the request."""
        return self.headers.get_all("Cookie") or []

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The path without its query string: nothing a client sent as a secret is logged.
        # A request line that did not parse leaves the command None and no path.
        path = loggable(getattr(self, "path", "").split("?", 1)[0])
        method = loggable(self.command or "-")
        logger.info("%s %s %s -> %s", self.client_address[0], method, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        # http.server's own errors (bad request lines...): cut, they may echo the request.
        logger.warning("%s %.200s", self.client_address[0], loggable(format % args))
