"""Geo lookups: a real .mmdb file, the bundled country fallback, skipped and failing lookups."""

from __future__ import annotations

import gc
import ipaddress
import os
import random
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maxminddb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmdb_writer import MMDBWriter
from netaddr import IPSet  # type: ignore[import-untyped]

from systemprompt_analytics.errors import ConfigError
from systemprompt_analytics.ingest import geo as geo_module
from systemprompt_analytics.ingest.geo import (
    BUNDLED_DATA_FILE,
    GEO_NAME_MAX_LENGTH,
    UNKNOWN,
    BundledCountryReader,
    Geo,
    GeoLookup,
    geo_from_record,
)

CITY_RECORD = {
    "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
    "subdivisions": [
        {"iso_code": "ENG", "names": {"en": "England", "de": "England"}},
        {"iso_code": "WSM", "names": {"en": "Westminster"}},
    ],
    "city": {"names": {"en": "London", "fr": "Londres"}},
}
RECORDS: dict[str, Any] = {
    "81.2.69.0/24": CITY_RECORD,
    "2001:4860::/32": {"country": {"iso_code": "us"}, "city": {"names": {"en": "Mountain View"}}},
    "1.0.0.0/24": {"country": "AU", "region": "Queensland", "city": "Brisbane"},
    "1.0.1.0/24": {"country_code": "CN"},
    "1.0.2.0/24": {"registered_country": {"iso_code": "JP"}},
    "1.0.3.0/24": {"country": {"iso_code": "ZZZ"}},
    "1.0.4.0/24": "not a record",
    "1.0.5.0/24": {"city": {"names": {"en": "x" * 300}}, "country": {"iso_code": "FR"}},
    "1.0.6.0/24": {"country": {"iso_code": "DE"}, "subdivisions": [], "city": {"names": {}}},
    "10.0.0.0/8": {"country": {"iso_code": "XX"}},
    "127.0.0.0/8": {"country": {"iso_code": "XX"}},
}


@pytest.fixture(scope="module")
def mmdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    writer = MMDBWriter(
        ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City", languages=["en"]
    )
    for network, record in RECORDS.items():
        writer.insert_network(IPSet([network]), record)
    path = tmp_path_factory.mktemp("geo") / "test-city.mmdb"
    writer.to_db_file(str(path))
    return path


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("81.2.69.142", Geo("GB", "England", "London")),
        ("::ffff:81.2.69.142", Geo("GB", "England", "London")),
        ("2001:4860:4860::8888", Geo("US", None, "Mountain View")),
        ("1.0.0.1", Geo("AU", "Queensland", "Brisbane")),
        ("1.0.1.1", Geo("CN", None, None)),
        ("1.0.2.1", Geo("JP", None, None)),
        ("1.0.3.1", UNKNOWN),
        ("1.0.4.1", UNKNOWN),
        ("1.0.5.1", Geo("FR", None, "x" * GEO_NAME_MAX_LENGTH)),
        ("1.0.6.1", Geo("DE", None, None)),
        ("8.8.8.8", UNKNOWN),
        ("10.0.0.1", UNKNOWN),
        ("127.0.0.1", UNKNOWN),
        ("not an ip", UNKNOWN),
        ("", UNKNOWN),
        (None, UNKNOWN),
    ],
)
def test_lookup_from_an_mmdb_file(mmdb_path: Path, ip: str | None, expected: Geo) -> None:
    assert GeoLookup.from_settings(mmdb_path).lookup(ip) == expected


