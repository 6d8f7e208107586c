"""``sp-analytics traffic sources|pages|navigation|geo|devices`` (registered by traffic_cmd)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.filter_options import (
    ChannelOption,
    IncludeBotsOption,
    SourceOption,
    path_option,
    session_filter,
)
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
    LimitOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.render import console, fmt_float, fmt_int, fmt_rate
from systemprompt_analytics.cli.report_output import write_outputs
from systemprompt_analytics.cli.tables import ColumnSpec, period_title, ranked_table, text
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.navigation import navigation
from systemprompt_analytics.reports.traffic import (
    TrafficReport,
    landing_pages,
    traffic_devices,
    traffic_geo,
    traffic_sources,
)

METRICS: list[ColumnSpec] = [
    ("sessions", "Sessions", fmt_int),
    ("share_of_all", "Share of all", fmt_rate),
    ("visitors", "Visitors", fmt_int),
    ("page_views", "Page views", fmt_int),
    ("bounce_rate", "Bounce rate", fmt_rate),
    ("avg_visit_duration_seconds", "Avg visit (s)", fmt_float),
]
LIST_TITLES = {
    "by_channel": ("Channels", [("channel", "Channel", text)]),
    "by_source": ("Sources", [("source", "Source", text)]),
    "landing_pages": ("Landing pages", [("path", "Landing page", text), ("title", "Title", text)]),
    "by_device_type": ("Device types", [("device_type", "Device", text)]),
    "by_browser": ("Browsers", [("browser", "Browser", text)]),
    "by_os": ("Operating systems", [("os", "OS", text)]),
}


class GeoBy(StrEnum):
    country = "country"
    region = "region"
    city = "city"


def _output(name: str, report: TrafficReport, json_output: bool, csv_file: Path | None) -> None:
    data = report.to_dict()
    if write_outputs(data, csv_file, report.csv_columns(), report.csv_rows(), json_output):
        return
    totals = report.totals
    include_bots = report.filters.include_bots
    scope = "all sessions" if include_bots else "human sessions"
    if report.filters.source is not None:
        scope += f" from {report.filters.source}"
    if report.filters.channel is not None:
        scope += f" in channel {report.filters.channel}"
    console.print(
        f"[bold]{period_title(name, report.period)}[/]\n"
        f"{fmt_int(totals['sessions'])} {scope}"
        + (f" ({fmt_int(totals['bot_sessions'])} bots)" if include_bots else "")
        + f", {fmt_int(totals['visitors'])} visitors, bounce rate "
        f"{fmt_rate(totals['bounce_rate'])}, average visit "
        f"{fmt_float(totals['avg_visit_duration_seconds'])} s",
        highlight=False,
    )
    for list_name, listed in report.lists.items():
        if list_name in LIST_TITLES:
            title, labels = LIST_TITLES[list_name]
        else:
            title = f"By {report.options.get('level', 'location')}"
            labels = [(label, label.title(), text) for label in listed.labels]
        bots: list[ColumnSpec] = [("bot_sessions", "Bots", fmt_int)] if include_bots else []
        columns = [*labels, *METRICS[:2], *bots, *METRICS[2:]]
        console.print(ranked_table(title, columns, listed.rows, listed.total_rows))


def sources_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Sessions by channel and by source host (referrer host, else UTM source).

    Each row: sessions and their share of all matching sessions (not of the rows shown),
    visitors, page views, bounce rate and average visit duration.
    """
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: traffic_sources(conn, period, where, limit))
    _output("Traffic sources", report, json_output, csv_file)


def pages_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Landing pages: the page each session started on, optionally for one --source or
    --channel, with registry titles where present."""
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: landing_pages(conn, period, where, limit))
    _output("Landing pages", report, json_output, csv_file)


def geo_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    by: Annotated[
        GeoBy,
        typer.Option(
            "--by", help="country, region or city (within its country).", case_sensitive=False
        ),
    ] = GeoBy.country,
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Sessions by country, region or city."""
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    level = by.value
    report = context.read(
        database_url,
        lambda conn: traffic_geo(conn, period, where, limit, level),  # type: ignore[arg-type]
    )
    _output("Geography", report, json_output, csv_file)


def devices_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Sessions by device type, browser and operating system."""
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: traffic_devices(conn, period, where, limit))
    _output("Devices", report, json_output, csv_file)


NAVIGATION_COLUMNS = ("from_path", "from_title", "to_path", "to_title", "transitions",
                      "share_of_all", "sessions")  # fmt: skip


def navigation_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    from_path: Annotated[
        str | None,
        typer.Option(
            "--from", help="Only transitions leaving this page (e.g. /pricing).", show_default=False
        ),
    ] = None,
    to_path: Annotated[
        str | None,
        typer.Option("--to", help="Only transitions reaching this page.", show_default=False),
    ] = None,
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Internal navigation: from which page to which, from consecutive page views of a session.

    Shares are of all matching transitions (with --from: of every transition leaving that page).
    """
    where = session_filter(include_bots, source, channel)
    start, end = path_option(from_path, "--from"), path_option(to_path, "--to")
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: navigation(conn, period, where, limit, start, end)
    )
    if write_outputs(report.to_dict(), csv_file, NAVIGATION_COLUMNS, report.rows, json_output):
        return
    totals = report.totals
    console.print(
        f"[bold]{period_title('Navigation', period)}[/]\n{fmt_int(totals['transitions'])} "
        f"transitions in {fmt_int(totals['sessions'])} sessions",
        highlight=False,
    )
    columns: list[ColumnSpec] = [
        ("from_path", "From", text),
        ("to_path", "To", text),
        ("transitions", "Transitions", fmt_int),
        ("share_of_all", "Share of all", fmt_rate),
        ("sessions", "Sessions", fmt_int),
    ]
    console.print(ranked_table("Transitions", columns, report.rows, report.total_rows))


def register(app: typer.Typer) -> None:
    app.command("sources")(sources_command)
    app.command("pages")(pages_command)
    app.command("navigation")(navigation_command)
    app.command("geo")(geo_command)
    app.command("devices")(devices_command)
