"""``sp-analytics sessions stats|trends|live``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    GroupBy,
    GroupByOption,
    JsonOption,
    LimitOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.render import (
    comparison_cells,
    console,
    err_console,
    fmt_float,
    fmt_int,
    fmt_rate,
    print_json,
    session_label,
    write_csv,
)
from systemprompt_analytics.models.period import Period, resolve_period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.sessions import (
    LIVE_COLUMNS,
    TREND_METRICS,
    live_sessions,
    session_stats,
    session_trends,
)

# The live table's columns; the first two (which session, when) are never cut, the rest share
# what a narrow terminal leaves.
LIVE_TABLE_COLUMNS = (
    "Session", "Last seen", "Duration", "Req", "Pages", "Landing", "Source", "Country", "Device",
    "User",
)  # fmt: skip

app = typer.Typer(
    help="Sessions: stats against the previous period, trends, and who is on the site now.",
    no_args_is_help=True,
)

STAT_LABELS = {
    "created": ("Human sessions started", fmt_int),
    "active_now": ("Active now", fmt_int),
    "unique_visitors": ("Unique visitors", fmt_int),
    "avg_duration_seconds": ("Avg duration (s, 30-min cap)", fmt_float),
    "avg_requests_per_session": ("Avg requests per session", fmt_float),
    "conversion_rate": ("Conversion rate", fmt_rate),
    "bot_sessions": ("Bot sessions", fmt_int),
}


def trends_json(period: Period, granularity: str, series: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``sessions trends --json`` prints (and the stats API serves)."""
    return {"period": period.to_dict(), "group_by": granularity, "series": series}


def live_json(now: datetime, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``sessions live --json`` prints (and the stats API serves)."""
    return {"generated_at": now.isoformat(), "sessions": rows}


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Session figures against the previous period (human sessions only).

    Sessions started, active now, unique visitors, average duration, requests per session,
    conversion rate and bot sessions.
    """
    now = datetime.now(UTC)
    period = resolve_period(since, until, now)
    report = context.read(database_url, lambda conn: session_stats(conn, period, now))
    rows = []
    for name, value in report.figures.items():
        if isinstance(value, Comparison):
            change = value.change_pts if value.kind == "rate" else value.change_pct
            rows.append(
                {
                    "metric": name,
                    "current": value.current,
                    "previous": value.previous,
                    "change": change,
                }
            )
        else:
            rows.append({"metric": name, "current": value, "previous": None, "change": None})
    if csv_file is not None:
        write_csv(csv_file, ("metric", "current", "previous", "change"), rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(report.to_dict())
        return
    table = Table(
        title=f"Sessions  {period.since:%Y-%m-%d %H:%M} → {period.until:%Y-%m-%d %H:%M} UTC"
    )
    for column, justify in (
        ("Metric", "left"),
        ("Current", "right"),
        ("Previous", "right"),
        ("Change", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for name, value in report.figures.items():
        label, formatter = STAT_LABELS[name]
        if isinstance(value, Comparison):
            change = value.change_pts if value.kind == "rate" else value.change_pct
            cells = comparison_cells(
                value.current, value.previous, change, value.kind == "rate", formatter
            )
            table.add_row(label, *cells)
        else:
            table.add_row(label, formatter(value), "", "")
    console.print(table)


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Sessions per hour, day, week or month (UTC); empty buckets show as zero.

    Human sessions, visitors, bot sessions and conversions.
    """
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    series = context.read(database_url, lambda conn: session_trends(conn, period, granularity))  # type: ignore[arg-type]
    columns = ("bucket", *TREND_METRICS)
    if csv_file is not None:
        write_csv(csv_file, columns, series)
        err_console.print(f"Wrote {len(series)} rows to {csv_file}")
    if json_output:
        print_json(trends_json(period, granularity, series))
        return
    table = Table(title=f"Session trends by {granularity} (UTC)")
    table.add_column("Bucket")
    for name in TREND_METRICS:
        table.add_column(name.replace("_", " ").title(), justify="right")
    for row in series:
        table.add_row(
            row["bucket"][:16].replace("T", " "), *(fmt_int(row[n]) for n in TREND_METRICS)
        )
    console.print(table)


@app.command("live")
def live_command(
    limit: LimitOption = 50,
    include_bots: Annotated[
        bool, typer.Option("--include-bots", help="Also list bot sessions (flagged).")
    ] = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Sessions active in the last 30 minutes, most recent first."""
    now = datetime.now(UTC)
    rows = context.read(database_url, lambda conn: live_sessions(conn, now, limit, include_bots))
    if csv_file is not None:
        write_csv(csv_file, LIVE_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(live_json(now, rows))
        return
    table = Table(title=f"Live sessions ({len(rows)})")
    for index, column in enumerate(LIVE_TABLE_COLUMNS):
        table.add_column(column, no_wrap=index < 2)
    for row in rows:
        source = row["referrer_source"] or row["channel"] or "direct"
        if row["is_bot"]:
            source = f"[bot] {row['bot_name'] or ''}"
        table.add_row(
            session_label(row["id"]),
            row["last_activity_at"][11:19],
            f"{row['duration_seconds'] // 60}m",
            fmt_int(row["request_count"]),
            fmt_int(row["page_view_count"]),
            row["landing_page"] or "",
            source,
            row["country"] or "",
            row["device_type"] or "",
            row["user_id"] or "",
        )
    console.print(table)