class RecordingReader:
    """A reader that records every address it is asked about."""

    def __init__(self, result: object = None, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.result = result
        self.error = error

    def get(self, ip_address: str) -> object:
        self.calls.append(ip_address)
        if self.error is not None:
            raise self.error
        return self.result


NOT_PUBLIC = [
    "10.0.0.1",
    "127.0.0.1",
    "::1",
    "fe80::1",
    "169.254.1.1",
    "192.168.1.1",
    "172.16.0.1",
    "100.64.0.1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "2001:db8::1",
]


@pytest.mark.parametrize("ip", NOT_PUBLIC)
def test_non_public_addresses_never_reach_the_reader(ip: str) -> None:
    reader = RecordingReader(result=CITY_RECORD)
    lookup = GeoLookup(reader)
    assert lookup.lookup(ip) == UNKNOWN
    assert reader.calls == []


@pytest.mark.parametrize(
    "ip",
    [
        "fec0::1",  # deprecated site-local, which ipaddress calls global
        "fec0:1:2::3",
        "feff::1",
        "2002:c0a8:0101::1",  # 6to4 around 192.168.1.1
        "2002:a00:1::",  # 6to4 around 10.0.0.1
        "2002:7f00:1::5",  # 6to4 around 127.0.0.1
        "[2002:a9fe:0101::1]:443",  # 6to4 around link-local 169.254.1.1
    ],
)
def test_site_local_and_6to4_around_private_ipv4_never_reach_the_reader(ip: str) -> None:
    reader = RecordingReader(result=CITY_RECORD)
    assert GeoLookup(reader).lookup(ip) == UNKNOWN
    assert reader.calls == []


def test_6to4_around_a_public_ipv4_is_looked_up() -> None:
    reader = RecordingReader(result=CITY_RECORD)
    assert GeoLookup(reader).lookup("2002:5102:4501::1").city == "London"
    assert reader.calls == ["2002:5102:4501::1"]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("boom"),
        maxminddb.InvalidDatabaseError("corrupt"),
        ValueError("bad"),
        OSError("gone"),
        KeyError("x"),
    ],
)
def test_reader_errors_are_unknown(error: Exception) -> None:
    reader = RecordingReader(error=error)
    assert GeoLookup(reader).lookup("81.2.69.142") == UNKNOWN
    assert reader.calls == ["81.2.69.142"]


def test_lookups_are_cached_per_address_and_bounded() -> None:
    reader = RecordingReader(result=CITY_RECORD)
    lookup = GeoLookup(reader, cache_size=2)
    for ip in ["81.2.69.1", "81.2.69.1", "81.2.69.2", "81.2.69.1"]:
        assert lookup.lookup(ip).city == "London"
    assert reader.calls == ["81.2.69.1", "81.2.69.2"]
    lookup.lookup("81.2.69.3")  # evicts the least recently used: .2
    lookup.lookup("81.2.69.1")
    lookup.lookup("81.2.69.2")
    assert reader.calls == ["81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.2"]
    lookup.cache_clear()
    lookup.lookup("81.2.69.3")
    assert reader.calls[-1] == "81.2.69.3"


def test_addresses_are_normalised_before_the_reader_sees_them() -> None:
    reader = RecordingReader(result=CITY_RECORD)
    GeoLookup(reader).lookup("[2001:4860:0:0::8888]:443")
    assert reader.calls == ["2001:4860::8888"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, UNKNOWN),
        ([], UNKNOWN),
        ({}, UNKNOWN),
        ({"country": None}, UNKNOWN),
        ({"country": {"iso_code": 42}}, UNKNOWN),
        ({"country": {"iso_code": "G1"}}, UNKNOWN),
        ({"country": {"iso_code": "ÄÖ"}}, UNKNOWN),
        ({"country": "gb"}, Geo("GB")),
        ({"subdivisions": "England"}, UNKNOWN),
        ({"subdivisions": [{"names": {"de": "Bayern"}}]}, UNKNOWN),
        ({"subdivisions": [{"names": {"en": " Bavaria\x00 "}}]}, Geo(None, "Bavaria", None)),
        ({"city": {"names": "London"}}, UNKNOWN),
        ({"city": {"names": {"en": ""}}}, UNKNOWN),
        (
            {"city": "Paris", "region": {"names": {"en": "Île-de-France"}}},
            Geo(None, "Île-de-France", "Paris"),
        ),
    ],
)
def test_geo_from_record(record: object, expected: Geo) -> None:
    assert geo_from_record(record) == expected


