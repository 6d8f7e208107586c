"""Zero-filled time series: bucket starts for a period, and rows keyed by bucket."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.dialect import Granularity, bucket_start


def floor_to_bucket(moment: datetime, granularity: Granularity) -> datetime:
    moment = moment.astimezone(UTC)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: datetime, granularity: Granularity) -> datetime:
    if granularity == "hour":
        return start + timedelta(hours=1)
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(weeks=1)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_starts(period: Period, granularity: Granularity) -> Iterator[datetime]:
    """Every bucket that overlaps ``[since, until)``, the first one floored."""
    current = floor_to_bucket(period.since, granularity)
    while current < period.until:
        yield current
        current = next_bucket(current, granularity)


def zero_filled(
    period: Period,
    granularity: Granularity,
    rows: Mapping[Any, Mapping[str, Any]],
    metrics: tuple[str, ...],
) -> list[dict[str, Any]]:
    """One row per bucket in order; buckets with no data get 0 for every metric."""
    by_start = {bucket_start(key): value for key, value in rows.items()}
    series = []
    for start in bucket_starts(period, granularity):
        found = by_start.get(start, {})
        series.append(
            {"bucket": start.isoformat(), **{name: found.get(name) or 0 for name in metrics}}
        )
    return series
