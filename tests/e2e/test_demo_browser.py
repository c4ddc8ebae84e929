"""The demo in a real browser: Debian's Chromium, driven by Playwright.

``scripts/demo`` runs as a user runs it (on free ports, its users file in a temporary
directory), and two browsers with fresh profiles sign in as alice and bob through the
sign-in front. Then bob's groups change in the users file and his next page shows it,
bob signs out, and both host names are tried: ``localhost`` is refused with a page that
links to ``127.0.0.1``, where signing in works (the session cookie is the portal host's).

Chromium is the system's (``/usr/bin/chromium``, Debian's ``chromium`` package, installed
by ``scripts/install-system-deps``); Playwright never downloads a browser here. It runs
headless with the flags a closed network needs. Screenshots of every step are kept in
``.run/artifacts/screenshots/`` (CI keeps that directory as an artifact).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.availability import unavailable

from .harness.net import free_port

if TYPE_CHECKING:  # Playwright is in requirements-dev.txt, not in the "test" extra
    from playwright.sync_api import Page, Playwright

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / ".run" / "artifacts" / "screenshots"
#: Headless, and nothing that reaches out of a closed network (updates, sync, QUIC...).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@dataclass
class Demo:
    front: int  # the sign-in front's proxy: the URL users open
    portal: int
    users_file: Path

    def url(self, host: str = "127.0.0.1", path: str = "/") -> str:
        return f"http://{host}:{self.front}{path}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``scripts/demo`` running until the module's tests are done."""
    run = tmp_path_factory.mktemp("demo")
    ports = [free_port() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMPLE_")}
    env.update(
        DEMO_PYTHON=sys.executable,
        DEMO_PORTS=" ".join(map(str, ports)),
        DEMO_RUN=str(run),
        EXAMPLE_DATABASE=f"sqlite:///{run}/db.sqlite3",
    )
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "demo")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for _ in range(2000):  # bounded: a line at a time, until the banner or 60 s
            line = lines.get(timeout=60)
            if "The demo is running" in line:
                break
        else:
            pytest.fail("the demo printed no banner")
        yield Demo(ports[0], ports[2], run / "users.yml")
    except queue.Empty:
        pytest.fail("the demo did not start within 60 s:\n" + "".join(output))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        reader.join(10)
        process.stdout.close()
        (run / "demo.log").write_text("".join(output), encoding="utf-8")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps (Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the browser test needs Playwright", "pip install -r requirements-dev.txt")
    with sync_playwright() as running:
        yield running


@contextmanager
def browser(playwright: Playwright, tmp_path: Path, name: str) -> Iterator[Page]:
    """A page of a new Chromium with a fresh profile (its own cookies)."""
    profile = tmp_path / f"profile-{name}"
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"demo-{name}.png"
    page.screenshot(path=str(path), full_page=True)


def field(page: Page, label: str) -> str:
    """The text of the whoami table's row ``label``."""
    header = page.locator("th", has_text=re.compile(f"^{label}$"))
    row = page.locator("tr", has=header)
    return str(row.locator("td").inner_text()).strip()


def sign_in(page: Page, demo: Demo, username: str) -> None:
    """On the portal's sign-in page: sign in, and land back on the site."""
    assert page.url.startswith(f"http://127.0.0.1:{demo.portal}/")
    page.fill("#username", username)
    page.fill("#password", f"{username}-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_url(demo.url("127.0.0.1", "/"))


def set_groups(users_file: Path, username: str, groups: list[str]) -> None:
    data = yaml.safe_load(users_file.read_text(encoding="utf-8"))
    data["users"][username]["groups"] = groups
    temporary = users_file.with_suffix(".tmp")
    temporary.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.replace(temporary, users_file)  # the front never reads half a file


def test_two_users_a_group_change_sign_out_and_both_host_names(
    demo: Demo, playwright: Playwright, tmp_path: Path
) -> None:
    with (
        browser(playwright, tmp_path, "alice") as alice,
        browser(playwright, tmp_path, "bob") as bob,
    ):
        # alice signs in: sent to the portal, and back.
        alice.goto(demo.url())
        shot(alice, "01-sign-in-page")
        sign_in(alice, demo, "alice")
        assert field(alice, "Username") == "alice"
        assert field(alice, "Superuser") == "yes"
        assert "admins" in field(alice, "Groups")
        shot(alice, "02-alice-signed-in")

        # bob, in another browser, is someone else.
        bob.goto(demo.url())
        sign_in(bob, demo, "bob")
        assert field(bob, "Username") == "bob"
        assert field(bob, "Groups") == "editors"
        assert field(bob, "Staff") == "no"
        shot(bob, "03-bob-signed-in")

        # The directory adds bob to "staff": his next page shows it, no new sign-in.
        set_groups(demo.users_file, "bob", ["editors", "staff"])
        bob.reload()
        assert field(bob, "Groups") == "editors, staff"
        assert field(bob, "Staff") == "yes"
        assert "groups" in field(bob, "Last sync")
        shot(bob, "04-bob-after-group-change")
        assert field(alice, "Username") == "alice"  # alice is untouched

        # bob signs out: the site's session and the front's end; the portal asks again.
        with bob.expect_navigation():
            bob.click("text=Log out")
        signed_out = re.compile(rf"^http://127\.0\.0\.1:{demo.portal}/\?rd=")
        bob.wait_for_url(signed_out)
        assert bob.locator("#username").is_visible()
        shot(bob, "05-bob-signed-out")

        # localhost is the same address under another name: refused with a link, which
        # leads to 127.0.0.1, where bob signs in again (no redirect loop).
        response = bob.goto(demo.url("localhost", "/public/"))
        assert response is not None
        assert response.status == 421
        link = bob.locator("#right-host")
        assert link.get_attribute("href") == demo.url("127.0.0.1", "/public/")
        shot(bob, "06-localhost-refused")
        bob.goto(demo.url("localhost", "/"))
        with bob.expect_navigation():
            bob.click("#right-host")
        sign_in(bob, demo, "bob")
        assert field(bob, "Username") == "bob"
        shot(bob, "07-bob-signed-in-again")

        # alice, already signed in, follows the link and is still signed in.
        alice.goto(demo.url("localhost", "/"))
        with alice.expect_navigation():
            alice.click("#right-host")
        assert alice.url == demo.url("127.0.0.1", "/")
        assert field(alice, "Username") == "alice"
        shot(alice, "08-alice-via-localhost-link")
