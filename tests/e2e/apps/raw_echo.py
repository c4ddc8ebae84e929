"""Applications without the library, that show what a server hands over (server facts).

``wsgi_app`` answers with the environ's ``HTTP_*`` keys, ``REMOTE_ADDR`` and
``SERVER_SOFTWARE``; ``asgi_app`` with the scope's ``client`` and raw ``headers``.
Values are JSON strings: a WSGI value as the server gave it (PEP 3333 latin-1
"bytes-as-str"), an ASGI header's bytes decoded as latin-1, so no byte is lost.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any


def wsgi_app(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], object]
) -> Iterable[bytes]:
    """Echo the environ's headers and peer."""
    shown = {
        key: value
        for key, value in environ.items()
        if key.startswith("HTTP_") or key in ("REMOTE_ADDR", "SERVER_SOFTWARE")
    }
    body = json.dumps(shown).encode("ascii")
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


async def asgi_app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    """Echo the scope's client and raw headers."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    shown = {
        "client": scope.get("client"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
    }
    body = json.dumps(shown).encode("ascii")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
