"""``sp-analytics content stats|top|trends|engagement|sync``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.filter_options import (
    ChannelOption,
    IncludeBotsOption,
    PathOption,
    SourceOption,
    fmt_trend,
    path_option,
    session_filter,
)
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
    console,
    err_console,
    fmt_change,
    fmt_float,
    fmt_int,
    fmt_rate,
    print_json,
)
from systemprompt_analytics.cli.report_output import write_outputs
from systemprompt_analytics.cli.tables import ColumnSpec, period_title, rows_table, text, trend_rows
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.content import registry_entries
from systemprompt_analytics.models.period import Period, resolve_period
from systemprompt_analytics.reports.content import (
    TOP_COLUMNS,
    TREND_COLUMNS,
    content_stats,
    content_trends,
    top_content,
)
from systemprompt_analytics.reports.definitions import READING_PATTERNS
from systemprompt_analytics.reports.engagement import (
    PAGE_COLUMNS,
    SESSION_PAGE_COLUMNS,
    UNKNOWN_PATTERN,
    page_engagement,
    session_engagement,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.repositories.content import SyncResult, sync_content

EXIT_REJECTED = 2

app = typer.Typer(
    help="Content: page views, visitors and engagement per page; the content registry.",
    no_args_is_help=True,
)

STAT_LABELS = {
    "page_views": ("Page views", fmt_int),
    "unique_visitors": ("Unique visitors", fmt_int),
    "pages_viewed": ("Pages viewed", fmt_int),
    "engaged_page_views": ("Page views with engagement", fmt_int),
    "avg_time_on_page_seconds": ("Avg time on page (s, 30-min cap)", fmt_float),
    "avg_scroll_depth": ("Avg scroll depth (%)", fmt_float),
}


def trends_json(
    period: Period,
    granularity: str,
    where: SessionFilter,
    page: str | None,
    series: list[dict[str, Any]],
) -> dict[str, Any]:
    """What ``content trends --json`` prints (and the stats API serves)."""
    return {
        "period": period.to_dict(),
        "group_by": granularity,
        "filters": {**where.to_dict(), "path": page},
        "series": series,
    }


def _pct(value: float | None) -> str:
    return fmt_change(value, "%")


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Content figures against the previous period, each with its trend (up, down, or flat
    within ±5%): page views, visitors, pages viewed, time on page, scroll depth."""
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: content_stats(conn, period, where))
    csv_columns = ("metric", "current", "previous", "change_pct", "trend")
    if write_outputs(report.to_dict(), csv_file, csv_columns, report.csv_rows(), json_output):
        return
    rows = []
    for name, figure in report.figures.items():
        label, formatter = STAT_LABELS[name]
        data = figure.to_dict()
        rows.append(
            {
                "metric": label,
                "current": formatter(data["current"]),
                "previous": formatter(data["previous"]),
                "change": _pct(data["change_pct"]),
                "trend": fmt_trend(data["trend"]),
            }
        )
    columns: list[ColumnSpec] = [
        ("metric", "Metric", text),
        ("current", "Current", str),
        ("previous", "Previous", str),
        ("change", "Change", str),
        ("trend", "Trend", str),
    ]
    console.print(rows_table(period_title("Content", period), columns, rows))


@app.command("top")
def top_command(
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
    """Pages by page views: share of ALL page views, visitors, time on page, scroll depth and
    the trend against the previous period."""
    where = session_filter(include_bots, source, channel)
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: top_content(conn, period, where, limit))
    if write_outputs(report.to_dict(), csv_file, TOP_COLUMNS, report.rows, json_output):
        return
    columns: list[ColumnSpec] = [
        ("path", "Page", text),
        ("title", "Title", text),
        ("page_views", "Views", fmt_int),
        ("share_of_all", "Share of all", fmt_rate),
        ("visitors", "Visitors", fmt_int),
        ("avg_time_on_page_seconds", "Time on page (s)", fmt_float),
        ("avg_scroll_depth", "Scroll (%)", fmt_float),
        ("change_pct", "Change", _pct),
        ("trend", "Trend", fmt_trend),
    ]
    title = f"{period_title('Top content', period)}  ({len(report.rows)} of {report.total_rows})"
    console.print(rows_table(title, columns, report.rows))


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    path: PathOption = None,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Page views, visitors, time on page and scroll depth per UTC bucket (all pages, or
    --path). Empty buckets show as zero; the current, partial bucket is included."""
    where = session_filter(include_bots, source, channel)
    page = path_option(path, "--path")
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    series = context.read(
        database_url,
        lambda conn: content_trends(conn, period, granularity, where, page),  # type: ignore[arg-type]
    )
    data = trends_json(period, granularity, where, page, series)
    if write_outputs(data, csv_file, TREND_COLUMNS, series, json_output):
        return
    columns: list[ColumnSpec] = [
        ("bucket", "Bucket", text),
        ("page_views", "Views", fmt_int),
        ("visitors", "Visitors", fmt_int),
        ("engaged_views", "Engaged views", fmt_int),
        ("avg_time_on_page_seconds", "Time on page (s)", fmt_float),
        ("avg_scroll_depth", "Scroll (%)", fmt_float),
    ]
    title = f"Content trends by {granularity} (UTC) {page or ''}"
    console.print(rows_table(title, columns, trend_rows(series)))


@app.command("engagement")
def engagement_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    path: PathOption = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="Show one session's engagement page by page instead (the period is ignored).",
            show_default=False,
        ),
    ] = None,
    limit: LimitOption = 20,
    include_bots: IncludeBotsOption = False,
    source: SourceOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Engagement per page: time on page, scroll depth, rage and dead clicks, reading-pattern
    mix; or, with --session ID, one session page by page and whether it bounced."""
    if session is not None:
        _session_engagement(session.strip(), json_output, csv_file, database_url)
        return
    where = session_filter(include_bots, source, channel)
    page = path_option(path, "--path")
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: page_engagement(conn, period, where, limit, page)
    )
    flat = report.csv_rows()
    if write_outputs(report.to_dict(), csv_file, PAGE_COLUMNS, flat, json_output):
        return
    columns: list[ColumnSpec] = [
        ("path", "Page", text),
        ("engaged_views", "Views", fmt_int),
        ("avg_time_on_page_seconds", "Time on page (s)", fmt_float),
        ("avg_scroll_depth", "Scroll (%)", fmt_float),
        ("rage_clicks", "Rage clicks", fmt_int),
        ("dead_clicks", "Dead clicks", fmt_int),
        *(
            (f"pattern_{name}_share", name.title(), fmt_rate)
            for name in (*READING_PATTERNS, UNKNOWN_PATTERN)
        ),
    ]
    title = f"{period_title('Engagement', period)}  ({len(flat)} of {report.total_rows} pages)"
    console.print(rows_table(title, columns, flat))


