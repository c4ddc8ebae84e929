"""``TrustedProxies``: which peers may speak for users."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from socket import AF_INET, AF_INET6, inet_pton

from .errors import ConfigurationError

__all__ = ["UNIX", "TrustedProxies"]

#: The entry that trusts peers on a Unix-domain socket (no IP address).
UNIX = "unix"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Decisions are cached per peer string. A server only ever presents a bounded set of peers
# that matter; an attacker cycling source addresses can at worst make us clear the cache.
_CACHE_SIZE = 4096


# Docker's default address pools (libnetwork's ipamutils): bridge networks are cut from
# 172.17.0.0/16 to 172.31.0.0/16 and from 192.168.0.0/16, swarm overlays from 10.0.0.0/8,
# IPv6 bridge networks from fd00::/48. Trusting a network there trusts every container on it.
CONTAINER_POOLS: tuple[_Network, ...] = (
    ipaddress.IPv4Network("172.17.0.0/16"),
    ipaddress.IPv4Network("172.18.0.0/15"),
    ipaddress.IPv4Network("172.20.0.0/14"),
    ipaddress.IPv4Network("172.24.0.0/13"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv6Network("fd00::/48"),
)

#: The widest network an entry may be, per IP version: a proxy is a few machines, and a
#: network wider than this is a whole provider's, or a typing mistake.
WIDEST_PREFIX = {4: 8, 6: 32}


class TrustedProxies:
    """The set of peers whose identity headers are believed.

    Built from IP addresses, CIDR networks (IPv4 and IPv6) and the word ``"unix"`` for a
    peer on a Unix-domain socket. An empty set trusts nobody. These raise
    :class:`~remote_identity.errors.ConfigurationError` here, at construction, never at
    request time (its ``reason`` in brackets):

    - a bare string instead of a list (``not_a_list``), an entry that is not a string
      (``not_a_string``);
    - a malformed entry or a network with host bits set, ``10.0.0.1/8`` (``malformed``);
    - an IPv6 zone id, ``fe80::1%eth0`` (``zone_id``): a zone names an interface of this
      host, not a peer, and a link-local address is not unique across interfaces;
    - entries that together cover every IPv4 or every IPv6 address, ``0.0.0.0/0`` or
      ``0.0.0.0/1`` with ``128.0.0.0/1`` (``trusts_everyone``);
    - a network wider than /8 (IPv4) or /32 (IPv6), alone or merged from adjacent
      entries (``too_wide``).

    Networks inside Docker's default address pools are accepted, and listed by
    :attr:`container_networks` so that a check can warn that every container on them is
    trusted.

    >>> proxies = TrustedProxies(["127.0.0.2", "10.1.0.0/16", "::1"])
    >>> proxies.is_trusted("10.1.2.3"), proxies.is_trusted("::ffff:10.1.2.3")
    (True, True)
    >>> proxies.is_trusted("10.2.0.1")
    False
    """

    __slots__ = ("_cache", "_networks", "_ranges_v4", "_ranges_v6", "_unix", "entries")

    entries: tuple[str, ...]
    _networks: tuple[_Network, ...]
    _ranges_v4: tuple[tuple[int, int], ...]
    _ranges_v6: tuple[tuple[int, int], ...]
    _unix: bool
    _cache: dict[str | None, bool]

    def __init__(self, entries: Iterable[str] = ()) -> None:
        if isinstance(entries, (str, bytes)):
            raise _error(
                f"trusted proxies must be a list of addresses, not the string {entries!r}; "
                f"write [{entries!r}]",
                "not_a_list",
            )
        try:
            items = list(entries)
        except TypeError:
            raise _error(
                f"trusted proxies must be a list of addresses, not {type(entries).__name__}",
                "not_a_list",
            ) from None
        networks: list[_Network] = []
        unix = False
        for entry in items:
            if not isinstance(entry, str):
                raise _error(
                    f"trusted proxy {entry!r} is a {type(entry).__name__}; expected a string",
                    "not_a_string",
                )
            text = entry.strip()
            if text.lower() == UNIX:
                unix = True
                continue
            if "%" in text:
                raise _error(
                    f"trusted proxy {entry!r} has an IPv6 zone id: a zone names an interface "
                    "of this host, not a peer; list a global or unique-local address",
                    "zone_id",
                )
            try:
                network = ipaddress.ip_network(text, strict=True)
            except ValueError as exc:
                raise _error(
                    f"trusted proxy {entry!r} is not an IP address, a CIDR network or "
                    f"{UNIX!r}: {exc}",
                    "malformed",
                ) from None
            networks.append(_unmapped(network))
        _check_width(networks)
        self.entries = tuple(entry.strip() for entry in items)
        self._networks = tuple(networks)
        self._ranges_v4 = _ranges(networks, 4)
        self._ranges_v6 = _ranges(networks, 6)
        self._unix = unix
        self._cache = {}

    def __repr__(self) -> str:
        return f"TrustedProxies({list(self.entries)!r})"

    def __bool__(self) -> bool:
        return bool(self._networks) or self._unix

    @property
    def trusts_everyone(self) -> bool:
        """Whether the entries cover every address; never, since such entries are refused
        at construction (kept for code that asked before they were)."""
        return any(network.prefixlen == 0 for network in self._networks)

    @property
    def container_networks(self) -> tuple[str, ...]:
        """The entries that are networks (not single addresses) overlapping Docker's default
        address pools: every container on such a network is trusted."""
        return tuple(
            str(network)
            for network in self._networks
            if network.num_addresses > 1
            and any(
                network.version == pool.version and network.overlaps(pool)
                for pool in CONTAINER_POOLS
            )
        )

    def is_trusted(self, remote_addr: str | None) -> bool:
        """Whether the peer ``remote_addr`` (a WSGI ``REMOTE_ADDR``) may speak for users.

        IPv4-mapped IPv6 peers (``::ffff:10.0.0.1``) match IPv4 entries. A peer with no
        address, an empty one or a socket path (``/run/app.sock``, ``unix:...``) matches
        only the ``"unix"`` entry. Anything else that is not an IP address is untrusted.
        """
        cache = self._cache
        try:
            return cache[remote_addr]
        except KeyError:
            pass
        decision = self._decide(remote_addr)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[remote_addr] = decision
        return decision

    def _decide(self, remote_addr: str | None) -> bool:
        if not remote_addr or remote_addr.startswith(("/", "unix:")):
            return self._unix
        # inet_pton is strict (four decimal octets without leading zeros, or IPv6 without a
        # zone id: a link-local peer is the same address on every link) and, unlike
        # ipaddress, cheap: a client cycling source addresses makes every peer a miss.
        try:
            packed = inet_pton(AF_INET, remote_addr)
            ranges = self._ranges_v4
        except (OSError, ValueError):
            try:
                packed = inet_pton(AF_INET6, remote_addr)
            except (OSError, ValueError):
                return False
            ranges = self._ranges_v6
        value = int.from_bytes(packed, "big")
        if len(packed) == 16 and value >> 32 == _MAPPED_PREFIX:
            value &= 0xFFFFFFFF  # IPv4-mapped: judged as the IPv4 address it carries
            ranges = self._ranges_v4
        return any(value & mask == network for network, mask in ranges)


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_MAPPED_PREFIX = 0xFFFF  # the 96 bits above an IPv4-mapped address: ::ffff:0:0/96


def _ranges(networks: list[_Network], version: int) -> tuple[tuple[int, int], ...]:
    """``(network address, netmask)`` of each network of ``version``, as integers."""
    return tuple(
        (int(network.network_address), int(network.netmask))
        for network in networks
        if network.version == version
    )


def _error(message: str, reason: str) -> ConfigurationError:
    return ConfigurationError(message, option="trusted_proxies", reason=reason)


def _check_width(networks: list[_Network]) -> None:
    """Refuse entries that trust everyone, or a network wider than :data:`WIDEST_PREFIX`.

    Adjacent entries are merged first, so ``0.0.0.0/1`` + ``128.0.0.0/1`` is everyone and
    two /9 networks are one /8.
    """
    for version, widest in WIDEST_PREFIX.items():
        same = [network for network in networks if network.version == version]
        for network in ipaddress.collapse_addresses(same):  # type: ignore[type-var]
            if network.prefixlen == 0:
                raise _error(
                    f"trusted proxies cover every IPv{version} address ({network}): any "
                    "client could sign in as anyone; list the proxy's own addresses",
                    "trusts_everyone",
                )
            if network.prefixlen < widest:
                raise _error(
                    f"trusted proxies include {network}, wider than /{widest}: every "
                    f"machine on it could sign in as anyone; list the proxy's own addresses",
                    "too_wide",
                )


def _unmapped(network: _Network) -> _Network:
    """An IPv4-mapped IPv6 network as the IPv4 network it stands for.

    Peers are compared in their IPv4 form (``::ffff:10.0.0.1`` is ``10.0.0.1``), so the
    entries must be too.
    """
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        mapped = network.network_address.ipv4_mapped
        assert mapped is not None  # every address of ::ffff:0:0/96 maps
        return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network
