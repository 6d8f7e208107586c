"""What is left of a client IP address before it is stored, by ``privacy_mode``.

- ``off``: the address as given;
- ``truncate``: the network address of its IPv4 /24 or IPv6 /48 (``203.0.113.77`` →
  ``203.0.113.0``, ``2001:db8:1234:5678::1`` → ``2001:db8:1234::``); an IPv4-mapped IPv6
  address is truncated as IPv4; a value that is not an address is dropped rather than kept;
- ``drop``: nothing.

An unknown mode drops the address: failing closed keeps a misconfiguration from storing IPs.
Truncation is idempotent, so a truncated address can be truncated again safely.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Network

from systemprompt_analytics.config import PrivacyMode
from systemprompt_analytics.ingest.client_ip import parse_ip

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def truncate_ip(ip: str | None, mode: PrivacyMode) -> str | None:
    """``ip`` as ``privacy_mode`` allows it to be stored."""
    if mode == "off":
        return ip
    if mode == "truncate" and ip:
        return _truncate(ip)
    return None


@lru_cache(maxsize=16384)
def _truncate(ip: str) -> str | None:
    address = parse_ip(ip)
    if address is None:
        return None
    if isinstance(address, IPv4Address):
        return str(IPv4Network((address, IPV4_PREFIX), strict=False).network_address)
    return str(IPv6Network((address, IPV6_PREFIX), strict=False).network_address)
