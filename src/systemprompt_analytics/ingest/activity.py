"""Session activity as the writer sees it, and how activities of one session merge.

Every request produces one :class:`SessionActivity`: the session's attributes (only known for
the first request of a session, ``None`` afterwards), counter increments, flags and times. The
writer merges all activities of one session in a batch into one row and upserts it with a
commutative update (counters add, times take min/max, flags OR, attributes fill in blanks), so
batches from any number of processes, in any order, converge on the same session row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from systemprompt_analytics.storage.schema import (
    SESSION_ATTRIBUTES as ATTRIBUTES,
)
from systemprompt_analytics.storage.schema import (
    SESSION_COUNTERS as COUNTERS,
)
from systemprompt_analytics.storage.schema import (
    SESSION_FLAGS as FLAGS,
)


@dataclass(slots=True)
class SessionActivity:
    session_id: str
    started_at: datetime
    at: datetime
    attributes: dict[str, Any] | None = None
    counters: dict[str, int] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass(slots=True)
class SessionDelta:
    """All activity of one session within one batch."""

    session_id: str
    started_at: datetime
    last_activity_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def from_activity(cls, activity: SessionActivity) -> SessionDelta:
        delta = cls(activity.session_id, activity.started_at, activity.at)
        delta.add(activity)
        return delta

    def add(self, activity: SessionActivity) -> None:
        # Once per request in every batch: comparisons instead of min()/max() calls, and
        # nothing to do for the (usual) empty attributes and flags.
        if activity.started_at < self.started_at:
            self.started_at = activity.started_at
        if activity.at > self.last_activity_at:
            self.last_activity_at = activity.at
        if activity.attributes:
            for key, value in activity.attributes.items():
                if value is not None and self.attributes.get(key) is None:
                    self.attributes[key] = value
        counters = self.counters
        for key, amount in activity.counters.items():
            counters[key] = counters.get(key, 0) + amount
        if activity.flags:
            for key, value in activity.flags.items():
                self.flags[key] = self.flags.get(key, False) or value

    def row(self) -> dict[str, Any]:
        """A ``sessions`` row with every merge column, so rows can be written together.

        Two shapes: with the descriptive attributes (a batch that saw the session's first
        request) or without them (later activity: only times, counters and flags), so the
        common case — a session that is already stored — moves a quarter of the columns.
        """
        row: dict[str, Any] = {
            "id": self.session_id,
            "started_at": self.started_at,
            "last_activity_at": self.last_activity_at,
        }
        if self.attributes:
            for name in ATTRIBUTES:
                row[name] = self.attributes.get(name)
            if row["source"] is None:
                row["source"] = "web"
        for name in COUNTERS:
            row[name] = self.counters.get(name, 0)
        for name in FLAGS:
            row[name] = self.flags.get(name, False)
        return row


def merge_activity(deltas: dict[str, SessionDelta], activity: SessionActivity) -> None:
    """Add ``activity`` to its session's delta in ``deltas`` (keyed by session id)."""
    delta = deltas.get(activity.session_id)
    if delta is None:
        deltas[activity.session_id] = SessionDelta.from_activity(activity)
    else:
        delta.add(activity)
