"""The window a cost report covers: the one asked for, or the default one widened while empty.

Without ``--since`` a cost report covers the last 24 hours; when those hold no AI request
that the report counts, it widens to the last 7 days, then to the last 30 days, and says
which window it used (as the original crate did). A window asked for is never widened, and
when all three default windows are empty the 24 hours stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, select

from systemprompt_analytics.models.period import Period, parse_time, resolve_period
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.storage.schema import ai_requests

DEFAULT_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)
_SPOKEN = {"24h": "24 h", "7d": "7 d", "30d": "30 d"}


@dataclass(frozen=True)
class CostWindow:
    """``default`` is true when no ``--since`` was given; ``used`` names the default window
    the report covers and ``tried`` every default window looked at, in order."""

    period: Period
    default: bool
    used: str | None = None
    tried: tuple[str, ...] = ()

    @property
    def widened(self) -> bool:
        return self.default and self.used != DEFAULT_WINDOWS[0][0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "default": self.default,
            "used": self.used,
            "widened": self.widened,
            "tried": list(self.tried),
            "note": self.describe(),
        }

    def describe(self) -> str:
        if not self.default:
            return "The window asked for (--since)."
        if self.widened:
            empty = " or ".join(_SPOKEN[name] for name in self.tried[:-1])
            return (
                f"No AI requests in the last {empty}: widened to the last "
                f"{_SPOKEN[self.used or '']}."
            )
        if len(self.tried) > 1:
            tried = ", ".join(_SPOKEN[name] for name in self.tried[:-1])
            return (
                f"No AI requests in the last {tried} or {_SPOKEN[self.tried[-1]]}: "
                "showing the default last 24 h."
            )
        return "The default window: the last 24 h."


def default_periods(until: datetime) -> list[tuple[str, Period]]:
    """The default windows, narrowest first, each ending at ``until``."""
    return [(name, Period(until - length, until)) for name, length in DEFAULT_WINDOWS]


def has_requests(conn: Connection, period: Period, where: RequestFilter) -> bool:
    found = exists().where(in_period(ai_requests.c.requested_at, period), where.condition())
    return bool(conn.execute(select(found)).scalar_one())


def cost_window(
    conn: Connection, since: str | None, until: str | None, now: datetime, where: RequestFilter
) -> CostWindow:
    """The window for ``--since``/``--until``; without ``--since``, the narrowest default
    window (ending at ``--until`` or now) that holds a request matching ``where``."""
    if since is not None:
        return CostWindow(resolve_period(since, until, now), default=False)
    end = parse_time(until, now, "--until") if until is not None else now
    candidates = default_periods(end)
    tried: list[str] = []
    for name, period in candidates:
        tried.append(name)
        if has_requests(conn, period, where):
            return CostWindow(period, default=True, used=name, tried=tuple(tried))
    name, period = candidates[0]
    return CostWindow(period, default=True, used=name, tried=tuple(tried))
