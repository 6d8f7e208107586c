"""Hour-of-day distributions (UTC): when in the day things happen, all 24 hours listed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select
from sqlalchemy.sql import FromClause

from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.storage.dialect import bucket_start, time_bucket

HOURS_PER_DAY = 24


def hour_of_day(
    conn: Connection,
    source: FromClause,
    time_column: Any,
    where: ColumnElement[bool],
    count_name: str,
) -> list[dict[str, Any]]:
    """Rows of ``source`` per hour of the day (0-23, UTC), each with its share of all rows.

    Counted per hourly bucket in SQL (the same bucketing on both databases) and folded into
    hours of the day here: at most 24 rows per day of the window come back.
    """
    bucket = time_bucket(conn.dialect.name, time_column, "hour").label("bucket")
    counts = [0] * HOURS_PER_DAY
    statement = select(bucket, func.count()).select_from(source).where(where).group_by(bucket)
    for value, count in conn.execute(statement):
        counts[bucket_start(value).hour] += int(count)
    total = sum(counts)
    return [
        {"hour": hour, count_name: count, "share_of_all": ratio(count, total)}
        for hour, count in enumerate(counts)
    ]
