"""Client IP extraction: trusted proxies only, right-to-left X-Forwarded-For, normalisation."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.client_ip import MAX_FORWARDED_HOPS, client_ip, parse_ip

Networks = list[IPv4Network | IPv6Network]

TRUSTED: Networks = [ip_network("10.0.0.0/8"), ip_network("fd00::/8"), ip_network("127.0.0.1")]
NONE: Networks = []


@pytest.mark.parametrize(
    ("peer", "headers", "trusted", "expected"),
    [
        # No trusted proxies: the peer, whatever the headers say.
        ("203.0.113.9", {}, NONE, "203.0.113.9"),
        ("203.0.113.9", {"x-forwarded-for": "1.1.1.1"}, NONE, "203.0.113.9"),
        ("203.0.113.9", {"x-real-ip": "1.1.1.1"}, NONE, "203.0.113.9"),
        # A forged X-Forwarded-For (or any proxy header) from an untrusted peer is inert.
        ("198.51.100.7", {"x-forwarded-for": "1.1.1.1"}, TRUSTED, "198.51.100.7"),
        ("198.51.100.7", {"x-forwarded-for": "10.0.0.1, 1.1.1.1"}, TRUSTED, "198.51.100.7"),
        ("198.51.100.7", {"cf-connecting-ip": "1.1.1.1"}, TRUSTED, "198.51.100.7"),
        ("198.51.100.7", {"fly-client-ip": "1.1.1.1"}, TRUSTED, "198.51.100.7"),
        # Trusted peer: the rightmost untrusted hop of X-Forwarded-For.
        ("10.0.0.2", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, "203.0.113.5"),
        ("10.0.0.2", {"x-forwarded-for": "203.0.113.5, 10.0.0.3"}, TRUSTED, "203.0.113.5"),
        # The client-supplied (leftmost) entry is not believed past an untrusted hop.
        ("10.0.0.2", {"x-forwarded-for": "6.6.6.6, 203.0.113.5"}, TRUSTED, "203.0.113.5"),
        ("10.0.0.2", {"x-forwarded-for": "6.6.6.6,203.0.113.5,10.1.1.1"}, TRUSTED, "203.0.113.5"),
        # Every hop trusted: the leftmost (traffic from inside the network).
        ("10.0.0.2", {"x-forwarded-for": "10.9.9.9, 10.0.0.3"}, TRUSTED, "10.9.9.9"),
        # An unparseable hop ends the walk; then the single-value headers, then the peer.
        ("10.0.0.2", {"x-forwarded-for": "203.0.113.5, unknown"}, TRUSTED, "10.0.0.2"),
        ("10.0.0.2", {"x-forwarded-for": "1.1.1.1, garbage, 10.0.0.3"}, TRUSTED, "10.0.0.2"),
        (
            "10.0.0.2",
            {"x-forwarded-for": "unknown", "x-real-ip": "203.0.113.8"},
            TRUSTED,
            "203.0.113.8",
        ),
        ("10.0.0.2", {"x-forwarded-for": ""}, TRUSTED, "10.0.0.2"),
        ("10.0.0.2", {"x-forwarded-for": " , "}, TRUSTED, "10.0.0.2"),
        # Single-value headers in order, when X-Forwarded-For is absent.
        ("10.0.0.2", {"x-real-ip": "203.0.113.1"}, TRUSTED, "203.0.113.1"),
        ("10.0.0.2", {"cf-connecting-ip": "203.0.113.2"}, TRUSTED, "203.0.113.2"),
        ("10.0.0.2", {"fly-client-ip": "203.0.113.3"}, TRUSTED, "203.0.113.3"),
        (
            "10.0.0.2",
            {"x-real-ip": "203.0.113.1", "cf-connecting-ip": "203.0.113.2"},
            TRUSTED,
            "203.0.113.1",
        ),
        (
            "10.0.0.2",
            {"x-real-ip": "bogus", "cf-connecting-ip": "203.0.113.2"},
            TRUSTED,
            "203.0.113.2",
        ),
        ("10.0.0.2", {"x-real-ip": "1.1.1.1, 203.0.113.1"}, TRUSTED, "203.0.113.1"),
        ("10.0.0.2", {"x-real-ip": "203.0.113.1, junk"}, TRUSTED, "203.0.113.1"),
        # X-Forwarded-For wins over the single-value headers.
        (
            "10.0.0.2",
            {"x-forwarded-for": "203.0.113.5", "x-real-ip": "203.0.113.1"},
            TRUSTED,
            "203.0.113.5",
        ),
        ("10.0.0.2", {"x-real-ip": ""}, TRUSTED, "10.0.0.2"),
        ("10.0.0.2", {}, TRUSTED, "10.0.0.2"),
        # Ports, brackets, quotes, zone ids, IPv4-mapped addresses, case.
        ("10.0.0.2", {"x-forwarded-for": "203.0.113.5:4711"}, TRUSTED, "203.0.113.5"),
        ("10.0.0.2", {"x-forwarded-for": "[2001:db8::1]:443"}, TRUSTED, "2001:db8::1"),
        ("10.0.0.2", {"x-forwarded-for": "[2001:DB8::1]"}, TRUSTED, "2001:db8::1"),
        ("10.0.0.2", {"x-forwarded-for": '"203.0.113.5"'}, TRUSTED, "203.0.113.5"),
        ("10.0.0.2", {"x-forwarded-for": "::ffff:203.0.113.5"}, TRUSTED, "203.0.113.5"),
        ("10.0.0.2", {"x-forwarded-for": "2001:0db8:0:0::0001"}, TRUSTED, "2001:db8::1"),
        ("10.0.0.2", {"x-forwarded-for": "fe80::1%eth0"}, TRUSTED, "fe80::1"),
        # IPv6 trusted proxies; an IPv4-mapped peer matches IPv4 networks.
        ("fd00::1", {"x-forwarded-for": "2001:db8::7"}, TRUSTED, "2001:db8::7"),
        ("[fd00::1]:8080", {"x-forwarded-for": "2001:db8::7"}, TRUSTED, "2001:db8::7"),
        ("::ffff:10.0.0.2", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, "203.0.113.5"),
        ("::ffff:198.51.100.7", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, "198.51.100.7"),
        ("127.0.0.1", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, "203.0.113.5"),
        ("127.0.0.2", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, "127.0.0.2"),
        # Invalid or missing peer: nothing is known, and headers are not believed.
        (None, {"x-forwarded-for": "203.0.113.5"}, TRUSTED, None),
        ("", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, None),
        ("not-an-ip", {"x-forwarded-for": "203.0.113.5"}, TRUSTED, None),
        ("unix:/run/app.sock", {"x-real-ip": "203.0.113.5"}, TRUSTED, None),
        ("203.0.113.9:55555", {}, NONE, "203.0.113.9"),
    ],
)
def test_client_ip(
    peer: str | None, headers: dict[str, str], trusted: Networks, expected: str | None
) -> None:
    assert client_ip(peer, headers, trusted) == expected


def test_a_very_long_forwarded_chain_is_bounded_and_not_believed_past_the_bound() -> None:
    trusted_hops = ", ".join(f"10.0.{i // 250}.{i % 250}" for i in range(MAX_FORWARDED_HOPS + 5))
    header = "1.1.1.1, " + trusted_hops
    assert client_ip("10.0.0.2", {"x-forwarded-for": header}, TRUSTED) == "10.0.0.2"
    shorter = ", ".join(["203.0.113.5"] + ["10.0.0.3"] * (MAX_FORWARDED_HOPS - 1))
    assert client_ip("10.0.0.2", {"x-forwarded-for": shorter}, TRUSTED) == "203.0.113.5"
    huge = "9.9.9.9," * 100_000 + "203.0.113.5"
    assert client_ip("10.0.0.2", {"x-forwarded-for": huge}, TRUSTED) == "203.0.113.5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:80", "1.2.3.4"),
        ("[1.2.3.4]:80", "1.2.3.4"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[::1]:80", "::1"),
        ("::FFFF:1.2.3.4", "1.2.3.4"),
        ("fe80::1%25eth0", "fe80::1"),
        ("", None),
        ("[::1", None),
        ("1.2.3", None),
        ("01.2.3.4", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("unknown", None),
        ("_hidden", None),
        ("1" * 100, None),
    ],
)
def test_parse_ip(value: str, expected: str | None) -> None:
    parsed = parse_ip(value)
    assert (str(parsed) if parsed is not None else None) == expected


header_names = st.sampled_from(
    ["x-forwarded-for", "x-real-ip", "cf-connecting-ip", "fly-client-ip"]
)
address_like = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]:{443}"),
    st.text(max_size=40),
)
header_values = st.lists(address_like, max_size=6).map(", ".join) | st.text(max_size=200)
header_maps = st.dictionaries(header_names, header_values, max_size=4)
peers = st.one_of(st.none(), st.ip_addresses().map(str), st.text(max_size=40))


@given(peer=peers, headers=header_maps)
def test_client_ip_never_raises_and_returns_an_address(
    peer: str | None, headers: dict[str, str]
) -> None:
    result = client_ip(peer, headers, TRUSTED)
    assert result is None or parse_ip(result) is not None


@given(peer=st.ip_addresses().map(str), headers=header_maps)
def test_headers_from_an_untrusted_peer_never_change_the_result(
    peer: str, headers: dict[str, str]
) -> None:
    address = parse_ip(peer)
    assert address is not None
    if any(address in network for network in TRUSTED):
        return
    assert client_ip(peer, headers, TRUSTED) == client_ip(peer, {}, TRUSTED) == str(address)


@given(headers=header_maps)
def test_without_trusted_proxies_the_peer_always_wins(headers: dict[str, str]) -> None:
    assert client_ip("203.0.113.9", headers, []) == "203.0.113.9"


def test_a_trusted_list_changed_in_place_is_not_trusted_stale() -> None:
    proxies: Networks = [ip_network("10.0.0.0/8")]
    headers = {"x-forwarded-for": "203.0.113.5"}
    assert client_ip("10.0.0.2", headers, proxies) == "203.0.113.5"
    proxies[0] = ip_network("192.168.0.0/16")
    assert client_ip("10.0.0.2", headers, proxies) == "10.0.0.2"
    proxies.append(ip_network("10.0.0.0/8"))
    assert client_ip("10.0.0.2", headers, proxies) == "203.0.113.5"
    proxies.clear()
    assert client_ip("10.0.0.2", headers, proxies) == "10.0.0.2"


def test_equal_but_new_network_objects_and_many_lists_work() -> None:
    headers = {"x-forwarded-for": "203.0.113.5"}
    for _ in range(50):
        proxies = (ip_network("10.0.0.0/8"),)
        assert client_ip("10.0.0.2", headers, proxies) == "203.0.113.5"
        assert client_ip("10.0.0.2", headers, [ip_network("10.0.0.0/8")]) == "203.0.113.5"


def test_ipv4_mapped_trusted_networks_match_ipv4_peers() -> None:
    proxies: Networks = [ip_network("::ffff:10.0.0.0/104")]
    headers = {"x-forwarded-for": "203.0.113.5"}
    assert client_ip("10.1.2.3", headers, proxies) == "203.0.113.5"
    assert client_ip("::ffff:10.1.2.3", headers, proxies) == "203.0.113.5"
    assert client_ip("11.0.0.1", headers, proxies) == "11.0.0.1"


def test_single_host_and_whole_space_networks() -> None:
    headers = {"x-forwarded-for": "203.0.113.5, 198.51.100.1"}
    assert client_ip("192.0.2.1", headers, [ip_network("192.0.2.1/32")]) == "198.51.100.1"
    # Trusting everything: every hop is trusted, so the leftmost is the client.
    everything: Networks = [ip_network("0.0.0.0/0"), ip_network("::/0")]
    assert client_ip("192.0.2.1", headers, everything) == "203.0.113.5"
