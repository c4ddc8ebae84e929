"""The Django middleware behind ``remote_identity.wsgi``: the WSGI layer judges, Django
logs in (WebTest drives the real WSGI stack)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from webtest import TestApp

from remote_identity.wsgi import RemoteIdentityMiddleware as WSGIMiddleware
from remote_identity_django import conf
from remote_identity_django.conf import gate_options
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(settings, monkeypatch) -> TestApp:
    application = WSGIMiddleware(WSGIHandler(), **gate_options())
    # Django's own gate must not run: the WSGI layer already judged every request.
    monkeypatch.setattr(conf, "get_gate", lambda: pytest.fail("judged twice"))
    monkeypatch.setattr("remote_identity_django.middleware.get_gate", conf.get_gate)
    return TestApp(application, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def test_trusted_proxy_logs_in(app) -> None:
    assert app.get("/whoami/", headers=authelia("Jörn".encode().decode("latin-1"))).text == "Jörn"
    assert User.objects.get().username == "Jörn"
    assert app.get("/whoami/", headers=authelia("Jörn".encode().decode("latin-1"))).text == "Jörn"


def test_untrusted_peer_never_logs_in(app) -> None:
    response = app.get(
        "/whoami/", headers=authelia("admin"), extra_environ={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert response.text == "-"
    assert not User.objects.exists()


def test_invalid_identity_rejected_by_the_wsgi_layer(app) -> None:
    response = app.get("/whoami/", headers={"Remote-User": "a,b"}, status=400)
    assert "multiple_values" in response.text


def test_identity_gone_logs_out(app) -> None:
    assert app.get("/whoami/", headers=authelia()).text == "alice"
    assert app.get("/whoami/").text == "-"
