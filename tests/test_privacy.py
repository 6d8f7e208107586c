"""IP truncation for privacy mode: IPv4 /24, IPv6 /48, or nothing."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.config import PrivacyMode
from systemprompt_analytics.ingest.privacy import truncate_ip


@pytest.mark.parametrize(
    ("ip", "mode", "expected"),
    [
        ("203.0.113.77", "off", "203.0.113.77"),
        ("2001:db8:1234:5678::1", "off", "2001:db8:1234:5678::1"),
        (None, "off", None),
        ("203.0.113.77", "truncate", "203.0.113.0"),
        ("203.0.113.0", "truncate", "203.0.113.0"),
        ("10.1.2.255", "truncate", "10.1.2.0"),
        ("2001:db8:1234:5678::1", "truncate", "2001:db8:1234::"),
        ("2001:db8:1234:ffff:ffff:ffff:ffff:ffff", "truncate", "2001:db8:1234::"),
        ("2001:db8::", "truncate", "2001:db8::"),
        ("::1", "truncate", "::"),
        ("::ffff:203.0.113.77", "truncate", "203.0.113.0"),
        ("[2001:db8:1234:5678::1]:443", "truncate", "2001:db8:1234::"),
        ("not-an-ip", "truncate", None),
        ("", "truncate", None),
        (None, "truncate", None),
        ("203.0.113.77", "drop", None),
        ("2001:db8::1", "drop", None),
        (None, "drop", None),
    ],
)
def test_truncate_ip(ip: str | None, mode: PrivacyMode, expected: str | None) -> None:
    assert truncate_ip(ip, mode) == expected


def test_an_unknown_mode_fails_closed() -> None:
    assert truncate_ip("203.0.113.77", "TRUNCATE") is None  # type: ignore[arg-type]


addresses = st.ip_addresses().map(str) | st.text(max_size=50)
modes = st.sampled_from(["off", "truncate", "drop"])


@given(ip=st.none() | addresses, mode=modes)
def test_truncate_ip_is_idempotent(ip: str | None, mode: PrivacyMode) -> None:
    once = truncate_ip(ip, mode)
    assert truncate_ip(once, mode) == once


@given(ip=st.ip_addresses(v=4))
def test_truncated_ipv4_keeps_the_first_three_octets(ip: IPv4Address) -> None:
    truncated = truncate_ip(str(ip), "truncate")
    assert truncated is not None
    assert truncated.split(".")[:3] == str(ip).split(".")[:3]
    assert truncated.endswith(".0")


@given(ip=st.ip_addresses(v=6))
def test_truncated_ipv6_has_no_bits_past_48(ip: IPv6Address) -> None:
    truncated = truncate_ip(str(ip), "truncate")
    assert truncated is not None
    address = IPv6Address(truncated) if ":" in truncated else None
    if address is not None:  # IPv4-mapped input truncates as IPv4
        assert int(address) & ((1 << 80) - 1) == 0
