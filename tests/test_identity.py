"""Tests of remote_identity.identity: the Identity value object and its fingerprint."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from typing import Any

import pytest

from remote_identity import Identity

# Computed once and written down: a change means the canonical form changed, which must
# come with a bump of _FINGERPRINT_VERSION (every stored fingerprint then stops matching).
KNOWN = Identity("jörn", "Jörn Ö. Example", "jorn@example.com", ("staff", "Ärzte", "admins"))
KNOWN_FINGERPRINT = "1d2826fb8da8c1eefa1b549de228d62deb8adc388ac5c7be9597bfd04a1e5423"


def test_defaults() -> None:
    identity = Identity("alice")
    assert (identity.username, identity.name, identity.email, identity.groups) == (
        "alice",
        None,
        None,
        (),
    )


def test_frozen() -> None:
    identity = Identity("alice")
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.username = "bob"  # type: ignore[misc]
    assert identity.username == "alice"


def test_slotted() -> None:
    identity = Identity("alice")
    assert not hasattr(identity, "__dict__")
    with pytest.raises((AttributeError, TypeError)):
        identity.is_admin = True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        pytest.param(("a", "b"), ("a", "b"), id="unique-tuple"),
        pytest.param(("b", "a", "b", "c", "a"), ("b", "a", "c"), id="dedupe-keeps-first"),
        pytest.param(["x", "y", "x"], ("x", "y"), id="list-becomes-tuple"),
        pytest.param(iter(["x"]), ("x",), id="iterator"),
        pytest.param((), (), id="empty"),
    ],
)
def test_groups_deduplicated_in_order(groups: Any, expected: tuple[str, ...]) -> None:
    identity = Identity("alice", groups=groups)
    assert identity.groups == expected
    assert type(identity.groups) is tuple


def test_unique_groups_tuple_is_kept_as_is() -> None:
    groups = ("a", "b")
    assert Identity("alice", groups=groups).groups is groups


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"username": ""}, ValueError, id="empty-username"),
        pytest.param({"username": None}, ValueError, id="none-username"),
        pytest.param({"username": b"alice"}, ValueError, id="bytes-username"),
        pytest.param({"username": "alice", "groups": "admins"}, TypeError, id="groups-string"),
    ],
)
def test_invalid_construction(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error, match=r"username|groups"):
        Identity(**kwargs)


def test_equality_and_hash_ignore_nothing_but_the_fingerprint() -> None:
    first = Identity("alice", "Alice", "alice@example.com", ("a", "b"))
    second = Identity("alice", "Alice", "alice@example.com", ["a", "b", "a"])  # type: ignore[arg-type]
    assert first == second
    assert hash(first) == hash(second)
    assert first.fingerprint == second.fingerprint
    assert first != Identity("alice", "Alice", "alice@example.com", ("b", "a"))


def test_fingerprint_not_in_repr_or_init() -> None:
    identity = Identity("alice")
    assert "fingerprint" not in repr(identity)
    assert repr(identity) == "Identity(username='alice', name=None, email=None, groups=())"
    with pytest.raises(TypeError):
        Identity("alice", fingerprint="0" * 64)  # type: ignore[call-arg]


def test_fingerprint_is_sha256_hex() -> None:
    fingerprint = Identity("alice").fingerprint
    assert len(fingerprint) == 64
    assert set(fingerprint) <= set("0123456789abcdef")


def test_fingerprint_canonical_form() -> None:
    # Version 1 of the canonical form: compact JSON of [version, username, name, email, groups].
    expected = hashlib.sha256(b'[1,"alice",null,null,[]]').hexdigest()
    assert Identity("alice").fingerprint == expected


def test_known_fingerprint() -> None:
    assert KNOWN.fingerprint == KNOWN_FINGERPRINT


@pytest.mark.parametrize("hash_seed", ["0", "1", "random"])
def test_known_fingerprint_in_another_process(hash_seed: str) -> None:
    code = (
        "from remote_identity import Identity\n"
        "print(Identity('jörn', 'Jörn Ö. Example', 'jorn@example.com',"
        " ('staff', 'Ärzte', 'admins')).fingerprint)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == KNOWN_FINGERPRINT


BASE = Identity("alice", "Alice", "alice@example.com", ("admins", "staff"))


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(Identity("bob", "Alice", "alice@example.com", ("admins", "staff")), id="user"),
        pytest.param(
            Identity("Alice", "Alice", "alice@example.com", ("admins", "staff")), id="case"
        ),
        pytest.param(
            Identity("alice", None, "alice@example.com", ("admins", "staff")), id="no-name"
        ),
        pytest.param(
            Identity("alice", "", "alice@example.com", ("admins", "staff")), id="empty-name"
        ),
        pytest.param(Identity("alice", "Alice", None, ("admins", "staff")), id="no-email"),
        pytest.param(Identity("alice", "Alice", "a@example.com", ("admins", "staff")), id="email"),
        pytest.param(
            Identity("alice", "Alice", "alice@example.com", ("admins",)), id="fewer-groups"
        ),
        pytest.param(
            Identity("alice", "Alice", "alice@example.com", ("staff", "admins")), id="order"
        ),
        pytest.param(
            Identity("alice", "Alice", "alice@example.com", ("admins,staff",)), id="joined"
        ),
        pytest.param(Identity("alice", "Alice", "alice@example.com", ()), id="no-groups"),
    ],
)
def test_fingerprint_changes_with_content(other: Identity) -> None:
    assert other.fingerprint != BASE.fingerprint


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(Identity("a", "None"), Identity("a", None), id="name-None-string"),
        pytest.param(Identity("a", email="b"), Identity("a", name="b"), id="field-position"),
        pytest.param(Identity("a,b"), Identity("a", "b"), id="comma-in-username"),
        pytest.param(
            Identity("a", groups=("", "x")), Identity("a", groups=("x",)), id="empty-group"
        ),
    ],
)
def test_fingerprint_is_unambiguous(first: Identity, second: Identity) -> None:
    assert first.fingerprint != second.fingerprint
