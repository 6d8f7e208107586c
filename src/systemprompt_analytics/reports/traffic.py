"""Traffic reports: sessions by source and channel, landing page, geography and device.

Every report groups the sessions started in the period that match a :class:`SessionFilter`
(human only unless bots are included; optionally one source host or channel). Each row carries
sessions and their share of the true total (all matching sessions, not the rows shown),
visitors, page views, bounce rate and average visit duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import (
    bot_session,
    bounce_session,
    capped_duration_seconds,
    content_path,
    human_session,
    in_period,
    page_view_session,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.repositories.content import add_registry_fields
from systemprompt_analytics.storage.schema import sessions

UNKNOWN = "(unknown)"
NO_SOURCE = "(none)"  # no referrer host and no UTM source: direct, internal, API clients
NO_LANDING_PAGE = "(none)"  # no page request opened the session (API-only sessions)
GeoLevel = Literal["country", "region", "city"]
GEO_LEVELS: tuple[GeoLevel, ...] = ("country", "region", "city")
DEVICE_DIMENSIONS = ("device_type", "browser", "os")
REGISTRY_COLUMNS = ("content_id", "slug", "title")


def _aggregates(dialect_name: str) -> list[ColumnElement[Any]]:
    return [
        func.count().label("sessions"),
        func.count().filter(bot_session()).label("bot_sessions"),
        func.count(distinct(sessions.c.visitor_hash)).label("visitors"),
        func.coalesce(func.sum(sessions.c.page_view_count), 0).label("page_views"),
        func.count().filter(page_view_session()).label("page_view_sessions"),
        func.count().filter(bounce_session(dialect_name)).label("bounces"),
        func.avg(capped_duration_seconds(dialect_name))
        .filter(human_session())
        .label("avg_duration"),
    ]


def _finish(row: dict[str, Any], total_sessions: int) -> dict[str, Any]:
    """Derived figures of a grouped row; the share is of every matching session."""
    avg_duration = row.pop("avg_duration")
    page_view_sessions = row.pop("page_view_sessions")
    row["share_of_all"] = ratio(row["sessions"], total_sessions)
    row["page_views"] = int(row["page_views"])
    row["bounce_rate"] = ratio(row["bounces"], page_view_sessions)
    row["avg_visit_duration_seconds"] = (
        None if avg_duration is None else round(float(avg_duration), 1)
    )
    return row


def session_totals(conn: Connection, period: Period, where: SessionFilter) -> dict[str, Any]:
    """The same figures over every matching session: the true total shares are taken of."""
    row = dict(
        conn.execute(
            select(*_aggregates(conn.dialect.name)).where(
                in_period(sessions.c.started_at, period), where.condition()
            )
        )
        .one()
        ._mapping
    )
    return _finish(row, int(row["sessions"]))


METRIC_COLUMNS = (
    "sessions",
    "share_of_all",
    "bot_sessions",
    "visitors",
    "page_views",
    "bounces",
    "bounce_rate",
    "avg_visit_duration_seconds",
)


@dataclass(frozen=True)
class Breakdown:
    """One grouped list: its rows (at most ``limit``) and how many groups there are in all."""

    labels: tuple[str, ...]  # the columns that name each row's group
    rows: list[dict[str, Any]]
    total_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "total_rows": self.total_rows}


def breakdown(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    keys: Sequence[ColumnElement[Any]],
    limit: int,
    total_sessions: int,
) -> Breakdown:
    """Sessions grouped by ``keys`` (labelled expressions), largest groups first."""
    window = and_(in_period(sessions.c.started_at, period), where.condition())
    statement = (
        select(*keys, *_aggregates(conn.dialect.name))
        .where(window)
        .group_by(*keys)
        .order_by(func.count().desc(), *keys)
        .limit(limit)
    )
    rows = [_finish(dict(row._mapping), total_sessions) for row in conn.execute(statement)]
    groups = select(*keys).where(window).group_by(*keys).subquery()
    total_rows = conn.execute(select(func.count()).select_from(groups)).scalar_one()
    return Breakdown(tuple(key.name for key in keys), rows, int(total_rows))


@dataclass(frozen=True)
class TrafficReport:
    period: Period
    filters: SessionFilter
    totals: dict[str, Any]
    lists: dict[str, Breakdown]
    options: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            **self.options,
            "totals": self.totals,
            **{name: listed.to_dict() for name, listed in self.lists.items()},
        }

    def csv_columns(self) -> tuple[str, ...]:
        labels = dict.fromkeys(name for listed in self.lists.values() for name in listed.labels)
        return ("list", *labels, *METRIC_COLUMNS)

    def csv_rows(self) -> list[dict[str, Any]]:
        """Every row of every list, with the list's name in ``list``."""
        return [{"list": name, **row} for name, listed in self.lists.items() for row in listed.rows]


def _labelled(column: Any, name: str, empty: str = UNKNOWN) -> ColumnElement[Any]:
    return func.coalesce(column, empty).label(name)


def _report(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int,
    lists: dict[str, Sequence[ColumnElement[Any]]],
    options: dict[str, Any] | None = None,
) -> TrafficReport:
    totals = session_totals(conn, period, where)
    built = {
        name: breakdown(conn, period, where, keys, limit, totals["sessions"])
        for name, keys in lists.items()
    }
    return TrafficReport(period, where, totals, built, options or {})


def traffic_sources(
    conn: Connection, period: Period, where: SessionFilter, limit: int = 20
) -> TrafficReport:
    """Sessions by channel and by source host (referrer host, else UTM source)."""
    c = sessions.c
    return _report(
        conn,
        period,
        where,
        limit,
        {
            "by_channel": [_labelled(c.channel, "channel")],
            "by_source": [_labelled(c.referrer_source, "source", NO_SOURCE)],
        },
    )


def landing_pages(
    conn: Connection, period: Period, where: SessionFilter, limit: int = 20
) -> TrafficReport:
    """Sessions by landing page (normalised path), with registry titles where present."""
    report = _report(
        conn,
        period,
        where,
        limit,
        {
            "landing_pages": [
                _labelled(content_path(sessions.c.landing_page), "path", NO_LANDING_PAGE)
            ]
        },
    )
    pages = report.lists["landing_pages"]
    add_registry_fields(conn, pages.rows)
    report.lists["landing_pages"] = replace(pages, labels=(*pages.labels, *REGISTRY_COLUMNS))
    return report


def traffic_geo(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    level: GeoLevel = "country",
) -> TrafficReport:
    """Sessions by country, or by region or city (each within its country)."""
    c = sessions.c
    columns = GEO_LEVELS[: GEO_LEVELS.index(level) + 1]
    keys = [_labelled(c[name], name) for name in columns]
    return _report(conn, period, where, limit, {"locations": keys}, {"level": level})


def traffic_devices(
    conn: Connection, period: Period, where: SessionFilter, limit: int = 20
) -> TrafficReport:
    """Sessions by device type, by browser and by operating system."""
    c = sessions.c
    return _report(
        conn,
        period,
        where,
        limit,
        {f"by_{name}": [_labelled(c[name], name)] for name in DEVICE_DIMENSIONS},
    )
