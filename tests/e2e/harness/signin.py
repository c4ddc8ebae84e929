"""The example's sign-in front (``example/signin``), Authelia's stand-in, as a subprocess.

It runs from its command line (``python -m signin serve``) on a copy of
``example/users.yml``, so tests can add users and change groups: the front re-reads
the file when it changes, as Authelia does with ``watch: true``. Started with a signing
key (``signing_key``), it signs its answers as Pomerium does (``--sign-assertions``), with
a key the tests hold too, so they can make the tokens an attacker may have obtained
(expired, or for another application) from the real key.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher

from .client import form, request
from .net import LISTEN
from .processes import ManagedProcess
from .servers import EXAMPLE, App, server_environment

COOKIE = "authelia_session"  # Authelia's default session cookie name
# Cheap argon2id parameters for the users the tests add (the front reads them from the hash).
_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_of(username: str) -> str:
    """The password of a demo user (``<username>-password``, see example/users.yml)."""
    return f"{username}-password"


class SignInFront:
    """A running sign-in front: its portal port, its users file, and signed-in cookies."""

    def __init__(
        self, port: int, users_file: Path, process: ManagedProcess, signing_key: Path | None
    ) -> None:
        self.port = port
        self.users_file = users_file
        self.process = process
        #: The key it signs with (``None``: it does not sign).
        self.signing_key = signing_key
        self._lock = threading.Lock()
        self._cookies: dict[str, dict[str, str]] = {}

    def sign_in(self, username: str) -> dict[str, str]:
        """Sign ``username`` in at the portal (once per run); the session cookie."""
        with self._lock:
            if username not in self._cookies:
                reply = request(
                    self.port,
                    "/",
                    method="POST",
                    headers=[("Content-Type", "application/x-www-form-urlencoded")],
                    body=form([("username", username), ("password", password_of(username))]),
                )
                cookie = reply.cookies().get(COOKIE)
                if reply.status != 303 or not cookie:
                    raise RuntimeError(f"sign-in of {username!r} failed: {reply.status}")
                self._cookies[username] = {COOKIE: cookie}
            return dict(self._cookies[username])

    def _users(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(self.users_file.read_text(encoding="utf-8"))
        return data

    def _save(self, data: dict[str, Any]) -> None:
        # Written next to the file and renamed over it: the front never reads half a file.
        temporary = self.users_file.with_suffix(".tmp")
        temporary.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        os.replace(temporary, self.users_file)

    def add_user(self, username: str, groups: Sequence[str], *, name: str = "") -> None:
        """Add a user (password ``<username>-password``) to the users file."""
        data = self._users()
        data["users"][username] = {
            "displayname": name or username.title(),
            "password": _HASHER.hash(password_of(username)),
            "email": f"{username}@example.com",
            "groups": list(groups),
        }
        self._save(data)

    def set_groups(self, username: str, groups: Sequence[str]) -> None:
        """Change a user's groups in the users file."""
        data = self._users()
        data["users"][username]["groups"] = list(groups)
        self._save(data)

    def groups(self, username: str) -> list[str]:
        """The user's groups in the users file."""
        groups: list[str] = self._users()["users"][username].get("groups") or []
        return groups


def write_signing_key(path: Path) -> Path:
    """A new P-256 private key in PEM at ``path`` (the front's ``--signing-key``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def start_front(
    port: int,
    directory: Path,
    log_dir: Path,
    *,
    signing_key: Path | None = None,
    users_file: Path | None = None,
    name: str = "signin-front",
) -> SignInFront:
    """Copy the demo users into ``directory`` (unless ``users_file`` is given) and start
    the front's portal on ``port``; signing with ``signing_key`` when it is given."""
    directory.mkdir(parents=True, exist_ok=True)
    if users_file is None:
        users_file = directory / "users.yml"
        users_file.write_bytes((EXAMPLE / "users.yml").read_bytes())
    signing = (
        [] if signing_key is None else ["--sign-assertions", "--signing-key", str(signing_key)]
    )
    process = ManagedProcess(
        name,
        [
            sys.executable,
            "-m",
            "signin",
            "serve",
            "--users",
            str(users_file),
            "--portal",
            f"{LISTEN}:{port}",
            "--session-inactivity",
            "0",
            *signing,
        ],
        log_path=log_dir / f"{name}.log",
        cwd=EXAMPLE,
        env=server_environment(App(wsgi="", asgi="", pythonpath=(EXAMPLE,))),
    )
    try:
        process.wait_listening(LISTEN, port)
    except BaseException:
        process.stop()
        raise
    return SignInFront(port, users_file, process, signing_key)
