"""The sync fingerprint: the identity and every part of the configuration that shapes a
sync, stable across processes."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from remote_identity import HeaderScheme, Identity
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.fingerprint import (
    SYNC_HOOKS,
    SYNC_SETTINGS,
    code_digest,
    config_fingerprint,
    sync_fingerprint,
)

ROOT = Path(__file__).resolve().parents[1]
ALICE = Identity("alice", "Alice", "alice@example.com", ("editors",))

CHANGES = {
    "CREATE_GROUPS": True,
    "DEFAULT_GROUPS": ["users"],
    "GROUP_NAME_MAP": {"editors": "Editors"},
    "IDENTIFY_BY": "email",
    "MIRROR_GROUPS": ["editors"],
    "MIRROR_GROUPS_EXCEPT": ["local"],
    "USER_ATTR_MAP": {"first_name": "name"},
    "USER_FLAGS_BY_GROUP": {"is_staff": ["editors"]},
}


def test_every_sync_setting_has_a_case() -> None:
    assert set(CHANGES) == set(SYNC_SETTINGS)


@pytest.mark.parametrize(("name", "value"), CHANGES.items(), ids=list(CHANGES))
def test_each_sync_setting_changes_the_fingerprint(settings, name, value) -> None:
    before = RemoteIdentityBackend().sync_fingerprint(ALICE)
    setattr(settings, f"REMOTE_IDENTITY_{name}", value)
    assert RemoteIdentityBackend().sync_fingerprint(ALICE) != before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOGOUT_URL", "https://auth.example.com/logout"),
        ("EXCLUDED_PATHS", ["/api/"]),
        ("LOCAL_USERS", "refuse"),
        ("CREATE_UNKNOWN_USER", False),
    ],
)
def test_other_settings_do_not(settings, name, value) -> None:
    before = RemoteIdentityBackend().sync_fingerprint(ALICE)
    setattr(settings, f"REMOTE_IDENTITY_{name}", value)
    assert RemoteIdentityBackend().sync_fingerprint(ALICE) == before


def test_a_scheme_without_an_email_header_changes_it(settings) -> None:
    before = RemoteIdentityBackend().sync_fingerprint(ALICE)
    settings.REMOTE_IDENTITY_SCHEME = HeaderScheme("user only", ("X-User",))
    assert RemoteIdentityBackend().sync_fingerprint(ALICE) != before


def test_the_identity_changes_it() -> None:
    changed = Identity("alice", "Alice", "alice@example.com", ("editors", "staff"))
    backend = RemoteIdentityBackend()
    assert backend.sync_fingerprint(changed) != backend.sync_fingerprint(ALICE)
    assert backend.sync_fingerprint(ALICE) == sync_fingerprint(
        RemoteIdentityBackend, ALICE.fingerprint
    )
    assert len(backend.sync_fingerprint(ALICE)) == 64


class Renaming(RemoteIdentityBackend):
    def clean_groupname(self, name: str) -> str | None:
        return f"team-{name}"


class RenamingOtherwise(RemoteIdentityBackend):
    def clean_groupname(self, name: str) -> str | None:
        return f"crew-{name}"


class Versioned(Renaming):
    sync_version = 2


class Unchanged(RemoteIdentityBackend):
    """A subclass that overrides nothing the sync uses."""

    def configure_user(self, request: Any, user: Any, created: bool = True) -> Any:
        return user


def test_the_backend_and_its_hooks_change_it() -> None:
    found = {
        cls: config_fingerprint(cls)
        for cls in (RemoteIdentityBackend, Renaming, RenamingOtherwise, Versioned, Unchanged)
    }
    assert len(set(found.values())) == len(found)


def test_only_overridden_hooks_are_read(monkeypatch) -> None:
    read = []
    real = code_digest

    def spy(attribute: object) -> str:
        read.append(getattr(attribute, "__qualname__", attribute))
        return real(attribute)

    monkeypatch.setattr("remote_identity_django.fingerprint.code_digest", spy)
    config_fingerprint.cache_clear()
    config_fingerprint(Renaming)
    config_fingerprint(Unchanged)
    assert read == ["Renaming.clean_groupname"]
    assert set(SYNC_HOOKS) >= {"clean_groupname", "identity_groups", "username_for", "sync"}


def hook_a(self: Any, name: str) -> str:
    return name if name in {"admins", "staff", "ops"} else "x"  # a frozenset constant


def hook_b(self: Any, name: str) -> str:
    return name if name in {"admins", "staff", "opz"} else "x"


def decorated(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        return function(*args)

    return wrapper


def test_code_digest_sees_the_code_its_constants_and_what_it_wraps() -> None:
    assert code_digest(hook_a) == code_digest(hook_a)
    assert code_digest(hook_a) != code_digest(hook_b)
    assert code_digest(decorated(hook_a)) != code_digest(decorated(hook_b))
    assert code_digest(staticmethod(hook_a)) == code_digest(hook_a)
    assert code_digest(len) == code_digest(abs)  # no code: known by type only

    def with_default(name: str, table: object = object()) -> str:
        return name

    assert code_digest(with_default) == code_digest(with_default)  # no address in it


def test_stable_across_processes_and_hash_seeds() -> None:
    # This module under the name pytest gave it: the backend's path is in the fingerprint.
    script = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.django_settings';"
        "sys.path.insert(0, 'tests'); django.setup();"
        f"from {__name__} import hook_a, Renaming, ALICE;"
        "from remote_identity_django.fingerprint import code_digest;"
        "print(code_digest(hook_a), Renaming().sync_fingerprint(ALICE))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert outputs == {f"{code_digest(hook_a)} {Renaming().sync_fingerprint(ALICE)}\n"}
