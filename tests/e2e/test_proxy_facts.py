"""What each proxy, started from its recipe, forwards to the application.

An upstream that records raw header lines (``harness/recorder.py``) stands in for the
application, so these tests see the proxy's own behaviour, before any WSGI server
folds, drops or joins anything:

- the identity headers are the sign-in front's, exactly once each, whatever the client
  sent (spoofed, underscore spellings, repeats), and UTF-8 passes byte for byte;
- no header name with an underscore reaches the application;
- the shared-secret header is the proxy's own; ``X-Forwarded-For`` is the real client;
- the proxy connects from the documented address;
- a location without authentication gets no identity headers at all;
- an auth service that cannot be reached lets nothing through (fail closed).

The last test shows why the recipes need their explicit lines: a minimal configuration
of Caddy or HAProxy forwards ``Remote_User`` as it is (nginx drops it by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .harness.attacks import PUBLIC_JSON, SPOOF, UNAUTHENTICATED_JSON
from .harness.client import Header, request
from .harness.net import ATTACKER, LISTEN, free_port
from .harness.processes import ManagedProcess
from .harness.proxies import (
    PROXIES,
    SOURCE_ADDRESS,
    binary,
    nginx_command,
    proxy_environment,
    start_proxy,
)
from .harness.recipes import SECRET_HEADER, SECRET_VALUE, Ports
from .harness.recorder import Recorder, header_lines, header_recorder, names
from .harness.signin import SignInFront
from .harness.timing import Timings

pytestmark = pytest.mark.e2e

IDENTITY = ("Remote-User", "Remote-Groups", "Remote-Name", "Remote-Email")
ATTACK: list[Header] = [
    *SPOOF,
    ("Remote-Groups", "admins"),
    ("Remote_User", "admin"),
    ("Remote_Groups", "admins"),
    ("Remote-Name", "Mallory"),
    ("Remote-Email", "mallory@example.com"),
    (SECRET_HEADER, "the-attackers-guess-of-the-secret"),
    ("X-Forwarded-For", "127.0.0.2"),
]
CADDY_PLACEHOLDER = "{http.reverse_proxy.header.%s}"


class ProxyUnderTest:
    """A proxy from its recipe in front of a header recorder."""

    def __init__(self, proxy: str, port: int, recorder: Recorder) -> None:
        self.proxy = proxy
        self.port = port
        self.recorder = recorder

    def forward(self, path: str, headers: list[Header], cookies: dict[str, str] | None) -> Any:
        """Send a request through the proxy; the record of what reached the upstream."""
        before = len(self.recorder.records)
        response = request(self.port, path, headers=headers, cookies=cookies, source=ATTACKER)
        assert response.status == 200, (response, response.body[:300])
        assert len(self.recorder.records) == before + 1
        return self.recorder.records[-1]


@pytest.fixture(scope="module", params=PROXIES)
def proxy(
    request: pytest.FixtureRequest, front: SignInFront, e2e_dir: Path, timings: Timings
) -> Iterator[ProxyUnderTest]:
    name: str = request.param
    with ExitStack() as cleanup:
        recorder = cleanup.enter_context(header_recorder())
        ports = Ports(proxy=free_port(), auth=front.port, app=recorder.port)
        with timings.stage(f"proxy facts: start {name}"):
            process = start_proxy(name, ports, e2e_dir / f"facts-{name}", e2e_dir / "logs")
        cleanup.callback(process.stop)
        yield ProxyUnderTest(name, ports.proxy, recorder)


def identity_lines(record: Any) -> dict[str, list[str]]:
    return {header: header_lines(record, header) for header in IDENTITY}


def test_signed_in_request_carries_only_the_fronts_identity(
    proxy: ProxyUnderTest, front: SignInFront
) -> None:
    record = proxy.forward("/whoami.json", ATTACK, front.sign_in("bob"))
    assert identity_lines(record) == {
        "Remote-User": ["bob"],
        "Remote-Groups": ["editors"],
        "Remote-Name": ["Bob Builder"],
        "Remote-Email": ["bob@example.com"],
    }
    assert not [name for name in names(record) if "_" in name]
    assert header_lines(record, SECRET_HEADER) == [SECRET_VALUE]
    assert header_lines(record, "X-Forwarded-For") == [ATTACKER]
    assert record["peer"] == SOURCE_ADDRESS[proxy.proxy]


def test_utf8_passes_byte_for_byte(proxy: ProxyUnderTest, front: SignInFront) -> None:
    record = proxy.forward("/whoami.json", [], front.sign_in("jorn"))
    latin1 = {k: [v.encode("latin-1") for v in vs] for k, vs in identity_lines(record).items()}
    assert latin1["Remote-Name"] == ["Jörn Müller".encode()]
    assert latin1["Remote-Groups"] == ["editors,Ünïcode Group".encode()]


def test_unauthenticated_location_gets_no_identity(
    proxy: ProxyUnderTest, front: SignInFront
) -> None:
    record = proxy.forward(UNAUTHENTICATED_JSON, ATTACK, front.sign_in("bob"))
    assert identity_lines(record) == {header: [] for header in IDENTITY}
    assert not [name for name in names(record) if "_" in name]
    assert header_lines(record, SECRET_HEADER) == [SECRET_VALUE]


def test_bypassed_path_without_sign_in(proxy: ProxyUnderTest) -> None:
    record = proxy.forward(PUBLIC_JSON, ATTACK, None)
    if proxy.proxy == "caddy":  # Caddy 2.6: unexpanded placeholders, read as "no user"
        expected = {header: [CADDY_PLACEHOLDER % header] for header in IDENTITY}
    else:
        expected = {header: [] for header in IDENTITY}
    assert identity_lines(record) == expected
    assert not [name for name in names(record) if "_" in name]


@pytest.mark.parametrize("name", PROXIES)
def test_unreachable_auth_service_lets_nothing_through(
    name: str, front: SignInFront, e2e_dir: Path
) -> None:
    with ExitStack() as cleanup:
        recorder = cleanup.enter_context(header_recorder())
        ports = Ports(proxy=free_port(), auth=free_port(), app=recorder.port)  # auth: nobody
        process = start_proxy(name, ports, e2e_dir / f"facts-{name}-noauth", e2e_dir / "logs")
        cleanup.callback(process.stop)
        response = request(ports.proxy, "/whoami.json", cookies=front.sign_in("bob"))
        public = request(ports.proxy, PUBLIC_JSON, headers=SPOOF)
    assert response.status >= 400, response
    assert public.status >= 400, public
    assert recorder.records == []


MINIMAL_CONFIGS = {
    "nginx": (
        "nginx.conf",
        "pid nginx.pid; error_log error.log; events {} http { access_log off;"
        " client_body_temp_path client_body_temp; proxy_temp_path proxy_temp;"
        " fastcgi_temp_path fastcgi_temp; uwsgi_temp_path uwsgi_temp;"
        " scgi_temp_path scgi_temp;"
        " server { listen 127.0.0.1:{proxy}; location / { proxy_pass http://127.0.0.1:{app}; } } }",
    ),
    "caddy": (
        "Caddyfile",
        "{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:{proxy} {\n\tbind 127.0.0.1\n"
        "\treverse_proxy 127.0.0.1:{app}\n}\n",
    ),
    "haproxy": (
        "haproxy.cfg",
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n"
        "  timeout server 30s\nfrontend web\n  bind 127.0.0.1:{proxy}\n"
        "  default_backend app\nbackend app\n  server app 127.0.0.1:{app}\n",
    ),
}


def minimal_command(name: str, config: Path, directory: Path) -> list[str]:
    if name == "nginx":
        return nginx_command(config, directory)
    if name == "caddy":
        return [binary("caddy"), "run", "--adapter", "caddyfile", "--config", str(config)]
    return [binary("haproxy"), "-f", str(config), "-db"]


@pytest.mark.parametrize("name", PROXIES)
def test_without_the_recipe_underscore_names_pass_except_with_nginx(
    name: str, e2e_dir: Path
) -> None:
    """Why every recipe removes the underscore spellings: only nginx drops them itself."""
    directory = e2e_dir / f"minimal-{name}"
    directory.mkdir()
    with ExitStack() as cleanup:
        recorder = cleanup.enter_context(header_recorder())
        port = free_port()
        file_name, template = MINIMAL_CONFIGS[name]
        config = directory / file_name
        config.write_text(
            template.replace("{proxy}", str(port)).replace("{app}", str(recorder.port)),
            encoding="utf-8",
        )
        process = ManagedProcess(
            f"minimal-{name}",
            minimal_command(name, config, directory),
            log_path=e2e_dir / "logs" / f"minimal-{name}.log",
            cwd=directory,
            env=proxy_environment(directory),
        )
        cleanup.callback(process.stop)
        process.wait_listening(LISTEN, port)
        response = request(port, "/", headers=[("Remote_User", "admin")], source=ATTACKER)
    assert response.status == 200
    forwarded = header_lines(recorder.records[-1], "Remote_User")
    assert forwarded == ([] if name == "nginx" else ["admin"])
