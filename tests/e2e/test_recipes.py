"""The recipe files themselves: the rules every recipe must keep, read from the files.

The other modules start the recipes and attack them; these checks name the rule a
broken edit violates (and cover Traefik's recipe, which cannot run here).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
import yaml

from .harness.recipes import (
    APPLICATION,
    AUTH_SERVICE,
    PROXY_LISTEN,
    RECIPES,
    SECRET_HEADER,
    SECRET_VALUE,
)

pytestmark = pytest.mark.e2e

IDENTITY = ("Remote-User", "Remote-Groups", "Remote-Name", "Remote-Email")
UNDERSCORED = tuple(header.replace("-", "_") for header in IDENTITY)
FILES = (
    "nginx.conf",
    "nginx-signed.conf",
    "Caddyfile",
    "haproxy.cfg",
    "haproxy-auth-request.lua",
    "traefik.yml",
)


def text(name: str) -> str:
    return (RECIPES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FILES)
def test_every_address_is_loopback(name: str) -> None:
    addresses = re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text(name))
    assert addresses
    assert all(ipaddress.ip_address(address).is_loopback for address in addresses)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("nginx.conf", (PROXY_LISTEN, AUTH_SERVICE, APPLICATION, "proxy_bind 127.0.0.2;")),
        ("nginx-signed.conf", (PROXY_LISTEN, AUTH_SERVICE, APPLICATION, "proxy_bind 127.0.0.2;")),
        ("Caddyfile", (PROXY_LISTEN, AUTH_SERVICE, APPLICATION)),
        ("haproxy.cfg", (PROXY_LISTEN, APPLICATION, "source 127.0.0.2")),
        ("haproxy-auth-request.lua", (AUTH_SERVICE,)),
        ("traefik.yml", (PROXY_LISTEN, AUTH_SERVICE, APPLICATION)),
    ],
)
def test_canonical_addresses(name: str, canonical: tuple[str, ...]) -> None:
    """The tests substitute exactly these; the header comment documents them."""
    assert all(literal in text(name) for literal in canonical)


@pytest.mark.parametrize("name", ["nginx.conf", "Caddyfile", "haproxy.cfg", "traefik.yml"])
def test_the_proxy_sends_the_shared_secret(name: str) -> None:
    assert SECRET_HEADER in text(name)
    assert SECRET_VALUE in text(name)


def nginx_locations(config: str) -> dict[str, str]:
    """``location`` argument -> the text of its block (nginx blocks nest no deeper here)."""
    blocks = {}
    for match in re.finditer(r"location\s+([^{]+?)\s*\{", config):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(config[end], 0)
            end += 1
        blocks[match.group(1)] = config[match.end() : end]
    return blocks


def test_nginx_sets_every_identity_header_in_every_application_location() -> None:
    """proxy_set_header is not inherited by a location that sets any of its own."""
    config = re.sub(r"#.*", "", text("nginx.conf"))
    assert re.search(r"underscores_in_headers\s+off;", config)
    application = {
        where: block
        for where, block in nginx_locations(config).items()
        if "proxy_pass http://django" in block
    }
    assert set(application) == {"/", "/healthz"}
    for where, block in application.items():
        for header in (*IDENTITY, SECRET_HEADER):
            assert re.search(rf"proxy_set_header\s+{header}\s", block), (where, header)


def test_nginx_signed_forwards_only_the_services_token_in_every_application_location() -> None:
    """The client's own X-Pomerium-Jwt-Assertion is replaced in every location that
    proxies to the application, and no unsigned identity header is forwarded."""
    config = re.sub(r"#.*", "", text("nginx-signed.conf"))
    assert re.search(r"underscores_in_headers\s+off;", config)
    locations = nginx_locations(config)
    application = {w: b for w, b in locations.items() if "proxy_pass http://django" in b}
    assert set(application) == {"/", "/healthz"}
    assert re.search(
        r"auth_request_set\s+\$identity_assertion\s+\$upstream_http_x_pomerium_jwt_assertion;",
        application["/"],
    )
    assert re.search(
        r"proxy_set_header\s+X-Pomerium-Jwt-Assertion\s+\$identity_assertion;", application["/"]
    )
    assert re.search(r'proxy_set_header\s+X-Pomerium-Jwt-Assertion\s+"";', application["/healthz"])
    for where, block in application.items():
        for header in IDENTITY:
            assert re.search(rf'proxy_set_header\s+{header}\s+"";', block), (where, header)
    assert "/.well-known/pomerium/jwks.json" in text("nginx-signed.conf")  # the app's key URL


def test_caddy_removes_both_spellings_before_forward_auth() -> None:
    config = re.sub(r"#.*", "", text("Caddyfile"))
    route = config[config.index("route {") :]
    auth = route.index("forward_auth")
    for header in (*IDENTITY, *UNDERSCORED, SECRET_HEADER):
        assert 0 <= route.index(f"request_header -{header}\n") < auth, header
    assert re.search(r"copy_headers " + " ".join(IDENTITY), route)


def test_haproxy_removes_every_spelling() -> None:
    config = text("haproxy.cfg")
    pattern = re.search(r"http-request del-header (\S+) -m reg", config)
    assert pattern
    regex = re.compile(pattern.group(1), re.IGNORECASE)
    assert all(regex.search(header) for header in (*IDENTITY, *UNDERSCORED))
    assert not regex.search("Remote-Addr")
    assert f"http-request del-header {SECRET_HEADER.lower()}" in config
    assert config.index("del-header") < config.index("lua.authelia_auth")


def test_traefik_removes_identity_headers_on_every_router() -> None:
    config: dict[str, Any] = yaml.safe_load(text("traefik.yml"))["http"]
    removed = config["middlewares"]["remove-identity-headers"]["headers"]["customRequestHeaders"]
    assert removed == dict.fromkeys((*IDENTITY, *UNDERSCORED, SECRET_HEADER), "")
    for router in config["routers"].values():
        assert router["middlewares"][0] == "remove-identity-headers"
        assert router["middlewares"][-1] == "identity-secret"
    auth = config["middlewares"]["authelia"]["forwardAuth"]
    assert auth["authResponseHeaders"] == list(IDENTITY)
    assert auth["trustForwardHeader"] is False
