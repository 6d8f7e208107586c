"""Cookie-less identity: keyed hashes of request traits.

Composition (see docs/identity.md for the reasoning and the measured collision rate):

- **fingerprint hash** = HMAC-SHA256(key, user agent · primary language · client network ·
  client hint), where the client network is the full IPv4 address or the IPv6 /64 (privacy
  extensions rotate the low 64 bits). The original crate hashed only the user agent and the first
  Accept-Language; that merges everyone sharing a popular browser build and language into one
  "visitor", which then looks like one bot opening thousands of sessions. Adding the network
  keeps such people apart; people behind one NAT with the same browser and language still merge.
- the **client hint** (an optional header a tracker may send) only *refines* the hash: it is
  hashed together with the server-side traits, so a forged hint can never make a request match a
  session whose user agent, language or network differ.
- **visitor hash** = HMAC(key, day · fingerprint hash): visitors are daily-unique, as in Plausible.
- In privacy mode the fingerprint hash itself also includes the day, so no identifier survives
  midnight UTC (at the price of per-fingerprint reputation across days).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from ipaddress import IPv6Address, ip_address

HASH_HEX_LENGTH = 32  # 128 bits


@dataclass(frozen=True, slots=True)
class Fingerprint:
    fingerprint_hash: str
    visitor_hash: str


def derive_fingerprint_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"sp-analytics/fingerprint", hashlib.sha256).digest()


def primary_language(accept_language: str | None) -> str:
    """The first language tag, lower-cased (``en-US,en;q=0.9`` → ``en-us``)."""
    if not accept_language:
        return ""
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first[:35]


def client_network(ip: str | None) -> str:
    """The address for IPv4, the /64 prefix for IPv6, '' when unknown or unparsable."""
    if not ip:
        return ""
    try:
        address = ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return f"{IPv6Address(int(address) >> 64 << 64)}/64"
    return str(address)


def _digest(key: bytes, *parts: str) -> str:
    message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:HASH_HEX_LENGTH]


def fingerprint(
    key: bytes,
    *,
    user_agent: str | None,
    accept_language: str | None,
    ip: str | None,
    day: date,
    client_hint: str | None = None,
    privacy: bool = False,
) -> Fingerprint:
    traits = [
        "fp1",
        user_agent or "",
        primary_language(accept_language),
        client_network(ip),
        (client_hint or "")[:128],
    ]
    if privacy:
        traits.append(day.isoformat())
    fingerprint_hash = _digest(key, *traits)
    return Fingerprint(
        fingerprint_hash, _digest(key, "visitor1", day.isoformat(), fingerprint_hash)
    )


FingerprintFunction = Callable[[str | None, str | None, str | None, date, str | None], Fingerprint]


def cached_fingerprinter(
    key: bytes, privacy: bool = False, cache_size: int = 65_536
) -> FingerprintFunction:
    """:func:`fingerprint` with the key bound, cached per (UA, language, IP, day, hint).

    The same client sends the same traits on every request, so the two HMACs and the address
    parsing run once per client and day instead of once per request.
    """

    @lru_cache(maxsize=cache_size)
    def compute(
        user_agent: str | None,
        accept_language: str | None,
        ip: str | None,
        day: date,
        client_hint: str | None,
    ) -> Fingerprint:
        return fingerprint(
            key,
            user_agent=user_agent,
            accept_language=accept_language,
            ip=ip,
            day=day,
            client_hint=client_hint,
            privacy=privacy,
        )

    return compute
