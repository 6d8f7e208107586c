"""Labels of a time axis: which buckets get one (few, on round boundaries) and their text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from systemprompt_analytics.storage.dialect import Granularity

MAX_LABELS = 6
# Candidate distances between labels, in buckets, smallest first.
STEPS: dict[Granularity, tuple[int, ...]] = {
    "hour": (1, 2, 3, 6, 12, 24, 48, 72, 168, 336),
    "day": (1, 2, 7, 14, 28, 56),
    "week": (1, 2, 4, 8, 13, 26, 52),
    "month": (1, 2, 3, 6, 12, 24),
}


def _aligned(start: datetime, granularity: Granularity, step: int) -> bool:
    """Whether a bucket starting at ``start`` is on a round boundary for ``step``."""
    if granularity == "hour":
        if step <= 24:
            return start.hour % step == 0
        return start.hour == 0 and start.toordinal() % (step // 24) == 0
    if granularity == "day":
        if step == 1:
            return True
        if step in (7, 14):  # Mondays (every other one for 14)
            return start.weekday() == 0 and start.toordinal() // 7 % (step // 7) == 0
        return start.toordinal() % step == 0
    if granularity == "week":
        return start.toordinal() // 7 % step == 0
    return (start.month - 1) % step == 0


def tick_indices(
    starts: Sequence[datetime], granularity: Granularity, max_labels: int = MAX_LABELS
) -> list[int]:
    """Indices of the buckets to label: at most ``max_labels``, on round boundaries when
    possible, else evenly spread."""
    count = len(starts)
    if count == 0:
        return []
    for step in STEPS[granularity]:
        indices = [i for i, start in enumerate(starts) if _aligned(start, granularity, step)]
        if 1 <= len(indices) <= max_labels:
            return indices
    spacing = max(1, -(-count // max_labels))
    return list(range(0, count, spacing))[:max_labels]


def tick_label(start: datetime, granularity: Granularity) -> str:
    """Short axis text: ``14:00`` (a date at midnight), ``27 Nov``, ``Nov 2026``."""
    if granularity == "hour" and (start.hour or start.minute):
        return f"{start:%H:%M}"
    if granularity == "month":
        return f"{start:%b %Y}"
    return f"{start.day} {start:%b}"


def bucket_label(start: datetime, granularity: Granularity) -> str:
    """Full text of one bucket, for tooltips and data tables (UTC)."""
    if granularity == "hour":
        return f"{start:%a} {start.day} {start:%b %Y, %H:00} UTC"
    if granularity == "day":
        return f"{start:%a} {start.day} {start:%b %Y}"
    if granularity == "week":
        return f"week of {start.day} {start:%b %Y}"
    return f"{start:%B %Y}"
