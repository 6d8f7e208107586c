"""Country, region and city of a client address.

Sources, in order:

- a MaxMind/DB-IP/IPinfo ``.mmdb`` file when ``GEOIP_DB`` is set (read with ``maxminddb``):
  country, region (the first subdivision) and city, as precise as that file;
- otherwise the country-only GeoLite2 snapshot bundled in ``geoip2fast`` (no download; see
  docs/extraction.md for its age and accuracy), unless the fallback is turned off.

Addresses that are not globally routable (private, loopback, link-local, site-local, shared,
reserved, multicast, documentation, or 6to4 around such an IPv4 address) are never looked up.
A lookup never raises: any error is "unknown". Results are cached per address in a bounded LRU.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import maxminddb

from systemprompt_analytics.errors import ConfigError
from systemprompt_analytics.ingest.attribution import clean_text
from systemprompt_analytics.ingest.client_ip import parse_address

logger = logging.getLogger(__name__)

GEO_NAME_MAX_LENGTH = 128
DEFAULT_CACHE_SIZE = 65536
BUNDLED_DATA_FILE = "geoip2fast-ipv6.dat.gz"  # country, IPv4 and IPv6


@dataclass(frozen=True, slots=True)
class Geo:
    """Where an address is; every field None when unknown."""

    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    region: str | None = None
    city: str | None = None


UNKNOWN = Geo()


class GeoReader(Protocol):
    """Anything that maps an address string to a MaxMind-shaped record (or None)."""

    def get(self, ip_address: str) -> object: ...


class GeoLookup:
    """Cached, never-raising geo lookups over a reader (``.mmdb`` file or bundled data)."""

    def __init__(self, reader: GeoReader | None, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._reader = reader
        self._cached = lru_cache(maxsize=cache_size)(self._lookup)

    @classmethod
    def from_settings(
        cls,
        geoip_db: Path | None,
        *,
        fallback: bool = True,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> GeoLookup:
        """The lookup for ``Settings.geoip_db``.

        Raises :class:`ConfigError` at construction (never at lookup time) when the file
        cannot be opened as a MaxMind DB.
        """
        if geoip_db is not None:
            return cls(open_mmdb(geoip_db), cache_size)
        return cls(BundledCountryReader.shared() if fallback else None, cache_size)

    @property
    def enabled(self) -> bool:
        return self._reader is not None

    def lookup(self, ip: str | None) -> Geo:
        """Where ``ip`` is; :data:`UNKNOWN` for private, invalid or unlisted addresses."""
        if not ip or self._reader is None:
            return UNKNOWN
        return self._cached(ip)

    def cache_clear(self) -> None:
        self._cached.cache_clear()

    def _lookup(self, ip: str) -> Geo:
        parsed = parse_address(ip)
        if parsed is None or not is_public(parsed.address):
            return UNKNOWN
        try:
            record = self._reader.get(parsed.text) if self._reader is not None else None
            return geo_from_record(record)
        except Exception:  # a damaged file or a reader bug must not reach the request path
            logger.debug("geo lookup failed for %s", parsed.text, exc_info=True)
            return UNKNOWN


def is_public(address: IPv4Address | IPv6Address) -> bool:
    """Whether geo or datacenter data can say anything about ``address``."""
    if isinstance(address, IPv6Address) and not _public_ipv6_prefix(address):
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def _public_ipv6_prefix(address: IPv6Address) -> bool:
    # ``ipaddress`` calls these global: site-local fec0::/10 is deprecated (RFC 3879) but
    # still routed privately, and a 6to4 address (2002::/16) is only as public as the IPv4
    # address it wraps.
    if address.is_site_local:
        return False
    wrapped = address.sixtofour
    return wrapped is None or is_public(wrapped)


def open_mmdb(path: Path) -> GeoReader:
    try:
        reader = maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(
            "SP_ANALYTICS_GEOIP_DB", f"cannot read {path} as a MaxMind DB (.mmdb) file: {exc}"
        ) from exc
    return _MmdbReader(reader)


class _MmdbReader:
    def __init__(self, reader: maxminddb.Reader) -> None:
        self._reader = reader

    def get(self, ip_address: str) -> object:
        return self._reader.get(ip_address)


def geo_from_record(record: object) -> Geo:
    """Country, region and city from a GeoIP2/GeoLite2/DB-IP record or an IPinfo-style flat
    record (``country``/``country_code``, ``region``, ``city`` as strings)."""
    if not isinstance(record, dict):
        return UNKNOWN
    country = _country(record.get("country")) or _country(record.get("country_code"))
    country = country or _country(record.get("registered_country"))
    region: str | None = None
    subdivisions = record.get("subdivisions")
    if isinstance(subdivisions, list) and subdivisions:
        region = _name(subdivisions[0])
    region = region or _name(record.get("region"))
    city = _name(record.get("city"))
    if country is None and region is None and city is None:
        return UNKNOWN
    return Geo(country=country, region=region, city=city)


def _country(value: object) -> str | None:
    code = value.get("iso_code") if isinstance(value, dict) else value
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


def _name(value: object) -> str | None:
    if isinstance(value, dict):
        names = value.get("names")
        value = names.get("en") if isinstance(names, dict) else None
    return clean_text(value, GEO_NAME_MAX_LENGTH) if isinstance(value, str) else None


class BundledCountryReader:
    """Country-only reader over the GeoLite2 snapshot that ships inside ``geoip2fast``.

    The data is loaded from the package directory by absolute path (geoip2fast would
    otherwise prefer a same-named file in the working directory) and never downloaded.
    """

    _shared: BundledCountryReader | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        module = _import_geoip2fast()
        data_file = Path(str(module.__file__)).parent / BUNDLED_DATA_FILE
        self._geoip: Any = module.GeoIP2Fast(geoip2fast_data_file=str(data_file))
        self.source: str = str(self._geoip.source_info)
        _untrack_range_tables(sys.modules[module.GeoIP2Fast.__module__])

    @classmethod
    def shared(cls) -> BundledCountryReader:
        """One instance per process: geoip2fast keeps its data in module globals."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def get(self, ip_address: str) -> object:
        code = self._geoip.lookup(ip_address).country_code
        return {"country": code} if isinstance(code, str) else None


def _untrack_range_tables(namespace: ModuleType) -> None:
    """Turn geoip2fast's range tables (module globals: lists of ~5,000-int chunks, 2.4 million
    ints in all) into lists of tuples, in place.

    Every full garbage collection of the host process walks every list element: with these
    tables a full collection took ~75 ms, every few seconds under load. The collector stops
    tracking a tuple that holds only ints, and geoip2fast only indexes and bisects the chunks,
    so lookups are unchanged.
    """
    for name, table in vars(namespace).items():
        if name.startswith("mainList") and isinstance(table, list):
            for index, chunk in enumerate(table):
                if isinstance(chunk, list):
                    table[index] = tuple(chunk)


def _import_geoip2fast() -> Any:
    # geoip2fast sets PYTHONWARNINGS and PYTHONIOENCODING in os.environ when imported, which
    # would leak into every subprocess the host app starts; put them back as they were. It
    # ships no type information, hence the untyped import.
    saved = {name: os.environ.get(name) for name in ("PYTHONWARNINGS", "PYTHONIOENCODING")}
    try:
        return importlib.import_module("geoip2fast")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
