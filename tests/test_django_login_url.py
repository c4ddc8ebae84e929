"""The guide ``docs/login-url.md``, followed: the proxy protects one login URL and
``PersistentRemoteIdentityMiddleware`` keeps the session everywhere else.

The configuration is ``tests/djangoapp/login_url.py`` (the guide shows that module).
Django's test client plays the browser; from its address (``127.0.0.1``, the trusted
proxy of the test settings) the identity headers are the proxy's, from ``203.0.113.9``
a stranger's.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

STRANGER = "203.0.113.9"


@pytest.fixture(autouse=True)
def login_url_site(settings) -> None:
    settings.ROOT_URLCONF = "tests.djangoapp.login_url"
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware",
    ]
    settings.LOGIN_URL = "/accounts/login/"
    settings.LOGIN_REDIRECT_URL = "/"
    settings.REMOTE_IDENTITY_LOGOUT_URL = "https://auth.example.com/logout"


def test_the_user_signs_in_at_the_login_url_and_stays_signed_in() -> None:
    client = Client()
    # 1. A page that needs a user sends an anonymous browser to LOGIN_URL.
    response = client.get("/private/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/private/"
    # 2. The proxy protects LOGIN_URL: it signs the user in and sends the identity.
    response = client.get("/accounts/login/?next=/private/", headers=authelia("alice"))
    assert response.status_code == 302
    assert response["Location"] == "/private/"
    # 3. Everywhere else the proxy sends no identity: the session carries the user.
    for _ in range(2):
        response = client.get("/private/")
        assert response.status_code == 200
        assert response.content == b"alice"
    assert User.objects.get(username="alice").email == "alice@example.com"


def test_a_group_change_is_synced_at_the_next_visit_of_the_login_url() -> None:
    Group.objects.bulk_create([Group(name="editors"), Group(name="staff")])
    client = Client()

    def groups() -> set[str]:
        return set(User.objects.get(username="alice").groups.values_list("name", flat=True))

    client.get("/accounts/login/", headers=authelia("alice", groups="editors"))
    assert groups() == {"editors"}
    # The directory adds alice to "staff"; pages without identity cannot know it.
    assert client.get("/private/").content == b"alice"
    assert groups() == {"editors"}
    client.get("/accounts/login/", headers=authelia("alice", groups="editors,staff"))
    assert groups() == {"editors", "staff"}


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        pytest.param("/private/?tab=1", "/private/?tab=1", id="same-site"),
        pytest.param("https://evil.example/", "/", id="other-site"),
        pytest.param("//evil.example/", "/", id="scheme-relative"),
        pytest.param("", "/", id="none"),
    ],
)
def test_the_login_url_redirects_only_inside_the_site(next_url: str, location: str) -> None:
    response = Client().get(
        "/accounts/login/", {"next": next_url} if next_url else {}, headers=authelia("alice")
    )
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        pytest.param("127.0.0.1", {}, id="proxy-sent-no-identity"),
        pytest.param(STRANGER, authelia("alice"), id="stranger-sent-identity"),
    ],
)
def test_the_login_url_without_the_proxys_identity_is_refused(
    peer: str, headers: dict[str, str]
) -> None:
    client = Client(REMOTE_ADDR=peer)
    response = client.get("/accounts/login/?next=/private/", headers=headers)
    assert response.status_code == 403
    assert b"the proxy sent no identity" in response.content
    assert client.get("/private/").status_code == 302  # still anonymous
    assert not User.objects.filter(username="alice").exists()


def test_logout_ends_the_session_and_goes_to_the_proxys_logout() -> None:
    client = Client()
    client.get("/accounts/login/", headers=authelia("alice"))
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert response["Location"] == "https://auth.example.com/logout?rd=http%3A%2F%2Ftestserver%2F"
    assert client.get("/private/").status_code == 302
