"""Scale-out: two instances of the example site behind one nginx, sessions in PostgreSQL.

One instance runs under gunicorn (WSGI: the core middleware judges the request), the
other under uvicorn (ASGI: the core's ASGI middleware judges it, and the Django middleware
adopts its verdict). nginx is the recipe with a second ``server`` line in its
``upstream`` block, which is all a deployment adds to scale out; it sends requests to the
two instances in turn. Each request carries a probe number in its query string, and the
instances' access logs say which one served it, so the test checks (rather than assumes)
the instance of each step.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest

from .harness import database
from .harness.client import Response, request
from .harness.net import ATTACKER, LISTEN, free_port, wait_until
from .harness.processes import ManagedProcess
from .harness.proxies import nginx_command
from .harness.recipes import Ports, render
from .harness.servers import example_app, start_server
from .harness.signin import SignInFront
from .harness.stacks import StackSpec, example_env
from .harness.timing import Timings
from .harness.whoami import Seen

pytestmark = pytest.mark.e2e


@dataclass
class ScaledOut:
    """nginx in front of two named instances."""

    proxy_port: int
    instances: dict[str, ManagedProcess]
    probes: Iterator[int]

    def get(self, path: str, cookies: dict[str, str]) -> tuple[Response, str]:
        """GET ``path`` through nginx; the response and the instance that served it."""
        probe = next(self.probes)
        response = request(
            self.proxy_port, f"{path}?probe={probe}", cookies=cookies, source=ATTACKER
        )

        def served() -> list[str]:
            return [name for name, p in self.instances.items() if f"probe={probe} " in p.log()]

        # A server writes its access log line after the response: wait for it (bounded).
        wait_until(lambda: bool(served()), timeout=10, what=f"the access log of probe {probe}")
        assert len(served()) == 1, f"probe {probe} served by {served()}"
        return response, served()[0]


def two_instance_config(ports: Ports, second_port: int) -> str:
    """The nginx recipe with a second instance in its upstream block."""
    text = render("nginx.conf", ports)
    first = f"server 127.0.0.1:{ports.app};"
    assert text.count(first) == 1, "the recipe's upstream block changed"
    return text.replace(first, f"{first}\n        server 127.0.0.1:{second_port};")


@pytest.fixture(scope="module")
def scaled_out(
    front: SignInFront, example_database: str, e2e_dir: Path, timings: Timings
) -> Iterator[ScaledOut]:
    directory = e2e_dir / "scale-out"
    env = example_env(StackSpec("nginx", "gunicorn"), front, example_database)
    ports = Ports(proxy=free_port(), auth=front.port, app=free_port())
    second = free_port()
    with ExitStack() as cleanup, timings.stage("scale-out: start two instances and nginx"):
        instances = {}
        for name, server, port in (("A", "gunicorn", ports.app), ("B", "uvicorn", second)):
            process = start_server(
                server, example_app(env), port, directory / "logs", name=f"scale-out-{name}"
            )
            cleanup.callback(process.stop)
            instances[name] = process
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "nginx.conf"
        config.write_text(two_instance_config(ports, second), encoding="utf-8")
        nginx = ManagedProcess(
            "scale-out-nginx",
            nginx_command(config, directory),
            log_path=directory / "logs" / "nginx.log",
            cwd=directory,
        )
        cleanup.callback(nginx.stop)
        nginx.wait_listening(LISTEN, ports.proxy)
        yield ScaledOut(ports.proxy, instances, count(1))
        for process in instances.values():
            assert not process.error_lines(), process.tail()


def test_signed_in_on_one_instance_recognized_and_resynced_by_the_other(
    scaled_out: ScaledOut, front: SignInFront, example_database: str
) -> None:
    username = f"scaler-{secrets.token_hex(4)}"
    front.add_user(username, ["editors"])
    authelia = front.sign_in(username)

    # 1. Signed in (and created) by one instance.
    response, first = scaled_out.get("/whoami.json", authelia)
    seen = Seen.parse(response)
    assert (seen.username, seen.last_sync_created) == (username, True)
    session = response.cookies()
    assert "sessionid" in session
    cookies = {**authelia, "sessionid": session["sessionid"]}

    # 2. Recognized by the other: same session (no new login, so no new session cookie).
    response, second = scaled_out.get("/whoami.json", cookies)
    assert second != first
    seen = Seen.parse(response)
    assert (seen.username, seen.groups, seen.is_staff) == (username, ("editors",), False)
    assert seen.last_sync_created  # the first instance's note, read from the shared session
    assert "sessionid" not in response.cookies()

    # 3. Groups change at the sign-in front; the next request goes to the first instance,
    #    so one anonymous request goes there first, and the change reaches the second.
    front.set_groups(username, ["editors", "staff"])
    _, filler = scaled_out.get("/public/whoami.json", {})
    assert filler == first
    response, third = scaled_out.get("/whoami.json", cookies)
    assert third == second
    seen = Seen.parse(response)
    assert (seen.username, seen.groups, seen.is_staff) == (username, ("editors", "staff"), True)
    assert "is_staff" in seen.last_sync_changed
    # The session (the example's note of the last sync) kept its key: a re-sync, not a
    # login.
    assert response.cookies().get("sessionid", cookies["sessionid"]) == cookies["sessionid"]
    assert database.user_groups(example_database, username) == ["editors", "staff"]

    # 4. And the first instance sees the synced user too, with nothing left to sync.
    response, fourth = scaled_out.get("/whoami.json", cookies)
    assert fourth == first
    assert Seen.parse(response).groups == ("editors", "staff")
