"""Tests of remote_identity.peer: the TCP peer of an environ, and when it cannot be known."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from remote_identity import IdentityGate
from remote_identity.peer import PROXY_FIX_ORIG, in_forwarded_for, peer_of, proxy_fix_layers
from remote_identity.wsgi import RemoteIdentityMiddleware


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({"REMOTE_ADDR": "10.0.0.1"}, ("10.0.0.1", False), id="remote-addr"),
        pytest.param({}, (None, False), id="missing"),
        pytest.param({"REMOTE_ADDR": b"10.0.0.1"}, (None, False), id="bytes"),
        pytest.param(
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.1"},
            ("10.0.0.1", False),
            id="no-proxy-fix-xff-ignored",
        ),
        pytest.param(
            {
                "REMOTE_ADDR": "198.51.100.7",
                PROXY_FIX_ORIG: {"REMOTE_ADDR": "10.0.0.1"},
                "HTTP_X_FORWARDED_FOR": "198.51.100.7",
            },
            ("10.0.0.1", False),
            id="one-layer",
        ),
        pytest.param(
            {
                "REMOTE_ADDR": "10.0.0.1",
                PROXY_FIX_ORIG: {"REMOTE_ADDR": "10.0.0.1"},
                "HTTP_X_FORWARDED_FOR": "10.0.0.1",
            },
            ("10.0.0.1", True),
            id="saved-peer-in-xff",
        ),
        pytest.param(
            {PROXY_FIX_ORIG: {"REMOTE_ADDR": None}, "HTTP_X_FORWARDED_FOR": "x"},
            (None, False),
            id="unix-socket",
        ),
        pytest.param(
            {"REMOTE_ADDR": "10.0.0.1", PROXY_FIX_ORIG: "junk"},
            ("10.0.0.1", False),
            id="orig-not-a-dict",
        ),
    ],
)
def test_peer_of(environ: dict[str, Any], expected: tuple[str | None, bool]) -> None:
    assert peer_of(environ) == expected


@pytest.mark.parametrize(
    ("address", "forwarded", "found"),
    [
        pytest.param("10.0.0.1", "10.0.0.1", True, id="only"),
        pytest.param("10.0.0.1", "198.51.100.7, 10.0.0.1", True, id="last"),
        pytest.param("10.0.0.1", "10.0.0.1,198.51.100.7", True, id="first"),
        pytest.param("10.0.0.1", ' "10.0.0.1" ', True, id="quoted"),
        pytest.param("10.0.0.1", '"10.0.0\\.1"', True, id="escaped"),
        pytest.param("10.0.0.1", "::ffff:10.0.0.1", True, id="mapped-in-xff"),
        pytest.param("::ffff:10.0.0.1", "10.0.0.1", True, id="mapped-peer"),
        pytest.param("2001:db8::1", "2001:DB8:0::1", True, id="ipv6-spellings"),
        pytest.param("unix-ish", "UNIX-ISH", True, id="not-an-address"),
        pytest.param("10.0.0.1", "10.0.0.10", False, id="prefix-of-another"),
        pytest.param("10.0.0.1", "198.51.100.7", False, id="absent"),
        pytest.param("10.0.0.1", "", False, id="empty"),
        pytest.param("10.0.0.1", None, False, id="missing"),
        pytest.param("10.0.0.1", b"10.0.0.1", False, id="bytes"),
    ],
)
def test_in_forwarded_for(address: str, forwarded: object, found: bool) -> None:
    assert in_forwarded_for(address, forwarded) is found


def _app(environ: Any, start_response: Any) -> list[bytes]:
    return []


def _is_gate(layer: object) -> bool:
    return isinstance(getattr(layer, "gate", None), IdentityGate)


class Wrapper:
    """A middleware that keeps its inner application as ``application`` (WhiteNoise)."""

    def __init__(self, application: Any) -> None:
        self.application = application


class Looping:
    def __init__(self) -> None:
        self.app = self


@pytest.mark.parametrize(
    ("stack", "layers"),
    [
        pytest.param(_app, 0, id="bare"),
        pytest.param(ProxyFix(_app), 1, id="one-around-the-app"),
        pytest.param(ProxyFix(ProxyFix(_app)), 2, id="two-around-the-app"),
        pytest.param(RemoteIdentityMiddleware(ProxyFix(_app)), 0, id="inside-the-gate"),
        pytest.param(ProxyFix(RemoteIdentityMiddleware(ProxyFix(_app))), 1, id="one-outside"),
        pytest.param(
            Wrapper(ProxyFix(Wrapper(ProxyFix(RemoteIdentityMiddleware(_app))))),
            2,
            id="through-other-middleware",
        ),
        pytest.param(Looping(), 0, id="a-loop-ends"),
    ],
)
def test_proxy_fix_layers(stack: object, layers: int) -> None:
    assert proxy_fix_layers(stack, _is_gate) == layers
