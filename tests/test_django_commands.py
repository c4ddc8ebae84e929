"""``manage.py remote_identity``: the users review (``users``)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("remote_identity", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def users(settings) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {
        "is_staff": ["staff"],
        "is_superuser": ["staff"],
    }
    Client().get("/whoami/", headers=authelia("alice", groups="staff"))  # created
    User.objects.create_user("bob")  # existed, then synced
    Client().get("/whoami/", headers=authelia("bob", groups=""))
    User.objects.create(username="admin", is_superuser=True)  # the pasted recipe's, forged
    User.objects.create_user("carol", password="pw")  # a local account: not listed


def test_users_as_json(users) -> None:
    rows = json.loads(run("users", "--json"))
    assert [
        (r["username"], r["origin"], r["is_active"], r["is_staff"], r["is_superuser"]) for r in rows
    ] == [
        ("admin", "unsynced", True, False, True),
        ("alice", "created", True, True, True),
        ("bob", "synced", True, False, False),
    ]
    assert rows[0]["synced_at"] is None
    assert rows[0]["last_login"] is None
    assert rows[1]["synced_at"] is not None
    assert rows[1]["last_login"] is not None


def test_users_as_a_table(users) -> None:
    lines = run("users").splitlines()
    assert lines[0].split() == [
        "username",
        "origin",
        "flags",
        "last",
        "sync",
        "last",
        "login",
        "joined",
    ]
    assert lines[1].startswith("admin  ")
    assert lines[1].split()[1:9] == [
        *["no", "usable", "password,", "never", "synced"],
        "active",
        "superuser",
        "never",
    ]
    assert "created by a proxy sign-in" in lines[2]
    assert "active staff superuser" in lines[2]
    assert "existed, synced by the proxy" in lines[3]
    assert lines[-1].startswith("1 user(s) without a usable password were never synced")


def test_no_users() -> None:
    User.objects.create_user("carol", password="pw")
    assert run("users") == "No user was made by a remote-user backend or synced by the proxy.\n"
    assert json.loads(run("users", "--json")) == []


def test_a_subcommand_is_required() -> None:
    with pytest.raises(CommandError, match="required: SUBCOMMAND"):
        call_command("remote_identity")
