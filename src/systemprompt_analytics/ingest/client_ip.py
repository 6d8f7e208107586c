"""The client's IP address, believing forwarding headers only from trusted proxies.

Rules (docs/extraction.md has the reasoning):

1. The peer (the socket's remote address) is the answer unless it lies in one of the
   configured trusted-proxy networks. Headers sent by an untrusted peer are never read, so a
   forged ``X-Forwarded-For`` from the internet is inert.
2. From a trusted peer, ``X-Forwarded-For`` is walked right to left (each proxy appends the
   address it received the request from), skipping hops inside trusted networks; the first
   untrusted address is the client. If every hop is trusted the leftmost is the client (traffic
   from inside the trusted network). An unparseable hop ends the walk without an answer: what
   lies left of it was written by someone we cannot vouch for.
3. Without an answer from ``X-Forwarded-For``: ``X-Real-IP``, then ``CF-Connecting-IP``, then
   ``Fly-Client-IP`` (the rightmost valid value of a repeated header).
4. Otherwise the peer.

Addresses are normalised: ports, brackets, quotes and IPv6 zone ids are stripped and
IPv4-mapped IPv6 addresses become IPv4, so ``[::ffff:1.2.3.4]:443`` is ``1.2.3.4``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import NamedTuple

IPAddress = IPv4Address | IPv6Address
Networks = Sequence[IPv4Network | IPv6Network]


class ParsedAddress(NamedTuple):
    """An address with what the hot path needs of it precomputed."""

    address: IPAddress
    text: str  # normalised string form
    version: int
    value: int


FORWARDED_FOR = "x-forwarded-for"
SINGLE_VALUE_HEADERS = ("x-real-ip", "cf-connecting-ip", "fly-client-ip")
MAX_FORWARDED_HOPS = 32
_MAX_ENTRY_LENGTH = 80  # longer than any address with port, brackets, zone and padding


def client_ip(
    peer: str | None,
    headers: Mapping[str, str],
    trusted_proxies: Networks,
) -> str | None:
    """The client's address as a normalised string, or None if not even the peer is known.

    ``headers`` maps lower-case header names to values, repeated headers joined with ", ".
    """
    parsed_peer = parse_address(peer) if peer else None
    if parsed_peer is None:
        return None
    if not trusted_proxies:
        return parsed_peer.text
    trusted = _trusted_ranges(trusted_proxies)
    if not trusted.contains(parsed_peer):
        return parsed_peer.text
    found = _from_forwarded_for(headers.get(FORWARDED_FOR), trusted)
    if found is None:
        for name in SINGLE_VALUE_HEADERS:
            found = _rightmost_valid(headers.get(name))
            if found is not None:
                break
    return (found or parsed_peer).text


def parse_ip(value: str) -> IPAddress | None:
    """Parse one address as proxies and servers write it; None if it is not an address.

    Accepts ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]``, ``[::1]:80``, ``"1.2.3.4"`` and
    ``fe80::1%eth0``; IPv4-mapped IPv6 becomes IPv4.
    """
    parsed = parse_address(value)
    return parsed.address if parsed is not None else None


def normalise_ip(value: str) -> str | None:
    """:func:`parse_ip` as a string (``[::FFFF:1.2.3.4]:80`` → ``1.2.3.4``)."""
    parsed = parse_address(value)
    return parsed.text if parsed is not None else None


def parse_address(value: str) -> ParsedAddress | None:
    """:func:`parse_ip` with its string form, version and integer value, cached (``str()``
    of an ``ipaddress`` object alone costs microseconds)."""
    if len(value) > _MAX_ENTRY_LENGTH:  # before the cache, so junk cannot fill it with big keys
        return None
    return _parse_address(value)


@lru_cache(maxsize=16384)
def _parse_address(value: str) -> ParsedAddress | None:
    text = value.strip().strip('"').strip()
    if not text:
        return None
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    text = text.split("%", 1)[0]  # an IPv6 zone id only means something on the local host
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return ParsedAddress(address, str(address), address.version, int(address))


class _TrustedRanges:
    """Trusted networks as integer ranges: a membership test is a few int comparisons."""

    __slots__ = ("source", "v4", "v6")

    def __init__(self, networks: Networks) -> None:
        self.source = networks if isinstance(networks, tuple) else tuple(networks)
        ranges: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for network in self.source:
            first = int(network.network_address)
            last = first + network.num_addresses - 1
            version = network.version
            if isinstance(network, IPv6Network) and network.subnet_of(_IPV4_MAPPED):
                # Peers are compared in IPv4 form, so ::ffff:10.0.0.0/104 means 10.0.0.0/8.
                first, last, version = first & 0xFFFFFFFF, last & 0xFFFFFFFF, 4
            ranges[version].append((first, last))
        self.v4 = tuple(ranges[4])
        self.v6 = tuple(ranges[6])

    def contains(self, parsed: ParsedAddress) -> bool:
        value = parsed.value
        for first, last in self.v4 if parsed.version == 4 else self.v6:
            if first <= value <= last:
                return True
        return False

    def matches(self, networks: Networks) -> bool:
        # Tuple equality short-cuts on identical elements, so this is C-speed for the same
        # objects and still right for equal new ones.
        return networks is self.source or tuple(networks) == self.source


_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")

# Compiled ranges per trusted-proxy sequence: found by identity first (re-checked element by
# element, so a list changed in place is recompiled rather than trusted stale), then by value
# (a caller that builds a new tuple per request pays a hash, not a recompile).
_by_id: dict[int, _TrustedRanges] = {}
_by_value: dict[tuple[IPv4Network | IPv6Network, ...], _TrustedRanges] = {}
_MAX_COMPILED = 16


def _trusted_ranges(networks: Networks) -> _TrustedRanges:
    compiled = _by_id.get(id(networks))
    if compiled is not None and compiled.matches(networks):
        return compiled
    key = tuple(networks)
    compiled = _by_value.get(key)
    if compiled is None:
        if len(_by_value) >= _MAX_COMPILED:
            _by_value.clear()
        compiled = _by_value[key] = _TrustedRanges(key)
    if len(_by_id) >= _MAX_COMPILED:
        _by_id.clear()
    _by_id[id(networks)] = compiled
    return compiled


def _from_forwarded_for(value: str | None, trusted: _TrustedRanges) -> ParsedAddress | None:
    if not value:
        return None
    # rsplit bounds the work on a huge header; the remainder (if any) lands in hops[0].
    hops = value.rsplit(",", MAX_FORWARDED_HOPS)
    too_many = len(hops) > MAX_FORWARDED_HOPS
    leftmost: ParsedAddress | None = None
    for index in range(len(hops) - 1, -1, -1):
        if too_many and index == 0:
            return None
        parsed = parse_address(hops[index])
        if parsed is None:
            return None
        if not trusted.contains(parsed):
            return parsed
        leftmost = parsed
    return leftmost


def _rightmost_valid(value: str | None) -> ParsedAddress | None:
    if not value:
        return None
    for part in reversed(value.rsplit(",", MAX_FORWARDED_HOPS)[-MAX_FORWARDED_HOPS:]):
        parsed = parse_address(part)
        if parsed is not None:
            return parsed
    return None
