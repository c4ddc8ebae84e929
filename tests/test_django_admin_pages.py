"""The admin's login and logout pages behind the proxy (``admin_pages``)."""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.contrib.auth.models import User
from django.test import Client

from remote_identity_django import admin_pages
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

PROXY_LOGOUT = "https://auth.example.com/logout"
STAFF = authelia(groups="staff")
NOT_STAFF = authelia(groups="editors")


@pytest.fixture(autouse=True)
def flags(settings: Any) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["staff"]}
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True


def admin_logout(settings: Any, **post: Any) -> Any:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/admin/", headers=STAFF).status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post("/admin/logout/", {"csrfmiddlewaretoken": token, **post}, headers=STAFF)
    return client, response


@pytest.mark.parametrize(
    ("redirect_url", "post", "back"),
    [
        pytest.param(None, {}, "http%3A%2F%2Ftestserver%2Fadmin%2F", id="back-to-the-admin"),
        pytest.param("/bye/", {}, "http%3A%2F%2Ftestserver%2Fbye%2F", id="logout-redirect-url"),
        pytest.param(None, {"next": "/whoami/"}, "http%3A%2F%2Ftestserver%2Fwhoami%2F", id="next"),
    ],
)
def test_admin_logout_ends_the_proxy_session_too(settings, redirect_url, post, back) -> None:
    settings.REMOTE_IDENTITY_LOGOUT_URL = PROXY_LOGOUT
    settings.LOGOUT_REDIRECT_URL = redirect_url
    client, response = admin_logout(settings, **post)
    assert response.status_code == 302
    assert response["Location"] == f"{PROXY_LOGOUT}?rd={back}"
    assert "no-store" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session


def test_admin_logout_without_a_proxy_logout_url_is_djangos(settings) -> None:
    client, response = admin_logout(settings)
    assert response.status_code == 200
    assert b"Logged out" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("method", "token", "status"),
    [
        pytest.param(
            "get",
            True,
            405,
            id="get",
            marks=pytest.mark.skipif(
                django.VERSION < (5, 0), reason="Django 4.2's logout accepts GET, deprecated"
            ),
        ),
        pytest.param("post", False, 403, id="no-csrf-token"),
    ],
)
def test_admin_logout_keeps_djangos_rules(settings, method, token, status) -> None:
    settings.REMOTE_IDENTITY_LOGOUT_URL = PROXY_LOGOUT
    client = Client(enforce_csrf_checks=True)
    assert client.get("/admin/", headers=STAFF).status_code == 200
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value} if token else {}
    response = getattr(client, method)("/admin/logout/", data, headers=STAFF)
    assert response.status_code == status
    assert "_auth_user_id" in client.session  # still signed in


def test_a_non_staff_post_to_the_admin_logout_is_no_logout(settings) -> None:
    # A non-staff user cannot reach the admin's logout (the admin sends them to its index),
    # so it is not a logout: nothing replaced.
    settings.REMOTE_IDENTITY_LOGOUT_URL = PROXY_LOGOUT
    client = Client()
    response = client.post("/admin/logout/", headers=NOT_STAFF)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("setup", "overrides", "headers", "reason"),
    [
        pytest.param("", {}, NOT_STAFF, "not a staff account", id="not-staff"),
        pytest.param("inactive", {}, STAFF, "inactive", id="inactive"),
        pytest.param(
            "",
            {"REMOTE_IDENTITY_CREATE_UNKNOWN_USER": False},
            STAFF,
            "no account for you here",
            id="no-account",
        ),
        pytest.param(
            "local",
            {"REMOTE_IDENTITY_LOCAL_USERS": "refuse"},
            STAFF,
            "password of its own",
            id="local-account",
        ),
        pytest.param(
            "",
            {"REMOTE_IDENTITY_IDENTIFY_BY": "email"},
            authelia(email=None, groups="staff"),
            "no e-mail address",
            id="no-email",
        ),
        pytest.param(
            "",
            {"REMOTE_IDENTITY_IDENTIFY_BY": "email"},
            authelia(email="a" * 139 + "@example.com", groups="staff"),
            "longer than the names of accounts here",
            id="username-too-long",
        ),
    ],
)
def test_a_user_the_admin_refuses_is_told_why(settings, setup, overrides, headers, reason):
    settings.REMOTE_IDENTITY_LOGOUT_URL = PROXY_LOGOUT
    for name, value in overrides.items():
        setattr(settings, name, value)
    if setup == "inactive":
        User.objects.create(username="alice", is_active=False)
    elif setup == "local":
        User.objects.create_user("alice", password="pw")
    client = Client()
    response = client.get("/admin/", headers=headers, follow=True)
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert response.status_code == 403
    text = response.content.decode()
    assert "signed you in as <strong>alice</strong>" in text
    assert reason in text
    assert 'name="password"' not in text  # no password form
    assert f'href="{PROXY_LOGOUT}?rd=http%3A%2F%2Ftestserver%2Fadmin%2F"' in text
    assert "no-cache" in response["Cache-Control"]
    # A password posted anyway gets the same page.
    posted = client.post("/admin/login/", {"username": "x", "password": "y"}, headers=headers)
    assert posted.status_code == 403
    assert reason in posted.content.decode()


def test_without_a_proxy_logout_url_the_page_says_where_to_sign_out(settings) -> None:
    response = Client().get("/admin/login/", headers=NOT_STAFF)
    assert response.status_code == 403
    assert "Sign out at your sign-in portal" in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "status", "form"),
    [
        pytest.param(STAFF, 302, False, id="staff-goes-to-the-index"),
        pytest.param({}, 200, True, id="no-identity-keeps-the-password-form"),
    ],
)
def test_the_login_page_is_djangos_otherwise(headers, status, form) -> None:
    response = Client().get("/admin/login/", headers=headers)
    assert response.status_code == status
    assert ('name="password"' in response.content.decode()) is form


def test_without_the_template_the_page_is_plain_text(monkeypatch) -> None:
    monkeypatch.setattr(admin_pages, "TEMPLATE", "no/such/template.html")
    response = Client().get("/admin/login/", headers=NOT_STAFF)
    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "Signed in by the proxy as alice. Your account is not a staff account: the "
        "administration is for staff only.\n"
    )


def test_other_pages_are_untouched(settings) -> None:
    assert Client().get("/whoami/", headers=NOT_STAFF).content == b"alice"
    assert Client().get("/auth/logout/").status_code == 405
