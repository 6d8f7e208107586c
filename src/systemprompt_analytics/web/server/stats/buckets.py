"""Trend buckets: the granularity a ``group_by`` names, and the longest series served.

A trend holds one row per bucket, zero-filled, so the number of rows is the period's length
over the bucket's: a century by hour would be 876,600 rows built in memory for one request.
The API caps a series at ``MAX_BUCKETS`` rows — as many as ``limit`` allows elsewhere — and
names ``group_by`` in the 422 so the caller picks a coarser bucket or a shorter period.
"""

from __future__ import annotations

from datetime import timedelta

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import MAX_LIMIT
from systemprompt_analytics.storage.dialect import Granularity

MAX_BUCKETS = MAX_LIMIT
GRANULARITY: dict[GroupBy, Granularity] = {
    GroupBy.hour: "hour",
    GroupBy.day: "day",
    GroupBy.week: "week",
    GroupBy.month: "month",
}
# The shortest length of each bucket, so the estimate never undercounts.
SHORTEST: dict[Granularity, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=28),
}


def bucket_count(period: Period, granularity: Granularity) -> int:
    """At least the number of buckets a trend over ``period`` has (the first one is floored,
    so it may start before ``since``)."""
    return period.length // SHORTEST[granularity] + 2


def checked_granularity(period: Period, granularity: Granularity) -> Granularity:
    """``granularity`` if a trend over ``period`` stays within ``MAX_BUCKETS``; otherwise
    InvalidInputError naming ``group_by``."""
    count = bucket_count(period, granularity)
    if count > MAX_BUCKETS:
        raise InvalidInputError(
            "group_by",
            f"a trend by {granularity} over this period would have about {count:,} buckets, "
            f"more than the {MAX_BUCKETS:,} served: choose a coarser group_by or a shorter "
            "period",
        )
    return granularity