def _session_engagement(
    session_id: str, json_output: bool, csv_file: Path | None, database_url: str | None
) -> None:
    if not session_id:
        raise InvalidInputError("--session", "must not be empty")
    report = context.read(database_url, lambda conn: session_engagement(conn, session_id))
    if write_outputs(report.to_dict(), csv_file, SESSION_PAGE_COLUMNS, report.pages, json_output):
        return
    info, summary = report.session, report.summary
    verdict = "bounce" if info["is_bounce"] else "not a bounce"
    kind = "bot" if info["is_bot"] else "human"
    console.print(
        f"[bold]Session {info['id']}[/] ({kind}, {verdict})\n"
        f"started {info['started_at']}, {fmt_float(info['duration_seconds'])} s, "
        f"{fmt_int(info['page_view_count'])} page views, landing {info['landing_page'] or '–'}, "
        f"source {info['referrer_source'] or info['channel'] or '–'}\n"
        f"time on page {fmt_float(summary['time_on_page_seconds'])} s, average scroll "
        f"{fmt_float(summary['avg_scroll_depth'])}%, {summary['clicks']} clicks "
        f"({summary['rage_clicks']} rage, {summary['dead_clicks']} dead); events: "
        + (", ".join(f"{name} {count}" for name, count in report.events.items()) or "none"),
        highlight=False,
    )
    columns: list[ColumnSpec] = [
        ("occurred_at", "At", text),
        ("path", "Page", text),
        ("time_on_page_seconds", "Time on page (s)", fmt_float),
        ("max_scroll_depth", "Scroll (%)", fmt_int),
        ("clicks", "Clicks", fmt_int),
        ("rage_clicks", "Rage", fmt_int),
        ("dead_clicks", "Dead", fmt_int),
        ("reading_pattern", "Pattern", text),
    ]
    console.print(rows_table("Pages", columns, report.pages))


def _read_document(file: Path) -> list[Any]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError("FILE", f"{file} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            "FILE", f"{file} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except OSError as exc:
        raise InvalidInputError("FILE", f"cannot read {file}: {exc.strerror}") from None
    try:
        return registry_entries(document)
    except ValueError as exc:
        raise InvalidInputError("FILE", str(exc)) from None


@app.command("sync")
def sync_command(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSON file: {"items": [{"id", "path", "slug", "title", "kind", '
            '"published_at", "updated_at"}, …]} (docs/content-and-traffic.md).',
            metavar="FILE",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Also delete registered items whose id is not in FILE (skipped when any entry "
            "is rejected).",
        ),
    ] = False,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create or update the content registry (id, path, slug, title, kind) from a JSON file.

    Every entry is validated; valid entries are stored even when others are rejected, and each
    rejected entry is listed by index and field with exit code 2.
    """
    entries = _read_document(file)
    now = datetime.now(UTC)
    engine = context.open_engine(context.settings(database_url))
    try:
        with engine.begin() as conn:
            result = sync_content(conn, entries, now, prune)
    finally:
        engine.dispose()
    _report_sync(result, json_output)
    if result.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _report_sync(result: SyncResult, json_output: bool) -> None:
    if json_output:
        print_json(result.to_dict())
    else:
        pruned = " (prune skipped: some entries were rejected)" if result.prune_skipped else ""
        console.print(
            f"Content registry: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.pruned} pruned{pruned}",
            highlight=False,
        )
    for error in result.rejected:
        err_console.print(
            f"[bold red]Rejected items[{error.index}].{error.field}:[/] {error.error}",
            highlight=False,
        )
    if result.rejected:
        err_console.print(
            f"{len(result.rejected)} entries rejected; the valid ones were stored.",
            highlight=False,
        )
