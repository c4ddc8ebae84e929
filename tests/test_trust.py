"""Tests of remote_identity.trust: which peers may speak for users."""

from __future__ import annotations

import doctest
import ipaddress
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import remote_identity.trust
from remote_identity import ConfigurationError, TrustedProxies
from remote_identity.trust import UNIX

PROXIES = TrustedProxies(["127.0.0.1", "10.1.0.0/16", "::1", "2001:db8::/32", "unix"])
IP_ONLY = TrustedProxies(["127.0.0.1", "10.1.0.0/16", "::1", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [
        pytest.param("127.0.0.1", True, id="ipv4-exact"),
        pytest.param("127.0.0.2", False, id="ipv4-neighbour"),
        pytest.param("10.1.0.0", True, id="cidr-first"),
        pytest.param("10.1.255.255", True, id="cidr-last"),
        pytest.param("10.2.0.1", False, id="cidr-outside"),
        pytest.param("::1", True, id="ipv6-exact"),
        pytest.param("::2", False, id="ipv6-neighbour"),
        pytest.param("2001:db8::5", True, id="ipv6-cidr"),
        pytest.param("2001:db9::5", False, id="ipv6-cidr-outside"),
        pytest.param("::ffff:127.0.0.1", True, id="ipv4-mapped-exact"),
        pytest.param("::ffff:10.1.2.3", True, id="ipv4-mapped-cidr"),
        pytest.param("::ffff:10.2.0.1", False, id="ipv4-mapped-outside"),
        pytest.param("::ffff:7f00:1", True, id="ipv4-mapped-hex"),
        pytest.param("fe80::1%eth0", False, id="ipv6-scoped"),
        pytest.param("", True, id="unix-empty"),
        pytest.param(None, True, id="unix-none"),
        pytest.param("/run/app.sock", True, id="unix-path"),
        pytest.param("unix:/run/app.sock", True, id="unix-prefixed"),
        pytest.param("localhost", False, id="host-name"),
        pytest.param("127.0.0.1:8000", False, id="with-port"),
        pytest.param(" 127.0.0.1", False, id="leading-space"),
        pytest.param("10.1.0.0/16", False, id="network-as-peer"),
        pytest.param("garbage", False, id="garbage"),
    ],
)
def test_is_trusted(peer: str | None, trusted: bool) -> None:
    assert PROXIES.is_trusted(peer) is trusted


@pytest.mark.parametrize(
    "peer",
    [
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("/run/app.sock", id="path"),
        pytest.param("unix:/run/app.sock", id="prefixed"),
    ],
)
def test_unix_peer_needs_unix_entry(peer: str | None) -> None:
    assert IP_ONLY.is_trusted(peer) is False
    assert TrustedProxies([UNIX]).is_trusted(peer) is True


@pytest.mark.parametrize(
    "peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "", None, "/run/app.sock", "0.0.0.0"]
)
def test_empty_trusts_nobody(peer: str | None) -> None:
    proxies = TrustedProxies()
    assert proxies.is_trusted(peer) is False
    assert TrustedProxies([]).is_trusted(peer) is False
    assert not proxies


@pytest.mark.parametrize(
    ("entries", "truthy"),
    [
        pytest.param([], False, id="empty"),
        pytest.param(["unix"], True, id="unix"),
        pytest.param(["10.0.0.1"], True, id="address"),
    ],
)
def test_bool(entries: list[str], truthy: bool) -> None:
    assert bool(TrustedProxies(entries)) is truthy


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        pytest.param(["0.0.0.0/0"], "trusts_everyone", id="ipv4-all"),
        pytest.param(["::/0"], "trusts_everyone", id="ipv6-all"),
        pytest.param(["10.0.0.1", "::/0"], "trusts_everyone", id="mixed"),
        pytest.param(["0.0.0.0/1", "128.0.0.0/1"], "trusts_everyone", id="ipv4-halves"),
        pytest.param(["::/1", "8000::/1"], "trusts_everyone", id="ipv6-halves"),
        pytest.param(["::ffff:0:0/96"], "trusts_everyone", id="whole-mapped-range"),
        pytest.param([f"{n}.0.0.0/8" for n in range(256)], "trusts_everyone", id="every-slash-8"),
        pytest.param(["10.0.0.0/7"], "too_wide", id="ipv4-slash-7"),
        pytest.param(["128.0.0.0/1"], "too_wide", id="ipv4-half"),
        pytest.param(["2001:db8::/31"], "too_wide", id="ipv6-slash-31"),
        pytest.param(["::/1"], "too_wide", id="ipv6-half"),
        pytest.param(["10.0.0.0/8", "11.0.0.0/8"], "too_wide", id="two-adjacent-slash-8"),
        pytest.param([f"{n}.0.0.0/8" for n in range(128)], "too_wide", id="half-in-slash-8s"),
        pytest.param(["::ffff:10.0.0.0/103"], "too_wide", id="mapped-slash-7"),
        pytest.param(["10.0.0.0/8"], None, id="ipv4-slash-8"),
        pytest.param(["10.0.0.0/8", "12.0.0.0/8"], None, id="two-apart-slash-8"),
        pytest.param(["2001:db8::/32"], None, id="ipv6-slash-32"),
        pytest.param(["10.0.0.0/9", "10.128.0.0/9"], None, id="two-halves-of-a-slash-8"),
        pytest.param(["0.0.0.0/8"], None, id="this-network-slash-8"),
    ],
)
def test_wide_trust_refused_at_construction(entries: list[str], reason: str | None) -> None:
    if reason is None:
        proxies = TrustedProxies(entries)
        assert not proxies.trusts_everyone
        return
    with pytest.raises(ConfigurationError) as info:
        TrustedProxies(entries)
    assert (info.value.option, info.value.reason) == ("trusted_proxies", reason)


