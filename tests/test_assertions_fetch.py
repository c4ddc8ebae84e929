"""Tests of remote_identity.assertions.fetch: the pinned URL, its limits, and Cache-Control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from remote_identity import ConfigurationError
from remote_identity.assertions.fetch import (
    FetchError,
    check_url,
    fetch_url,
    max_age,
    read_file,
)
from tests.assertion_support.keyserver import KeyServer


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as keys:
        yield keys


@pytest.mark.parametrize(
    "url",
    [
        "https://keys.example/jwks",
        "https://keys.example:8443/a/b?x=1",
        "http://127.0.0.1:8080/jwks",
        "http://127.1.2.3/jwks",
        "http://localhost/jwks",
        "http://[::1]:9000/jwks",
    ],
)
def test_check_url_accepts(url: str) -> None:
    assert check_url(url, "jwks_url") == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(None, "must be a URL string", id="none"),
        pytest.param("", "must be a URL string", id="empty"),
        pytest.param("http://10.0.0.1/jwks", "must use https://", id="http-private"),
        pytest.param("http://keys.example/jwks", "must use https://", id="http-public"),
        pytest.param("file:///etc/passwd", "must be an https:// URL", id="file"),
        pytest.param("keys.example/jwks", "must be an https:// URL", id="no-scheme"),
        pytest.param("https://[::1/jwks", "is not a valid URL", id="bad-ipv6"),
        pytest.param("https://a:b@keys.example/", "credentials", id="credentials"),
        pytest.param("https://keys.example/#top", "fragment", id="fragment"),
    ],
)
def test_check_url_refuses(url: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_url(url, "jwks_url")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("max-age=60", 60.0, id="max-age"),
        pytest.param("public, max-age=3600, must-revalidate", 3600.0, id="list"),
        pytest.param('MAX-AGE="30"', 30.0, id="quoted-upper"),
        pytest.param("s-maxage=10", None, id="s-maxage"),
        pytest.param("max-age=abc", None, id="not-a-number"),
        pytest.param("no-store", 0.0, id="no-store"),
        pytest.param("max-age=600, no-cache", 0.0, id="no-cache"),
        pytest.param("private", None, id="private"),
    ],
)
def test_max_age(value: str | None, seconds: float | None) -> None:
    assert max_age(value) == seconds


def test_fetch(server: KeyServer) -> None:
    server.serve("/doc", b"x" * 200_000, headers={"Cache-Control": "max-age=5"})
    fetched = fetch_url(server.url("/doc"), 1.0)
    assert (len(fetched.body), fetched.max_age) == (200_000, 5.0)


def test_fetch_refuses_large_documents(server: KeyServer) -> None:
    server.serve("/doc", b"x" * 5000)
    with pytest.raises(FetchError, match="larger than 4096 bytes"):
        fetch_url(server.url("/doc"), 1.0, max_bytes=4096)


def test_fetch_errors_carry_the_status(server: KeyServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as info:
        fetch_url(server.url("/missing"), 1.0)
    assert info.value.status == 404


def test_fetch_never_follows_a_redirect(server: KeyServer) -> None:
    server.serve("/doc", b"", status=301, headers={"Location": server.url("/other")})
    server.serve("/other", b"{}")
    with pytest.raises(FetchError, match="HTTP 301"):
        fetch_url(server.url("/doc"), 1.0)
    assert server.count("/other") == 0


def test_read_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_bytes(b"{}")
    assert read_file(path).body == b"{}"
    assert read_file(path).max_age is None
    path.write_bytes(b"x" * 11)
    with pytest.raises(FetchError, match="larger than 10 bytes"):
        read_file(path, max_bytes=10)
    with pytest.raises(FetchError, match="FileNotFoundError"):
        read_file(tmp_path / "missing")
