"""Exact percentiles from sorted value lists: the same numbers as ``percentile_cont`` over the
raw values, however the values are split into buckets; distinct counts from unioned key sets
(pure)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.storage.engine import percentile_cont
from systemprompt_analytics.storage.rollups.values import (
    INT32_MAX,
    INT32_MIN,
    SortedRuns,
    key_of,
    merge,
    merge_keys,
    pack,
    pack_keys,
    union_size,
    unpack,
    unpack_keys,
)

values = st.lists(st.integers(min_value=INT32_MIN, max_value=INT32_MAX), max_size=60)
fractions = st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.95, 0.99, 1.0]) | st.floats(0.0, 1.0)


@given(values)
def test_pack_keeps_every_value_sorted(found: list[int]) -> None:
    assert list(unpack(pack(found))) == sorted(found)


def test_unpack_of_nothing_is_empty() -> None:
    assert list(unpack(None)) == [] and list(unpack(b"")) == []


@given(st.lists(values, max_size=6))
def test_merge_is_the_sorted_union(parts: list[list[int]]) -> None:
    merged = merge([pack(part) for part in parts] + [None])
    assert list(unpack(merged)) == sorted(value for part in parts for value in part)


@given(st.lists(values, max_size=8), fractions)
def test_percentile_equals_percentile_cont_over_the_raw_values(
    parts: list[list[int]], fraction: float
) -> None:
    runs = SortedRuns(sorted(part) for part in parts)
    raw = [value for part in parts for value in part]
    assert runs.count == len(raw)
    assert runs.percentile(fraction) == percentile_cont([float(v) for v in raw], fraction)


@given(st.lists(values.filter(bool), min_size=1, max_size=5), st.data())
def test_nth_is_the_merged_order(parts: list[list[int]], data: st.DataObject) -> None:
    runs = SortedRuns(sorted(part) for part in parts)
    ordered = sorted(value for part in parts for value in part)
    index = data.draw(st.integers(0, len(ordered) - 1))
    assert runs.nth(index) == ordered[index]


def test_known_values() -> None:
    runs = SortedRuns([[1, 5], [2, 3, 4], []])
    assert runs.percentile(0.5) == 3.0
    assert runs.percentile(0.95) == pytest.approx(4.8)
    assert runs.percentile(0.0) == 1.0 and runs.percentile(1.0) == 5.0
    assert SortedRuns().percentile(0.5) is None


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="fraction"):
        SortedRuns([[1]]).percentile(1.5)
    with pytest.raises(IndexError):
        SortedRuns([[1]]).nth(1)


# Key sets: distinct counts that can be unioned across buckets.


@given(st.lists(st.lists(st.text(max_size=12), max_size=30), max_size=8))
def test_union_of_key_sets_counts_each_distinct_value_once(groups: list[list[str]]) -> None:
    blobs = [pack_keys(key_of(value) for value in group) for group in groups]
    merged = unpack_keys(merge_keys(blobs))
    distinct = {value for group in groups for value in group}
    assert len(merged) == len(distinct)
    assert list(merged) == sorted(merged)
    assert set(merged) == {key_of(value) for value in distinct}


def test_key_of_is_stable_and_64_bit() -> None:
    # Stable across processes and versions: stored sets must keep matching raw values.
    assert key_of("visitor-1") == key_of("visitor-1")
    assert key_of("visitor-1") != key_of("visitor-2")
    assert key_of("abc") == int.from_bytes(
        hashlib.blake2b(b"abc", digest_size=8).digest(), "little", signed=True
    )
    assert -(2**63) <= key_of("x") < 2**63


def test_empty_key_sets() -> None:
    assert len(unpack_keys(None)) == 0
    assert unpack_keys(merge_keys([None, b""])) == unpack_keys(pack_keys([]))


@given(
    st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40), max_size=6),
    st.integers(0, 3),
)
def test_union_size_counts_each_key_once_across_slices(
    runs: list[list[int]], extremes: int
) -> None:
    edges = [-(2**63), -(2**63) + 1, 2**63 - 1, 0][:extremes]  # the key space's ends
    sorted_runs = [unpack_keys(pack_keys([*run, *edges])) for run in runs]
    expected = len({key for run in sorted_runs for key in run})
    assert union_size(sorted_runs) == expected


def test_union_size_of_many_keys_uses_slices_and_stays_exact() -> None:
    shared = [key_of(f"visitor-{n}") for n in range(20_000)]
    runs = [unpack_keys(pack_keys(shared[n * 3_000 : n * 3_000 + 8_000])) for n in range(6)]
    assert union_size(runs) == len({key for run in runs for key in run}) == 20_000
    assert union_size([]) == 0
