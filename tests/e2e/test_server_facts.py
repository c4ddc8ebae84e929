"""What each application server hands the application, verified with raw requests.

These are the facts the library's design rests on (see /docs and FACTS.md), checked
here against the installed servers with an application that has no library at all
(``apps/raw_echo.py``), so that a server upgrade that changes them fails loudly:

- gunicorn and waitress drop header names with an underscore; granian maps
  ``Remote_User`` onto ``HTTP_REMOTE_USER`` like ``Remote-User`` (the last one wins);
  ASGI (uvicorn) keeps the names apart;
- a repeated header is joined with "," (gunicorn, granian) or ", " (waitress), or kept
  as separate entries (uvicorn);
- a non-ASCII value arrives as latin-1 "bytes-as-str" (gunicorn, waitress), is emptied
  (granian), or stays bytes (uvicorn);
- no server takes the peer address from ``X-Forwarded-For``, except uvicorn by default
  for peers in ``--forwarded-allow-ips`` (127.0.0.1): ``--no-proxy-headers`` stops it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .harness.client import Header, request
from .harness.net import ATTACKER, LISTEN, PROXY_SOURCE, free_port
from .harness.processes import ManagedProcess
from .harness.servers import RAW_ECHO, SERVERS, server_environment, start_server
from .harness.timing import Timings

pytestmark = pytest.mark.e2e

NAME_UTF8 = "Jörn Müller".encode()


@pytest.fixture(scope="module", params=SERVERS)
def echo_server(
    request: pytest.FixtureRequest, e2e_dir: Path, timings: Timings
) -> Iterator[tuple[str, int]]:
    """(server name, port) of a raw echo application under each server."""
    server: str = request.param
    port = free_port()
    with timings.stage(f"server facts: start {server}"):
        process = start_server(server, RAW_ECHO, port, e2e_dir / "logs", name=f"facts-{server}")
    try:
        yield server, port
    finally:
        process.stop()


def echo(port: int, headers: Sequence[Header], source: str = ATTACKER) -> dict[str, Any]:
    """What the raw echo application received."""
    response = request(port, "/", headers=headers, source=source)
    assert response.status == 200, response
    data: dict[str, Any] = response.json()
    return data


def asgi_values(data: dict[str, Any], name: str) -> list[str]:
    """Every value of header ``name`` (exact, lower-case) in an ASGI echo."""
    return [value for key, value in data["headers"] if key == name]


def test_underscore_spelling(echo_server: tuple[str, int]) -> None:
    server, port = echo_server
    alone = echo(port, [("Remote_User", "mallory")])
    after = echo(port, [("Remote-User", "alice"), ("Remote_User", "mallory")])
    before = echo(port, [("Remote_User", "mallory"), ("Remote-User", "alice")])
    if server in ("gunicorn", "waitress"):  # dropped
        assert "HTTP_REMOTE_USER" not in alone
        assert after["HTTP_REMOTE_USER"] == before["HTTP_REMOTE_USER"] == "alice"
    elif server == "granian":  # folded onto the same key: the last one wins
        assert alone["HTTP_REMOTE_USER"] == "mallory"
        assert (after["HTTP_REMOTE_USER"], before["HTTP_REMOTE_USER"]) == ("mallory", "alice")
    else:  # ASGI: names stay apart, byte for byte (the framework must not fold them)
        assert asgi_values(alone, "remote_user") == ["mallory"]
        assert asgi_values(after, "remote-user") == ["alice"]
        assert asgi_values(after, "remote_user") == ["mallory"]


def test_repeated_header(echo_server: tuple[str, int]) -> None:
    server, port = echo_server
    data = echo(port, [("Remote-Groups", "editors"), ("Remote-Groups", "admins")])
    expected = {
        "gunicorn": "editors,admins",
        "granian": "editors,admins",
        "waitress": "editors, admins",
    }
    if server in expected:
        assert data["HTTP_REMOTE_GROUPS"] == expected[server]
    else:
        assert asgi_values(data, "remote-groups") == ["editors", "admins"]


def test_non_ascii_value(echo_server: tuple[str, int]) -> None:
    server, port = echo_server
    data = echo(port, [("Remote-Name", NAME_UTF8)])
    if server in ("gunicorn", "waitress"):  # PEP 3333: each byte one latin-1 character
        assert data["HTTP_REMOTE_NAME"] == NAME_UTF8.decode("latin-1")
    elif server == "granian":  # the value is lost
        assert data["HTTP_REMOTE_NAME"] == ""
    else:
        assert asgi_values(data, "remote-name") == [NAME_UTF8.decode("latin-1")]


def test_peer_address_is_the_tcp_peer(echo_server: tuple[str, int]) -> None:
    """X-Forwarded-For and friends never change the peer (uvicorn: with the flag we use)."""
    server, port = echo_server
    spoof = [
        ("X-Forwarded-For", PROXY_SOURCE),
        ("X-Real-IP", PROXY_SOURCE),
        ("Forwarded", f"for={PROXY_SOURCE}"),
    ]
    for source in (LISTEN, ATTACKER):
        data = echo(port, spoof, source=source)
        peer = data["client"][0] if server == "uvicorn" else data["REMOTE_ADDR"]
        assert peer == source, (server, data)


def test_uvicorn_defaults_take_the_peer_from_x_forwarded_for(
    e2e_dir: Path, timings: Timings
) -> None:
    """uvicorn without --no-proxy-headers believes X-Forwarded-For from 127.0.0.1: any
    local process can claim to be the proxy at 127.0.0.2. Hence --no-proxy-headers."""
    port = free_port()
    with timings.stage("server facts: uvicorn with its default options"):
        process = ManagedProcess(
            "facts-uvicorn-defaults",
            [*_uvicorn_default_command(port)],
            log_path=e2e_dir / "logs" / "facts-uvicorn-defaults.log",
            env=_raw_echo_env(),
        )
    try:
        process.wait_listening(LISTEN, port)
        spoofed = echo(port, [("X-Forwarded-For", PROXY_SOURCE)], source=LISTEN)
        remote = echo(port, [("X-Forwarded-For", PROXY_SOURCE)], source=ATTACKER)
    finally:
        process.stop()
    assert spoofed["client"][0] == PROXY_SOURCE  # the spoof works from 127.0.0.1 ...
    assert remote["client"][0] == ATTACKER  # ... and from nowhere else


def _uvicorn_default_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", RAW_ECHO.asgi, f"--host={LISTEN}", f"--port={port}"]


def _raw_echo_env() -> dict[str, str]:
    env = server_environment(RAW_ECHO)
    env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's default: 127.0.0.1
    return env
