"""The Flask example (example/flask_app.py), through Flask's test client and WebTest.

Header values are sent as they are on the wire: UTF-8 bytes, which the WSGI environ holds
as latin-1 "bytes-as-str" (PEP 3333).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import request
from flask.testing import FlaskClient
from webtest import TestApp

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from flask_app import create_app  # noqa: E402

PROXY = "10.0.5.2"
ATTACKER = "203.0.113.9"
# "Jörn Müller" as a WSGI server hands it over: each UTF-8 byte one latin-1 character.
JORN_ON_THE_WIRE = "Jörn Müller".encode().decode("latin-1")
JORN = {
    "Remote-User": "jorn",
    "Remote-Name": JORN_ON_THE_WIRE,
    "Remote-Email": "Jorn@Example.COM",
    "Remote-Groups": "editors,admins",
}


@pytest.fixture
def flask_client() -> FlaskClient:
    return create_app([PROXY]).test_client()


@pytest.fixture
def webtest_app() -> TestApp:
    return TestApp(create_app([PROXY]))


def environ(peer: str, headers: dict[str, str]) -> dict[str, Any]:
    """The WSGI environ entries for ``headers`` sent from ``peer``."""
    result: dict[str, Any] = {"REMOTE_ADDR": peer}
    for name, value in headers.items():
        result["HTTP_" + name.upper().replace("-", "_")] = value
    return result


# --- Flask's test client -------------------------------------------------------------


def test_flask_trusted_proxy_identity_is_shown(flask_client: FlaskClient) -> None:
    response = flask_client.get("/whoami", environ_base=environ(PROXY, JORN))
    assert response.status_code == 200
    assert response.json == {
        "signed_in": True,
        "username": "jorn",
        "name": "Jörn Müller",
        "email": "Jorn@example.com",
        "groups": ["editors", "admins"],
    }
    home = flask_client.get("/", environ_base=environ(PROXY, JORN))
    assert home.text == "Hello, Jörn Müller (jorn).\n"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        pytest.param(
            "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", id="tag"
        ),
        pytest.param('Bob "B" & Co', "Bob &#34;B&#34; &amp; Co", id="quote-and-ampersand"),
        pytest.param(
            "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", id="img"
        ),
    ],
)
def test_flask_home_page_escapes_the_display_name(
    flask_client: FlaskClient, name: str, shown: str
) -> None:
    headers = {"Remote-User": "bob", "Remote-Name": name}
    home = flask_client.get("/", environ_base=environ(PROXY, headers))
    assert home.status_code == 200
    assert home.mimetype == "text/html"
    assert home.text == f"Hello, {shown} (bob).\n"


def test_flask_spoofed_header_from_untrusted_peer_is_stripped(
    flask_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    spoofed = {"Remote-User": "admin", "Remote-Groups": "admins", "X-Forwarded-For": PROXY}
    with caplog.at_level(logging.WARNING, logger="remote_identity.security"):
        response = flask_client.get("/whoami", environ_base=environ(ATTACKER, spoofed))
    assert response.status_code == 200
    assert response.json == {"signed_in": False}
    [record] = caplog.records
    assert record.name == "remote_identity.security"
    assert record.__dict__["reason"] == "untrusted_peer"
    assert record.__dict__["peer"] == ATTACKER
    assert record.__dict__["headers"] == ("Remote-User", "Remote-Groups")


def test_flask_views_never_see_a_stripped_header() -> None:
    app = create_app([PROXY])

    @app.get("/raw")
    def raw() -> dict[str, Any]:
        return {"header": request.headers.get("Remote-User")}

    spoofed = environ(ATTACKER, {"Remote-User": "admin"})
    assert app.test_client().get("/raw", environ_base=spoofed).json == {"header": None}
    trusted = environ(PROXY, {"Remote-User": "alice"})
    assert app.test_client().get("/raw", environ_base=trusted).json == {"header": "alice"}


def test_flask_invalid_identity_from_trusted_proxy_is_400(flask_client: FlaskClient) -> None:
    joined = {"Remote-User": "alice,admin"}  # two Remote-User headers, joined by the server
    response = flask_client.get("/whoami", environ_base=environ(PROXY, joined))
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert "multiple_values (Remote-User)" in response.text
    assert "admin" not in response.text.split("expected")[0]


@pytest.mark.parametrize(
    ("peer", "headers", "status"),
    [
        pytest.param(PROXY, JORN, 200, id="member"),
        pytest.param(PROXY, {**JORN, "Remote-Groups": "editors"}, 403, id="not-a-member"),
        pytest.param(PROXY, {}, 401, id="anonymous"),
        pytest.param(ATTACKER, JORN, 401, id="spoofed"),
    ],
)
def test_flask_group_required(
    flask_client: FlaskClient, peer: str, headers: dict[str, str], status: int
) -> None:
    response = flask_client.get("/admin", environ_base=environ(peer, headers))
    assert response.status_code == status


# --- WebTest -------------------------------------------------------------------------


def test_webtest_trusted_proxy_identity_is_shown(webtest_app: TestApp) -> None:
    response = webtest_app.get("/whoami", extra_environ=environ(PROXY, JORN))
    assert response.status_int == 200
    assert response.json["username"] == "jorn"
    assert response.json["name"] == "Jörn Müller"
    assert response.json["groups"] == ["editors", "admins"]


def test_webtest_spoofed_header_from_untrusted_peer_is_stripped(webtest_app: TestApp) -> None:
    spoofed = environ(ATTACKER, {"Remote-User": "admin"})
    assert webtest_app.get("/whoami", extra_environ=spoofed).json == {"signed_in": False}
    home = webtest_app.get("/", extra_environ=spoofed)
    assert home.text == "Hello, stranger. You are not signed in.\n"


def test_webtest_invalid_identity_from_trusted_proxy_is_400(webtest_app: TestApp) -> None:
    invalid = {"Remote-User": "jorn", "Remote-Name": "J\xf6rn"}  # latin-1, not UTF-8
    response = webtest_app.get("/whoami", extra_environ=environ(PROXY, invalid), status=400)
    assert response.content_type == "text/plain"
    assert response.text == (
        "Identity refused: not_utf8 (Remote-Name); expected UTF-8 encoded text.\n"
    )


def test_without_trusted_proxies_nobody_is_trusted() -> None:
    client = create_app().test_client()
    response = client.get("/whoami", environ_base=environ("127.0.0.1", JORN))
    assert response.json == {"signed_in": False}