@given(
    st.recursive(
        st.none() | st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_geo_from_record_never_raises(record: object) -> None:
    result = geo_from_record(record)
    assert result.country is None or (len(result.country) == 2 and result.country.isupper())


def test_an_unreadable_database_is_a_config_error_at_startup(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a maxmind database")
    with pytest.raises(ConfigError, match="SP_ANALYTICS_GEOIP_DB"):
        GeoLookup.from_settings(bad)
    with pytest.raises(ConfigError, match="SP_ANALYTICS_GEOIP_DB"):
        GeoLookup.from_settings(tmp_path / "missing.mmdb")


def test_without_a_database_or_fallback_everything_is_unknown() -> None:
    lookup = GeoLookup.from_settings(None, fallback=False)
    assert not lookup.enabled
    assert lookup.lookup("81.2.69.142") == UNKNOWN


# ----------------------------------------------------------------------------------------
# The bundled country fallback (geoip2fast)
# ----------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.mark.usefixtures("no_network")
def test_the_fallback_is_bundled_country_data_and_needs_no_network() -> None:
    reader = BundledCountryReader()
    assert "GeoLite2-Country" in reader.source
    lookup = GeoLookup(reader)
    assert lookup.lookup("81.2.69.142") == Geo("GB", None, None)
    assert lookup.lookup("8.8.8.8").country == "US"
    assert lookup.lookup("2a00:1450:4001::1").country == "DE"
    assert lookup.lookup("::ffff:81.2.69.142").country == "GB"
    for ip in ["10.0.0.1", "127.0.0.1", "::1", "fe80::1", "169.254.1.1"]:
        assert lookup.lookup(ip) == UNKNOWN


def test_the_fallback_is_the_default_without_a_database() -> None:
    lookup = GeoLookup.from_settings(None)
    assert lookup.enabled
    assert lookup.lookup("81.2.69.142").country == "GB"
    assert BundledCountryReader.shared() is BundledCountryReader.shared()


def test_the_fallback_reads_the_packaged_file_not_one_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / BUNDLED_DATA_FILE).write_bytes(b"planted")
    monkeypatch.chdir(tmp_path)
    assert GeoLookup(BundledCountryReader()).lookup("81.2.69.142").country == "GB"


def test_importing_geoip2fast_does_not_leak_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m == "geoip2fast" or m.startswith("geoip2fast.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    module = geo_module._import_geoip2fast()
    assert module.__name__ == "geoip2fast"
    assert os.environ["PYTHONWARNINGS"] == "error"
    assert "PYTHONIOENCODING" not in os.environ


def test_the_fallback_tables_are_not_walked_by_the_garbage_collector() -> None:
    """geoip2fast's 2.4 million range boundaries, kept as lists, made every full garbage
    collection of the host ~75 ms longer; as tuples of ints the collector leaves them alone,
    and every answer stays the same."""
    rng = random.Random(7)
    sample = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(3000)]
    sample += [
        str(ipaddress.IPv6Address((0x2000 << 112) | rng.getrandbits(112))) for _ in range(2000)
    ]
    reader = BundledCountryReader()
    tables = sys.modules[reader._geoip.__class__.__module__]
    chunks = [
        chunk
        for name, table in vars(tables).items()
        if name.startswith("mainList") and isinstance(table, list)
        for chunk in table
        if isinstance(chunk, tuple | list)
    ]
    assert len(chunks) > 100 and all(type(chunk) is tuple for chunk in chunks)
    gc.collect()
    assert not any(gc.is_tracked(chunk) for chunk in chunks)
    converted = [reader.get(ip) for ip in sample]

    # The same lookups on the tables as geoip2fast loads them (lists).
    as_loaded = tables.GeoIP2Fast(
        geoip2fast_data_file=str(Path(tables.__file__).parent / BUNDLED_DATA_FILE)
    )
    assert any(type(chunk) is list for chunk in tables.mainListFirstIP)
    codes = [as_loaded.lookup(ip).country_code for ip in sample]
    assert converted == [{"country": code} if isinstance(code, str) else None for code in codes]
    assert sum(answer is not None for answer in converted) > 2000
    BundledCountryReader()  # leave the module's tables as the rest of the suite expects
