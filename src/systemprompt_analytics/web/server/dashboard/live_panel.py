"""Who is on the site now: the CLI's ``sessions live`` (human sessions active in the last
30 minutes, most recently active first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from systemprompt_analytics.reports.sessions import live_sessions
from systemprompt_analytics.web.server.dashboard.numbers import NONE, fmt_count, fmt_seconds
from systemprompt_analytics.web.server.dashboard.tables import Table

LIVE_SHOWN = 10
COLUMNS = ("Last active (UTC)", "Landing page", "Source", "Country", "Device", "Pages", "Duration")


def _clock(value: str) -> str:
    return f"{datetime.fromisoformat(value):%H:%M:%S}"


def live_table(conn: Connection, now: datetime) -> Table:
    rows = [
        (
            _clock(row["last_activity_at"]),
            row["landing_page"] or NONE,
            row["referrer_source"] or row["channel"] or NONE,
            row["country"] or NONE,
            " / ".join(part for part in (row["device_type"], row["browser"]) if part) or NONE,
            fmt_count(row["page_view_count"]),
            fmt_seconds(row["duration_seconds"]),
        )
        for row in live_sessions(conn, now, LIVE_SHOWN)
    ]
    return Table(COLUMNS, rows, numeric=frozenset({5, 6}))
