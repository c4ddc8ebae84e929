"""``TrustedProxies``: which peers may speak for users."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from .errors import ConfigurationError

__all__ = ["UNIX", "TrustedProxies"]

#: The entry that trusts peers on a Unix-domain socket (no IP address).
UNIX = "unix"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Decisions are cached per peer string. A server only ever presents a bounded set of peers
# that matter; an attacker cycling source addresses can at worst make us clear the cache.
_CACHE_SIZE = 4096


class TrustedProxies:
    """The set of peers whose identity headers are believed.

    Built from IP addresses, CIDR networks (IPv4 and IPv6) and the word ``"unix"`` for a
    peer on a Unix-domain socket. An empty set trusts nobody. A malformed entry, a network
    with host bits set (``10.0.0.1/8``) or a bare string instead of a list raises
    :class:`~remote_identity.errors.ConfigurationError` here, at construction, never at
    request time.

    >>> proxies = TrustedProxies(["127.0.0.1", "10.1.0.0/16", "::1"])
    >>> proxies.is_trusted("10.1.2.3"), proxies.is_trusted("::ffff:10.1.2.3")
    (True, True)
    >>> proxies.is_trusted("10.2.0.1")
    False
    """

    __slots__ = ("_cache", "_networks", "_unix", "entries")

    entries: tuple[str, ...]
    _networks: tuple[_Network, ...]
    _unix: bool
    _cache: dict[str | None, bool]

    def __init__(self, entries: Iterable[str] = ()) -> None:
        if isinstance(entries, (str, bytes)):
            raise ConfigurationError(
                f"trusted proxies must be a list of addresses, not the string {entries!r}; "
                f"write [{entries!r}]"
            )
        try:
            items = list(entries)
        except TypeError:
            raise ConfigurationError(
                f"trusted proxies must be a list of addresses, not {type(entries).__name__}"
            ) from None
        networks: list[_Network] = []
        unix = False
        for entry in items:
            if not isinstance(entry, str):
                raise ConfigurationError(
                    f"trusted proxy {entry!r} is a {type(entry).__name__}; expected a string"
                )
            text = entry.strip()
            if text.lower() == UNIX:
                unix = True
                continue
            try:
                network = ipaddress.ip_network(text, strict=True)
            except ValueError as exc:
                raise ConfigurationError(
                    f"trusted proxy {entry!r} is not an IP address, a CIDR network or "
                    f"{UNIX!r}: {exc}"
                ) from None
            networks.append(_unmapped(network))
        self.entries = tuple(entry.strip() for entry in items)
        self._networks = tuple(networks)
        self._unix = unix
        self._cache = {}

    def __repr__(self) -> str:
        return f"TrustedProxies({list(self.entries)!r})"

    def __bool__(self) -> bool:
        return bool(self._networks) or self._unix

    @property
    def trusts_everyone(self) -> bool:
        """True if a network covers every address (``0.0.0.0/0`` or ``::/0``)."""
        return any(network.prefixlen == 0 for network in self._networks)

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
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


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
