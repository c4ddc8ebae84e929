"""The example site (``example/``): its pages under the real WSGI entry point and ASGI.

The site has its own settings (``exampleproject.settings``) while the other Django tests
configure ``tests/django_settings.py`` in this process, so the site runs in a
subprocess: this file, run as a script, plays a fixed scenario once (``_scenario``) and
writes down what it observed; the tests below check the observations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example"
FRONT = "127.0.0.2"  # the trusted proxy in the scenario
STRANGER = "127.0.0.1"
LOGOUT_URL = "http://127.0.0.1:9091/logout"
SPOOFED = "spoofed-value-never-shown"


def _wire(text: str) -> str:
    """A header value as a WSGI server puts UTF-8 bytes in the environ (PEP 3333)."""
    return text.encode("utf-8").decode("latin-1")


def _headers(user: str, groups: str, name: str = "", email: str = "") -> dict[str, str]:
    values = {
        "Remote-User": user,
        "Remote-Groups": groups,
        "Remote-Name": name,
        "Remote-Email": email,
    }
    return {header: _wire(value) for header, value in values.items()}


def _observe(response: Any) -> dict[str, Any]:
    seen = {
        "status": response.status_int,
        "content_type": response.headers.get("Content-Type", ""),
        "location": response.headers.get("Location", ""),
        "text": response.body.decode("utf-8"),
    }
    if seen["content_type"].startswith("application/json"):
        seen["json"] = json.loads(response.body)
    return seen


def _wsgi_steps(seen: dict[str, Any]) -> None:
    from exampleproject.wsgi import application
    from webtest import TestApp

    def browser(peer: str) -> TestApp:
        return TestApp(application, extra_environ={"REMOTE_ADDR": peer, "HTTP_HOST": "127.0.0.1"})

    def get(app: TestApp, name: str, url: str, headers: dict[str, str] | None = None) -> None:
        seen[name] = _observe(app.get(url, headers=headers or {}, expect_errors=True))

    seen["wsgi_application"] = f"{type(application).__module__}.{type(application).__name__}"
    stranger = browser(STRANGER)
    get(stranger, "anonymous_home", "/")
    spoof = {"Remote-User": "alice", "Remote-Groups": "admins", "Remote-Name": SPOOFED}
    get(stranger, "spoofed_json", "/whoami.json", spoof)
    get(stranger, "spoofed_html", "/", spoof)

    jorn = browser(FRONT)
    jorn_headers = _headers("jorn", "editors,Ünïcode Group", "Jörn Müller", "jorn@example.com")
    get(jorn, "jorn_json", "/whoami.json", jorn_headers)
    get(jorn, "jorn_html", "/", jorn_headers)
    get(jorn, "jorn_public", "/public/", jorn_headers)

    mallory = browser(FRONT)
    get(mallory, "markup_html", "/", _headers("mallory", "<b>editors</b>", "<script>x</script>"))

    alice = browser(FRONT)
    alice_headers = _headers("alice", "admins,staff,editors", "Alice Admin", "alice@example.com")
    get(alice, "alice_json", "/whoami.json", alice_headers)
    get(alice, "alice_admins_only", "/admins-only/", alice_headers)
    get(alice, "alice_admin", "/admin/", alice_headers)
    get(alice, "alice_logout_get", "/logout/", alice_headers)
    page = alice.get("/", headers=alice_headers)
    logout = page.forms[0].submit(headers=alice_headers, expect_errors=True)
    seen["alice_logout"] = _observe(logout)
    get(alice, "after_logout", "/whoami.json")  # the proxy sends no user any more

    bob = browser(FRONT)
    get(bob, "bob_json", "/whoami.json", _headers("bob", "editors", "Bob Builder"))
    get(bob, "bob_admins_only", "/admins-only/", _headers("bob", "editors", "Bob Builder"))
    promoted = _headers("bob", "editors,staff", "Bob Builder")
    get(bob, "bob_promoted", "/whoami.json", promoted)
    get(bob, "bob_steady", "/whoami.json", promoted)
    get(bob, "bob_demoted", "/whoami.json", _headers("bob", "editors", "Bob Builder"))

    get(browser(FRONT), "invalid_identity", "/whoami.json", {"Remote-User": "alice,admin"})


def _asgi_steps(seen: dict[str, Any]) -> None:
    """The example's ASGI app: Django wrapped by the core's ASGI middleware, whose verdict
    (in the scope) the Django middleware adopts instead of judging the headers again."""
    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator
    from exampleproject.asgi import application

    async def get(peer: str, headers: dict[str, str]) -> dict[str, Any]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/whoami.json",
            "raw_path": b"/whoami.json",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")]
            + [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
            "client": (peer, 50000),
            "server": ("127.0.0.1", 8001),
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(10)
        body = await communicator.receive_output(10)
        await communicator.wait(10)
        return {"status": start["status"], "json": json.loads(body["body"])}

    spoof = {"Remote-User": "alice", "Remote-Groups": "admins"}
    seen["asgi_spoofed"] = async_to_sync(get)(STRANGER, spoof)
    seen["asgi_trusted"] = async_to_sync(get)(FRONT, _headers("carol", "", "Carol"))


def _scenario(out: Path) -> None:
    """Run in the subprocess: set Django up for the example and play every step."""
    import django
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    seen: dict[str, Any] = {}
    call_command("check", fail_level="WARNING")  # raises SystemCheckError otherwise
    seen["checks_pass"] = True
    _wsgi_steps(seen)
    _asgi_steps(seen)
    out.write_text(json.dumps(seen), encoding="utf-8")


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("example_site")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMPLE_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(EXAMPLE), str(ROOT)]),
        DJANGO_SETTINGS_MODULE="exampleproject.settings",
        EXAMPLE_DATABASE=f"sqlite:///{tmp / 'db.sqlite3'}",
        EXAMPLE_TRUSTED_PROXIES=FRONT,
        EXAMPLE_LOGOUT_URL=LOGOUT_URL,
        EXAMPLE_DEBUG="0",
    )
    command = [
        sys.executable,
        "-W",
        "error",
        "-W",
        "ignore:'cgi' is deprecated:DeprecationWarning",  # WebOb 1.8 on Python 3.12
        __file__,
        str(tmp / "seen.json"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads((tmp / "seen.json").read_text(encoding="utf-8"))
    return result


def test_system_checks_pass(seen: dict[str, Any]) -> None:
    assert seen["checks_pass"] is True


def test_wsgi_entry_point_is_wrapped_by_the_core(seen: dict[str, Any]) -> None:
    assert seen["wsgi_application"] == "remote_identity.wsgi.RemoteIdentityMiddleware"


def test_anonymous_visitor_is_told_not_signed_in(seen: dict[str, Any]) -> None:
    page = seen["anonymous_home"]
    assert page["status"] == 200
    assert "Not signed in." in page["text"]
    assert "not a trusted proxy" in page["text"]


def test_spoofed_headers_from_a_stranger_are_removed(seen: dict[str, Any]) -> None:
    info = seen["spoofed_json"]["json"]
    assert info["authenticated"] is False
    assert info["username"] is None
    assert info["peer"] == STRANGER
    verdict = info["verdict"]
    assert sorted(verdict.pop("stripped")) == ["Remote-Groups", "Remote-Name", "Remote-User"]
    assert verdict == {
        "outcome": "anonymous",
        "trusted": False,
        "reason": "untrusted_peer",
        "header": "Remote-User",
        "assertion_key": None,
    }
    assert info["meta"] == {"HTTP_REMOTE_USER": None, "HTTP_REMOTE_GROUPS": None}


def test_page_names_removed_headers_but_never_their_values(seen: dict[str, Any]) -> None:
    text = seen["spoofed_html"]["text"]
    assert "<code>untrusted_peer</code>" in text
    for header in ("Remote-User", "Remote-Groups", "Remote-Name"):
        assert f"<code>{header}</code>" in text
    assert SPOOFED not in text
    assert "alice" not in text


def test_utf8_name_groups_and_email_from_the_proxy(seen: dict[str, Any]) -> None:
    info = seen["jorn_json"]["json"]
    assert info["authenticated"] is True
    assert (info["username"], info["name"], info["email"]) == (
        "jorn",
        "Jörn Müller",
        "jorn@example.com",
    )
    assert info["groups"] == ["editors", "Ünïcode Group"]
    assert (info["is_staff"], info["is_superuser"]) == (False, False)
    assert info["last_sync_created"] is True
    assert "first_name" in info["last_sync_changed"]
    assert "groups+Ünïcode Group" in info["last_sync_changed"]
    assert len(info["fingerprint"]) >= 12
    assert info["verdict"]["trusted"] is True
    assert info["peer"] == FRONT
    # What the application still sees after the gate: the proxy's own header.
    assert info["meta"]["HTTP_REMOTE_USER"] == "jorn"


def test_html_page_is_utf8(seen: dict[str, Any]) -> None:
    page = seen["jorn_html"]
    assert page["content_type"] == "text/html; charset=utf-8"
    assert "<td>Jörn Müller</td>" in page["text"]
    assert "<code>Ünïcode Group</code>" in page["text"]
    assert seen["jorn_json"]["json"]["fingerprint"][:12] in page["text"]
    assert 'action="/logout/"' in page["text"]
    assert 'name="csrfmiddlewaretoken"' in page["text"]


def test_public_page_shows_the_same(seen: dict[str, Any]) -> None:
    page = seen["jorn_public"]
    assert page["status"] == 200
    assert "<h1>Public page</h1>" in page["text"]
    assert "<td>Jörn Müller</td>" in page["text"]


def test_proxy_values_are_escaped(seen: dict[str, Any]) -> None:
    text = seen["markup_html"]["text"]
    assert seen["markup_html"]["status"] == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in text
    assert "&lt;b&gt;editors&lt;/b&gt;" in text
    assert "<script>" not in text
    assert "<b>" not in text


def test_flags_follow_groups(seen: dict[str, Any]) -> None:
    alice = seen["alice_json"]["json"]
    assert alice["groups"] == ["admins", "editors", "staff"]
    assert (alice["is_staff"], alice["is_superuser"]) == (True, True)
    bob = seen["bob_json"]["json"]
    assert bob["groups"] == ["editors"]
    assert (bob["is_staff"], bob["is_superuser"]) == (False, False)


def test_admins_only_checks_the_group_too(seen: dict[str, Any]) -> None:
    assert seen["alice_admins_only"]["status"] == 200
    assert seen["bob_admins_only"]["status"] == 403
    assert "you are not in it" in seen["bob_admins_only"]["text"]


def test_admin_site_for_a_superuser(seen: dict[str, Any]) -> None:
    assert seen["alice_admin"]["status"] == 200
    assert "Site administration" in seen["alice_admin"]["text"]


def test_group_change_shows_on_the_next_request(seen: dict[str, Any]) -> None:
    promoted = seen["bob_promoted"]["json"]
    assert promoted["groups"] == ["editors", "staff"]
    assert promoted["is_staff"] is True
    assert promoted["last_sync_changed"] == ["groups+staff", "is_staff"]
    assert promoted["last_sync_created"] is False
    steady = seen["bob_steady"]["json"]
    assert steady["last_sync_at"] == promoted["last_sync_at"]
    assert steady["fingerprint"] == promoted["fingerprint"]
    demoted = seen["bob_demoted"]["json"]
    assert demoted["groups"] == ["editors"]
    assert demoted["is_staff"] is False
    assert demoted["last_sync_changed"] == ["groups-staff", "is_staff"]
    assert demoted["fingerprint"] != promoted["fingerprint"]


def test_logout_ends_the_proxy_session_too(seen: dict[str, Any]) -> None:
    assert seen["alice_logout_get"]["status"] == 405
    logout = seen["alice_logout"]
    assert logout["status"] == 302
    assert logout["location"] == f"{LOGOUT_URL}?rd=http%3A%2F%2F127.0.0.1%2F"
    after = seen["after_logout"]["json"]
    assert after["authenticated"] is False
    assert after["verdict"] == {
        "outcome": "anonymous",
        "trusted": True,
        "reason": None,
        "header": None,
        "stripped": [],
        "assertion_key": None,
    }


def test_invalid_identity_from_the_proxy_is_refused(seen: dict[str, Any]) -> None:
    refused = seen["invalid_identity"]
    assert refused["status"] == 400
    assert refused["text"].startswith("Identity refused: ")
    assert "alice,admin" not in refused["text"]


def test_asgi_applies_the_gate_in_django(seen: dict[str, Any]) -> None:
    spoofed = seen["asgi_spoofed"]
    assert spoofed["status"] == 200
    assert spoofed["json"]["authenticated"] is False
    assert spoofed["json"]["verdict"]["reason"] == "untrusted_peer"
    trusted = seen["asgi_trusted"]["json"]
    assert (trusted["username"], trusted["name"], trusted["email"]) == ("carol", "Carol", "")
    assert trusted["groups"] == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(None, {"ENGINE": "django.db.backends.sqlite3"}, id="default"),
        pytest.param(
            "postgresql://app@127.0.0.1:5433/example",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "example",
                "USER": "app",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": "5433",
                "OPTIONS": {},
            },
            id="postgresql",
        ),
        pytest.param(
            "postgres://a%40b:p%2Fw@db/x?sslmode=disable",
            {"USER": "a@b", "PASSWORD": "p/w", "HOST": "db", "PORT": "", "NAME": "x"},
            id="postgres-quoted",
        ),
        pytest.param(
            "sqlite:////tmp/x.sqlite3",
            {"ENGINE": "django.db.backends.sqlite3", "NAME": Path("/tmp/x.sqlite3")},
            id="sqlite-absolute",
        ),
    ],
)
def test_database_from_url(url: str | None, expected: dict[str, Any]) -> None:
    database = _envconfig().database_from_url(url, Path("/default.sqlite3"))
    assert {key: database[key] for key in expected} == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("mysql://u@h/db", id="other-engine"),
        pytest.param("postgresql://u@h/", id="no-name"),
        pytest.param("postgresql://u@h:port/db", id="bad-port"),
        pytest.param("sqlite://host/x", id="sqlite-host"),
    ],
)
def test_database_from_url_refuses(url: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        _envconfig().database_from_url(url, Path("/default.sqlite3"))


def test_env_helpers() -> None:
    envconfig = _envconfig()
    assert envconfig.env_list(" 127.0.0.2 , ,10.0.0.0/8", []) == ["127.0.0.2", "10.0.0.0/8"]
    assert envconfig.env_list(None, ["x"]) == ["x"]
    assert envconfig.env_flag("0", default=True) is False
    assert envconfig.env_flag(None, default=True) is True
    with pytest.raises(ValueError, match="yes/no"):
        envconfig.env_flag("maybe", default=True)


def _envconfig() -> Any:
    """``example/exampleproject/envconfig.py``, which imports nothing from Django."""
    import importlib.util

    path = EXAMPLE / "exampleproject" / "envconfig.py"
    spec = importlib.util.spec_from_file_location("example_envconfig", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    _scenario(Path(sys.argv[1]))
