"""Splitting a report's window into daily buckets, hourly buckets and raw rows (pure): the
parts cover the window exactly, no bucket straddles a boundary the report compares across,
and nothing dirty or not yet rolled up is read from a rollup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.storage.rollups.source import Plan, plan_window
from systemprompt_analytics.storage.rollups.state import DAY, HOUR, Coverage, floor_hour

ORIGIN = datetime(2026, 10, 1, tzinfo=UTC)
moments = st.integers(0, 24 * 60 * 12).map(lambda minutes: ORIGIN + timedelta(minutes=minutes))
hours = st.integers(0, 24 * 12).map(lambda count: ORIGIN + count * HOUR)


def _parts(plan: Plan) -> list[tuple[str, datetime, datetime]]:
    return sorted(
        [("daily", *part) for part in plan.daily]
        + [("hourly", *part) for part in plan.hourly]
        + [("raw", *part) for part in plan.raw],
        key=lambda part: part[1],
    )


@given(
    st.lists(moments, min_size=2, max_size=4, unique=True).map(sorted),
    st.none() | hours,
    st.frozensets(hours, max_size=6),
    st.booleans(),
)
def test_the_parts_cover_the_window_exactly(
    cuts: list[datetime], covered: datetime | None, dirty: frozenset[datetime], days: bool
) -> None:
    plan = plan_window(cuts, Coverage(covered, dirty), days=days)
    parts = _parts(plan)
    assert parts[0][1] == cuts[0] and parts[-1][2] == cuts[-1]
    for (_, _, end), (_, start, _) in pairwise(parts):
        assert end == start  # no gap, no overlap
    for kind, start, end in parts:
        assert start < end
        if kind == "raw":
            continue
        assert covered is not None and end <= covered
        assert start == floor_hour(start) and end == floor_hour(end)
        step = DAY if kind == "daily" else HOUR
        bucket = start
        while bucket < end:
            assert not any(bucket < cut < bucket + step for cut in cuts), "a bucket straddles"
            assert not any(bucket <= hour < bucket + step for hour in dirty)
            if kind == "daily":
                assert days and bucket.hour == 0
            bucket += step
        assert bucket == end
    if not days:
        assert plan.daily == ()


def test_a_typical_window() -> None:
    since = datetime(2026, 10, 2, 13, 30, tzinfo=UTC)
    until = datetime(2026, 10, 5, 9, 15, tzinfo=UTC)
    dirty = frozenset({datetime(2026, 10, 4, 7, tzinfo=UTC)})
    plan = plan_window([since, until], Coverage(datetime(2026, 10, 5, 8, tzinfo=UTC), dirty))
    assert plan.daily == ((datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC)),)
    assert plan.hourly == (
        (datetime(2026, 10, 2, 14, tzinfo=UTC), datetime(2026, 10, 3, tzinfo=UTC)),
        (datetime(2026, 10, 4, tzinfo=UTC), datetime(2026, 10, 4, 7, tzinfo=UTC)),
        (datetime(2026, 10, 4, 8, tzinfo=UTC), datetime(2026, 10, 5, 8, tzinfo=UTC)),
    )
    assert plan.raw == (
        (since, datetime(2026, 10, 2, 14, tzinfo=UTC)),
        (datetime(2026, 10, 4, 7, tzinfo=UTC), datetime(2026, 10, 4, 8, tzinfo=UTC)),
        (datetime(2026, 10, 5, 8, tzinfo=UTC), until),
    )


def test_nothing_rolled_up_is_all_raw() -> None:
    cuts = [ORIGIN, ORIGIN + timedelta(days=3)]
    assert plan_window(cuts, Coverage()) == Plan(raw=((cuts[0], cuts[1]),))
