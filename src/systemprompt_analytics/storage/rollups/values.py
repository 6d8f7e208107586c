"""Exact percentiles from rollups: every value of a bucket, kept sorted in a compact blob.

A percentile cannot be added up over buckets, but sorted lists can be merged: the values of a
window are the union of its buckets' lists. The percentile is then found by order statistics
over those sorted lists (a binary search over the integer values, counting with ``bisect``),
interpolated like PostgreSQL's ``percentile_cont`` — so it equals the raw query's result
exactly, at the cost of storing each value once more (4 bytes).
"""

from __future__ import annotations

import hashlib
import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import repeat

VALUE_TYPECODE = "i"  # 32-bit signed: the columns kept here (latencies, durations) are INTEGER
WIDE_TYPECODE = "q"  # 64-bit signed: value lists of BIGINT columns (agent task durations)
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def pack(values: Iterable[int], typecode: str = VALUE_TYPECODE) -> bytes:
    """The values, sorted, as little-endian 32-bit (or ``typecode``) integers."""
    packed = array(typecode, sorted(values))
    if sys.byteorder == "big":  # pragma: no cover - the test machines are little-endian
        packed.byteswap()
    return packed.tobytes()


def unpack(blob: bytes | None, typecode: str = VALUE_TYPECODE) -> array[int]:
    """The sorted values of a blob made by :func:`pack` (an empty array for None)."""
    values = array(typecode)
    if blob:
        values.frombytes(blob)
        if sys.byteorder == "big":  # pragma: no cover
            values.byteswap()
    return values


def merge(blobs: Iterable[bytes | None], typecode: str = VALUE_TYPECODE) -> bytes:
    """One blob with every value of ``blobs``."""
    values: list[int] = []
    for blob in blobs:
        values.extend(unpack(blob, typecode))
    return pack(values, typecode)


class SortedRuns:
    """A multiset of integers held as sorted runs (one per bucket), with order statistics."""

    def __init__(self, runs: Iterable[Sequence[int]] = ()) -> None:
        self.runs: list[Sequence[int]] = []
        self.count = 0
        for run in runs:
            self.add(run)

    def add(self, run: Sequence[int]) -> None:
        """Add one sorted run (an empty one is ignored)."""
        if run:
            self.runs.append(run)
            self.count += len(run)

    def _rank(self, value: int) -> int:
        """How many values are <= ``value``."""
        return sum(map(bisect_right, self.runs, repeat(value)))

    def nth(self, index: int) -> int:
        """The value at 0-based ``index`` of the merged order."""
        if not 0 <= index < self.count:
            raise IndexError(f"index {index} outside 0..{self.count - 1}")
        low = min(run[0] for run in self.runs)
        high = max(run[-1] for run in self.runs)
        # The smallest value with more than ``index`` values at or below it.
        while low < high:
            middle = (low + high) // 2
            if self._rank(middle) > index:
                high = middle
            else:
                low = middle + 1
        return low

    def _after(self, value: int) -> int:
        """The smallest value greater than ``value`` (there must be one)."""
        return min(run[i] for run in self.runs if (i := bisect_right(run, value)) < len(run))

    def percentile(self, fraction: float) -> float | None:
        """``percentile_cont(fraction)``: linear interpolation between the two nearest ranks,
        computed as PostgreSQL computes it; None without values."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        if not self.count:
            return None
        position = (self.count - 1) * fraction
        lower, upper = math.floor(position), math.ceil(position)
        first = self.nth(lower)
        if upper == lower:
            return float(first)
        second = first if self._rank(first) > upper else self._after(first)
        weight = position - lower
        return float(first + (second - first) * weight)


# Distinct counts from rollups: each bucket keeps the *set* of its distinct keys (visitor
# hashes, user ids) as sorted 64-bit integers, and a window's distinct count is the size of the
# union of its buckets' sets — so it can be regrouped (cities into countries) and added across
# days without counting anyone twice. Keys are hashed to 64 bits (BLAKE2b): with a million
# distinct keys the chance of any two sharing a hash is about 3 in 100 million.
KEY_TYPECODE = "q"


@lru_cache(maxsize=65_536)  # a visitor or user recurs across the rows of an hour
def key_of(value: object) -> int:
    """The 64-bit key a raw value (a visitor hash, a user id) is counted by."""
    digest = hashlib.blake2b(str(value).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def pack_keys(keys: Iterable[int]) -> bytes:
    """The distinct keys, sorted, as little-endian 64-bit integers."""
    packed = array(KEY_TYPECODE, sorted(set(keys)))
    if sys.byteorder == "big":  # pragma: no cover - the test machines are little-endian
        packed.byteswap()
    return packed.tobytes()


def unpack_keys(blob: bytes | None) -> array[int]:
    """The sorted keys of a blob made by :func:`pack_keys` (empty for None)."""
    keys = array(KEY_TYPECODE)
    if blob:
        keys.frombytes(blob)
        if sys.byteorder == "big":  # pragma: no cover
            keys.byteswap()
    return keys


def merge_keys(blobs: Iterable[bytes | None]) -> bytes:
    """One blob with the union of the keys of ``blobs``."""
    union: set[int] = set()
    for blob in blobs:
        union.update(unpack_keys(blob))
    return pack_keys(union)


# Keys per slice of the key space when counting a union (a set this small stays in cache).
_KEYS_PER_SLICE = 4096


def union_size(runs: Sequence[Sequence[int]]) -> int:
    """How many distinct keys the sorted key runs (from :func:`unpack_keys`) hold together.

    Counted one slice of the 64-bit key space at a time — each run's part of a slice found by
    bisection, as runs are sorted — so that every slice's set stays small enough for the
    processor's cache: about twice as fast as adding every key to one large set."""
    total = sum(len(run) for run in runs)
    slices = min(256, max(1, total // _KEYS_PER_SLICE))
    if slices == 1:
        return len(set().union(*runs))
    width = 2**64 // slices
    bounds = [-(2**63) + width * index for index in range(1, slices)]
    edges = [[0, *(bisect_left(run, bound) for bound in bounds), len(run)] for run in runs]
    count = 0
    for index in range(slices):
        keys: set[int] = set()
        for run, run_edges in zip(runs, edges, strict=True):
            keys.update(run[run_edges[index] : run_edges[index + 1]])
        count += len(keys)
    return count
