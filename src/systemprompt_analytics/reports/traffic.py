"""Traffic reports: sessions by source and channel, landing page, geography and device.

Every report groups the sessions started in the period that match a :class:`SessionFilter`
(human only unless bots are included; optionally one source host or channel). Each row carries
sessions and their share of the true total (all matching sessions, not the rows shown),
visitors, page views, bounce rate and average visit duration. The figures come from the traffic
rollups, visitors exactly from their key sets (:mod:`.traffic_figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import Connection

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.rollup_facts import cuts, reader
from systemprompt_analytics.reports.traffic_figures import (
    Label,
    TrafficRollup,
    figures,
    label_visitors,
)
from systemprompt_analytics.storage.repositories.content import add_registry_fields

UNKNOWN = "(unknown)"
NO_SOURCE = "(none)"  # no referrer host and no UTM source: direct, internal, API clients
NO_LANDING_PAGE = "(none)"  # no page request opened the session (API-only sessions)
GeoLevel = Literal["country", "region", "city"]
GEO_LEVELS: tuple[GeoLevel, ...] = ("country", "region", "city")
DEVICE_DIMENSIONS = ("device_type", "browser", "os")
REGISTRY_COLUMNS = ("content_id", "slug", "title")

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


def _report(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int,
    rollup: str,
    lists: dict[str, Sequence[Label]],
    options: dict[str, Any] | None = None,
    *,
    use_rollups: bool = True,
) -> TrafficReport:
    """Totals and each list from one traffic rollup; the rows' visitors from its key sets,
    read once for the rows shown (by every key the lists need) and regrouped per list."""
    source = TrafficRollup(conn, reader(conn, use_rollups), rollup, cuts(period), where)
    found = source.grouped(lists, limit)
    keys = list(dict.fromkeys(label.key for labels in lists.values() for label in labels))
    fine = source.visitors(keys, [(lists[name], found[name].groups) for name in lists])
    visitors = {name: label_visitors(fine, keys, lists[name], found[name].groups) for name in lists}
    sums = next((listed.totals for listed in found.values() if listed.totals is not None), None)
    totals = figures(source.totals() if sums is None else sums, {}, source.total_visitors(), None)
    built: dict[str, Breakdown] = {}
    for name, labels in lists.items():
        listed = found[name]
        names = [label.name for label in labels]
        rows = [
            figures(row, dict(zip(names, group, strict=True)), visitors[name][group],
                    totals["sessions"])
            for row, group in zip(listed.sums, listed.groups, strict=True)
        ]  # fmt: skip
        built[name] = Breakdown(tuple(names), rows, listed.total_rows)
    return TrafficReport(period, where, totals, built, options or {})


def session_totals(
    conn: Connection, period: Period, where: SessionFilter, *, use_rollups: bool = True
) -> dict[str, Any]:
    """The report figures over every matching session: the true total shares are taken of."""
    return _report(conn, period, where, 0, "traffic_sources", {}, use_rollups=use_rollups).totals


def traffic_sources(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> TrafficReport:
    """Sessions by channel and by source host (referrer host, else UTM source)."""
    return _report(
        conn,
        period,
        where,
        limit,
        "traffic_sources",
        {
            "by_channel": [Label("channel", "channel", UNKNOWN)],
            "by_source": [Label("source", "source", NO_SOURCE)],
        },
        use_rollups=use_rollups,
    )


def landing_pages(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> TrafficReport:
    """Sessions by landing page (normalised path), with registry titles where present."""
    report = _report(
        conn,
        period,
        where,
        limit,
        "traffic_landing",
        {"landing_pages": [Label("path", "path", NO_LANDING_PAGE)]},
        use_rollups=use_rollups,
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
    *,
    use_rollups: bool = True,
) -> TrafficReport:
    """Sessions by country, or by region or city (each within its country)."""
    labels = [Label(name, name, UNKNOWN) for name in GEO_LEVELS[: GEO_LEVELS.index(level) + 1]]
    return _report(
        conn,
        period,
        where,
        limit,
        "traffic_geo",
        {"locations": labels},
        {"level": level},
        use_rollups=use_rollups,
    )


def traffic_devices(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> TrafficReport:
    """Sessions by device type, by browser and by operating system."""
    return _report(
        conn,
        period,
        where,
        limit,
        "traffic_devices",
        {f"by_{name}": [Label(name, name, UNKNOWN)] for name in DEVICE_DIMENSIONS},
        use_rollups=use_rollups,
    )
