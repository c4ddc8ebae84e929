"""The users file: Authelia's file authentication backend, re-read when it changes.

The format is Authelia's ``users_database.yml``::

    users:
      alice:
        displayname: "Alice Admin"
        password: "$argon2id$v=19$m=65536,t=3,p=4$..."
        email: alice@example.com        # or ``emails: [...]``: the first one is used
        groups: [admins, staff]
        disabled: false

Like Authelia with ``watch: true``, the file is checked on every lookup and re-read
when it changed; a file that no longer parses keeps the last good version and logs an
error. Only argon2 hashes (Authelia's default) are supported.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

logger = logging.getLogger("signin.users")

# A file modified this recently may be modified again within the same timestamp tick,
# so while it is this young its content is compared too ("racy" check, as git does).
_RACY_SECONDS = 2.0
_CONTROL = {chr(c) for c in range(0x20)} | {"\x7f"}


class UsersFileError(ValueError):
    """The users file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class User:
    """One entry of the users file."""

    username: str
    displayname: str
    password: str = field(default="", repr=False)  # PHC string; never logged
    emails: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    disabled: bool = False

    @property
    def email(self) -> str:
        """The first email, or ``""`` (what Authelia sends in ``Remote-Email``)."""
        return self.emails[0] if self.emails else ""


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UsersFileError(f"{where}: expected a string, got {type(value).__name__}")
    if _CONTROL.intersection(value):
        raise UsersFileError(f"{where}: control characters are not allowed")
    return value


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UsersFileError(f"{where}: expected a list of strings")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _user(username: Any, entry: Any) -> User:
    where = f"users.{username}"
    name = _text(username, f"{where} (username)")
    if not name:
        raise UsersFileError("users: empty username")
    if not isinstance(entry, dict):
        raise UsersFileError(f"{where}: expected a mapping")
    unknown = set(entry) - {"displayname", "password", "email", "emails", "groups", "disabled"}
    if unknown:
        raise UsersFileError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    password = _text(entry.get("password"), f"{where}.password")
    if not password:
        raise UsersFileError(f"{where}.password: must not be empty")
    emails = _texts(entry.get("emails"), f"{where}.emails")
    if entry.get("email") is not None:
        emails = (_text(entry["email"], f"{where}.email"), *emails)
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        raise UsersFileError(f"{where}.disabled: expected true or false")
    return User(
        username=name,
        displayname=_text(entry.get("displayname", ""), f"{where}.displayname"),
        password=password,
        emails=tuple(e for e in emails if e),
        groups=_texts(entry.get("groups"), f"{where}.groups"),
        disabled=disabled,
    )


def parse_users(text: str) -> dict[str, User]:
    """Parse the YAML text of a users file; raise `UsersFileError` if it is not valid."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsersFileError(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
        raise UsersFileError("expected a top-level 'users:' mapping")
    users = [_user(name, entry) for name, entry in data["users"].items()]
    return {user.username: user for user in users}


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class UsersDatabase:
    """The users of one file, re-read on the first lookup after the file changed."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._signature: tuple[int, ...] = ()
        self._content = b""
        self._racy = False
        self._failed: tuple[object, ...] = ()
        self._users: dict[str, User] = {}
        with self._lock:
            if not self._refresh():
                raise UsersFileError(f"{self.path}: cannot load the users file")

    def get(self, username: str) -> User | None:
        """The current entry for ``username`` (case-sensitive), or None."""
        with self._lock:
            self._refresh()
            return self._users.get(username)

    def _refresh(self) -> bool:
        """Re-read the file if it changed; return False if it cannot be used."""
        try:
            stat = self.path.stat()
            signature = _signature(stat)
            if signature == self._signature and not self._racy:
                return True
            content = self.path.read_bytes()
        except OSError as exc:
            self._report(("oserror",), f"{self.path}: {exc.strerror}; keeping the last version")
            return False
        self._racy = time.time() - stat.st_mtime < _RACY_SECONDS
        if content == self._content and signature == self._signature:
            return True
        try:
            users = parse_users(content.decode("utf-8"))
        except (UnicodeDecodeError, UsersFileError) as exc:
            self._report(signature, f"{self.path}: {exc}; keeping the last good version")
            return False
        if self._signature:
            logger.info("%s: reloaded, %d users", self.path, len(users))
        self._signature, self._content, self._users = signature, content, users
        self._failed = ()
        return True

    def _report(self, key: tuple[object, ...], message: str) -> None:
        if key != self._failed:  # once per broken version, not once per request
            logger.error("%s", message)
            self._failed = key


_hasher = PasswordHasher()  # Authelia's defaults: argon2id, t=3, m=65536 KiB, p=4


@functools.cache
def _dummy_hash() -> str:
    # Verified for unknown users too, so a wrong username costs as much as a wrong password.
    return _hasher.hash("no such user")


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """An argon2id PHC string for ``password``, as ``authelia crypto hash generate`` makes."""
    return (hasher or _hasher).hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True if ``password`` matches the user's hash; False for None, bad or foreign hashes."""
    try:
        return _hasher.verify(user.password if user else _dummy_hash(), password) and bool(user)
    except (Argon2Error, ValueError):  # wrong password, or not an argon2 hash
        return False
