"""The user admin marks what the proxy owns read-only (``user_admin``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.test import Client

from remote_identity_django.user_admin import NOTE, ProxyOwnedFieldsMixin, add_to_user_admin
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

ADMIN = authelia("root", groups="admins")


@pytest.fixture(autouse=True)
def proxy(settings: Any) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {
        "is_staff": ["admins"],
        "is_superuser": ["admins"],
    }
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    settings.REMOTE_IDENTITY_MIRROR_GROUPS_EXCEPT = ["local"]


@pytest.fixture
def client() -> Client:
    """The proxy's superuser, in the admin."""
    client = Client()
    assert client.get("/admin/", headers=ADMIN).status_code == 200
    return client


def change_page(client: Client, user: User) -> str:
    response = client.get(f"/admin/auth/user/{user.pk}/change/", headers=ADMIN)
    assert response.status_code == 200
    return response.content.decode()


def inputs(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select)[^>]* name="(\w+)"', page))


def test_the_default_sites_user_admin_has_the_mixin() -> None:
    assert isinstance(admin.site._registry[User], ProxyOwnedFieldsMixin)
    assert add_to_user_admin() is True  # idempotent
    assert isinstance(admin.site._registry[User], ProxyOwnedFieldsMixin)
    assert add_to_user_admin(admin.AdminSite(name="empty")) is False


def test_a_synced_users_proxy_fields_are_read_only(client) -> None:
    Group.objects.create(name="local")
    Client().get("/whoami/", headers=authelia("bob", groups="editors"))
    bob = User.objects.get(username="bob")
    page = change_page(client, bob)
    editable = inputs(page)
    for field in ("first_name", "last_name", "email", "is_staff", "is_superuser"):
        assert field not in editable, field
    assert {"username", "is_active", "groups", "user_permissions"} <= editable
    assert NOTE in page
    # The groups field lists only the groups Django manages.
    select = re.search(r'<select name="groups".*?</select>', page, re.DOTALL)
    assert select is not None
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0))
    assert options == ["local"]
    assert "the sign-in proxy manages the others (editors)" in page


def test_saving_keeps_the_proxys_groups(client) -> None:
    local = Group.objects.create(name="local")
    Client().get("/whoami/", headers=authelia("bob", groups="editors"))
    bob = User.objects.get(username="bob")
    response = client.post(
        f"/admin/auth/user/{bob.pk}/change/",
        {
            "username": "bob",
            "is_active": "on",
            "groups": [str(local.pk)],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "first_name": "Mallory",  # read-only: ignored
        },
        headers=ADMIN,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bob.refresh_from_db()
    assert sorted(bob.groups.values_list("name", flat=True)) == ["editors", "local"]
    assert bob.first_name == "Alice Liddell"


def test_a_local_user_stays_editable(client) -> None:
    carol = User.objects.create_user("carol", password="pw")
    page = change_page(client, carol)
    assert {"first_name", "email", "is_staff", "is_superuser", "groups"} <= inputs(page)
    assert NOTE not in page


def test_groups_are_read_only_when_the_proxy_owns_them_all(settings, client) -> None:
    settings.REMOTE_IDENTITY_MIRROR_GROUPS_EXCEPT = []
    Client().get("/whoami/", headers=authelia("bob", groups="editors"))
    page = change_page(client, User.objects.get(username="bob"))
    assert "groups" not in inputs(page)


def test_a_user_admin_of_its_own_takes_the_mixin() -> None:
    class SiteUserAdmin(ProxyOwnedFieldsMixin, UserAdmin):
        pass

    site = admin.AdminSite(name="other")
    site.register(User, SiteUserAdmin)
    assert add_to_user_admin(site) is True
    assert type(site._registry[User]) is SiteUserAdmin