@pytest.mark.parametrize(
    ("entries", "containers"),
    [
        pytest.param(["172.17.0.0/16"], ("172.17.0.0/16",), id="docker0"),
        pytest.param(["172.18.0.0/16"], ("172.18.0.0/16",), id="user-bridge"),
        pytest.param(["172.31.5.0/24"], ("172.31.5.0/24",), id="inside-a-pool"),
        pytest.param(["192.168.16.0/20"], ("192.168.16.0/20",), id="192-168-pool"),
        pytest.param(["10.0.0.0/24"], ("10.0.0.0/24",), id="swarm-overlay"),
        pytest.param(["fd00::/64"], ("fd00::/64",), id="ipv6-pool"),
        pytest.param(["172.16.0.0/12"], ("172.16.0.0/12",), id="covers-the-pools"),
        pytest.param(["172.18.0.2"], (), id="one-container-address"),
        pytest.param(["172.16.5.0/24"], (), id="outside-the-pools"),
        pytest.param(["127.0.0.1", "::1", "unix"], (), id="loopback"),
        pytest.param(["198.51.100.0/24", "2001:db8::/48"], (), id="public"),
    ],
)
def test_container_networks_are_accepted_and_listed(
    entries: list[str], containers: tuple[str, ...]
) -> None:
    assert TrustedProxies(entries).container_networks == containers


def test_zone_ids_are_refused_in_entries_and_never_trusted_in_peers() -> None:
    with pytest.raises(ConfigurationError, match="zone id") as info:
        TrustedProxies(["fe80::1%eth0"])
    assert (info.value.option, info.value.reason) == ("trusted_proxies", "zone_id")
    proxies = TrustedProxies(["fe80::/64", "fe80::1"])
    assert not proxies.is_trusted("fe80::1%eth0")
    assert not proxies.is_trusted("fe80::1%1")
    assert proxies.is_trusted("fe80::1")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        pytest.param(
            "10.0.0.1",
            r"not the string '10.0.0.1'; write \['10.0.0.1'\]",
            id="bare-string",
        ),
        pytest.param(
            "10.0.0.0/8, 127.0.0.1",
            r"not the string '10.0.0.0/8, 127.0.0.1'",
            id="comma-separated-string",
        ),
        pytest.param(b"10.0.0.1", r"not the string b'10.0.0.1'", id="bytes"),
        pytest.param(10, "not int", id="int"),
        pytest.param(None, "not NoneType", id="none"),
        pytest.param(
            ["10.0.0.1", 10], "trusted proxy 10 is a int; expected a string", id="int-entry"
        ),
        pytest.param(
            [b"10.0.0.1"], r"trusted proxy b'10.0.0.1' is a bytes; expected", id="bytes-entry"
        ),
        pytest.param(
            [ipaddress.ip_network("10.0.0.0/8")],
            r"trusted proxy IPv4Network\('10.0.0.0/8'\) is a IPv4Network",
            id="network-object",
        ),
        pytest.param(["10.0.0.256"], "trusted proxy '10.0.0.256' is not an IP address", id="octet"),
        pytest.param(["localhost"], "trusted proxy 'localhost' is not", id="host-name"),
        pytest.param([""], "trusted proxy '' is not", id="empty-entry"),
        pytest.param(
            ["10.0.0.1/8"], "trusted proxy '10.0.0.1/8' .* has host bits set", id="host-bits"
        ),
        pytest.param(
            ["2001:db8::1/32"], "'2001:db8::1/32' .* has host bits set", id="v6-host-bits"
        ),
        pytest.param(["10.0.0.0/33"], "trusted proxy '10.0.0.0/33' is not", id="prefix-too-long"),
        pytest.param(["*"], r"trusted proxy '\*' is not", id="wildcard"),
        pytest.param(["unix:/run/app.sock"], "trusted proxy 'unix:/run/app.sock'", id="unix-path"),
        pytest.param(["fe80::%eth0/64"], "'fe80::%eth0/64' has an IPv6 zone id", id="zone-net"),
        pytest.param(["127.0.0.1", "10.0.0.0/8 "], None, id="trailing-space-is-fine"),
    ],
)
def test_construction_errors(entries: Any, message: str | None) -> None:
    if message is None:
        assert TrustedProxies(entries).is_trusted("10.9.9.9")
        return
    with pytest.raises(ConfigurationError, match=message) as info:
        TrustedProxies(entries)
    assert info.value.option == "trusted_proxies"
    assert info.value.reason in ("not_a_list", "not_a_string", "malformed", "zone_id")


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(("10.0.0.1", "unix"), id="tuple"),
        pytest.param(iter(["10.0.0.1", "unix"]), id="iterator"),
        pytest.param((e for e in ["10.0.0.1", "unix"]), id="generator"),
        pytest.param({"10.0.0.1": 1, "unix": 2}, id="dict-keys"),
    ],
)
def test_any_iterable_of_strings(entries: Any) -> None:
    proxies = TrustedProxies(entries)
    assert proxies.entries == ("10.0.0.1", "unix")
    assert proxies.is_trusted("10.0.0.1")
    assert proxies.is_trusted("")


