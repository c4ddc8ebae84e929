"""``load_user()``: a user and its stored fingerprint, in one query, by either route."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User, UserManager
from django.db.models import QuerySet
from django.utils import timezone

from remote_identity_django import users
from remote_identity_django.models import SyncState
from remote_identity_django.users import NOT_LOADED, load_user, stored_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["raw", "orm"])
def route(request, monkeypatch) -> str:
    if request.param == "orm":
        monkeypatch.setattr(users, "_plain", lambda model, manager: False)
    return str(request.param)


def test_by_pk_and_by_username(route, django_assert_num_queries) -> None:
    synced = User.objects.create(username="alice", email="a@example.com")
    SyncState.objects.create(user=synced, fingerprint="f" * 64, synced_at=timezone.now())
    never = User.objects.create(username="bob")
    with django_assert_num_queries(4):
        by_pk = load_user("pk", synced.pk)
        by_name = load_user("username", "alice")
        other = load_user("username", "bob")
        missing = load_user("pk", 12345)
    assert by_pk == by_name == synced
    assert stored_fingerprint(by_pk) == stored_fingerprint(by_name) == "f" * 64
    assert other == never
    assert stored_fingerprint(other) is None
    assert missing is None
    assert by_pk.date_joined == synced.date_joined  # converted like the ORM's
    assert by_pk.get_deferred_fields() == set()
    assert stored_fingerprint(User.objects.get(pk=synced.pk)) is NOT_LOADED


def test_raw_only_where_it_reads_what_the_default_manager_reads() -> None:
    class Hiding(UserManager):
        def get_queryset(self):
            return super().get_queryset().filter(is_active=True)

    assert users._plain(User, User._default_manager)
    assert not users._plain(User, Hiding())
    assert not users._plain(User, UserManager.from_queryset(type("Q", (QuerySet,), {}))())