def test_entries_are_stripped_and_unix_is_case_insensitive() -> None:
    proxies = TrustedProxies([" 10.0.0.1 ", "\tUNIX\n"])
    assert proxies.entries == ("10.0.0.1", "UNIX")
    assert proxies.is_trusted("10.0.0.1")
    assert proxies.is_trusted(None)
    assert repr(proxies) == "TrustedProxies(['10.0.0.1', 'UNIX'])"


def test_slots() -> None:
    proxies = TrustedProxies(["10.0.0.1"])
    with pytest.raises(AttributeError):
        proxies.extra = 1  # type: ignore[attr-defined]


def test_decision_is_cached() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.is_trusted("10.0.0.1") is True
    assert proxies.is_trusted("192.0.2.1") is False
    assert proxies._cache == {"10.0.0.1": True, "192.0.2.1": False}
    assert proxies.is_trusted("10.0.0.1") is True
    assert len(proxies._cache) == 2


def test_cache_is_bounded() -> None:
    size = remote_identity.trust._CACHE_SIZE
    proxies = TrustedProxies(["10.0.0.0/8"])
    peers = [str(ipaddress.IPv4Address("10.0.0.0") + n) for n in range(size)]
    for peer in peers:
        assert proxies.is_trusted(peer)
    assert len(proxies._cache) == size
    assert proxies.is_trusted("192.0.2.1") is False  # one more: the cache starts over
    assert proxies._cache == {"192.0.2.1": False}
    assert proxies.is_trusted(peers[0]) is True  # still decided correctly after clearing
    assert len(proxies._cache) == 2


def test_cache_cannot_be_poisoned_by_many_peers() -> None:
    proxies = TrustedProxies(["10.0.0.1"])
    size = remote_identity.trust._CACHE_SIZE
    for n in range(size * 2 + 3):
        assert proxies.is_trusted(f"192.0.2.{n % 256}-{n}") is False
        assert len(proxies._cache) <= size
    assert proxies.is_trusted("10.0.0.1") is True


def test_docstring_examples() -> None:
    result = doctest.testmod(remote_identity.trust)
    assert result.attempted >= 2
    assert result.failed == 0


@pytest.mark.parametrize(
    ("entry", "peer", "trusted"),
    [
        pytest.param("::ffff:10.0.0.1", "10.0.0.1", True, id="mapped-entry-ipv4-peer"),
        pytest.param("::ffff:10.0.0.1", "::ffff:10.0.0.1", True, id="mapped-entry-mapped-peer"),
        pytest.param("::ffff:10.0.0.0/120", "10.0.0.77", True, id="mapped-network"),
        pytest.param("::ffff:10.0.0.0/120", "10.0.1.1", False, id="mapped-network-outside"),
        pytest.param("::ffff:10.0.0.1", "::1", False, id="mapped-entry-other-ipv6"),
    ],
)
def test_ipv4_mapped_entries_match_like_their_ipv4_form(
    entry: str, peer: str, trusted: bool
) -> None:
    assert TrustedProxies([entry]).is_trusted(peer) is trusted


def _reference(entries: list[str], peer: str) -> bool:
    """The decision made with ipaddress alone, as the docstring states it."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if "%" in peer:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = [ipaddress.ip_network(entry) for entry in entries]
    unmapped = [remote_identity.trust._unmapped(network) for network in networks]
    return any(address in network for network in unmapped)


ENTRIES = ["10.1.0.0/16", "192.0.2.7", "2001:db8::/48", "::1", "::ffff:198.51.100.0/120"]
peers = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}"),
    st.text(alphabet="0123456789abcdefABCDEF.:%x ", max_size=40),
    st.sampled_from(["10.1.2.3", "010.1.2.3", "10.1.2", "1.2.3.4.5", "::ffff:10.1.2.3", "::1%lo"]),
)


@settings(max_examples=500, deadline=None)
@given(peers)
def test_decision_matches_ipaddress(peer: str) -> None:
    proxies = TrustedProxies(ENTRIES)
    assert proxies.is_trusted(peer) is _reference(ENTRIES, peer)
