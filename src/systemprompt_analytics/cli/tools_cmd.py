"""``sp-analytics tools list|stats|show|trends``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

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
from systemprompt_analytics.cli.render import console, fmt_int, fmt_rate
from systemprompt_analytics.cli.report_output import output_report, output_trends, write_outputs
from systemprompt_analytics.cli.tables import (
    ColumnSpec,
    Formatter,
    figures_table,
    period_title,
    ranked_table,
    rows_table,
    text,
)
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.figures import STATS_CSV_COLUMNS
from systemprompt_analytics.reports.tools import (
    LIST_COLUMNS,
    ToolStats,
    tool_list,
    tool_show,
    tool_stats,
    tool_trends,
)

app = typer.Typer(
    help="MCP tools: executions, success rate (success / all), latency, errors, who uses them.",
    no_args_is_help=True,
)

STAT_LABELS: dict[str, tuple[str, Formatter]] = {
    "tools": ("Tools used", fmt_int),
    "executions": ("Executions", fmt_int),
    "succeeded": ("Succeeded", fmt_int),
    "failed": ("Failed", fmt_int),
    "timeouts": ("Timed out", fmt_int),
    "success_rate": ("Success rate (success / all)", fmt_rate),
    "avg_duration_ms": ("Avg latency (ms)", fmt_int),
    "p95_duration_ms": ("p95 latency (ms)", fmt_int),
}
LIST_TABLE: list[ColumnSpec] = [
    ("tool", "Tool", text),
    ("server", "Server", text),
    ("executions", "Executions", fmt_int),
    ("share_of_executions", "Share", fmt_rate),
    ("failed", "Failed", fmt_int),
    ("timeouts", "Timeouts", fmt_int),
    ("success_rate", "Success", fmt_rate),
    ("avg_duration_ms", "Avg (ms)", fmt_int),
    ("p95_duration_ms", "p95 (ms)", fmt_int),
]
TREND_FORMATS: dict[str, Formatter] = {
    "success_rate": fmt_rate,
}


@app.command("list")
def list_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Tools (per server) by executions: outcomes, success rate, latency (avg, p95). Shares
    are of all executions, not of the rows shown."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: tool_list(conn, period, limit))
    rows = report.tools.rows
    if write_outputs(report.to_dict(), csv_file, LIST_COLUMNS, rows, json_output):
        return
    totals = report.totals
    console.print(
        f"[bold]{period_title('Tools', period)}[/]\n{fmt_int(totals['executions'])} executions "
        f"of {fmt_int(totals['tools'])} tools, success rate {fmt_rate(totals['success_rate'])}, "
        f"p95 latency {fmt_int(totals['p95_duration_ms'])} ms",
        highlight=False,
    )
    console.print(ranked_table("Tools", LIST_TABLE, rows, report.tools.total_rows))


def _render_stats(report: ToolStats) -> None:
    name = f"Tool {report.tool}" if report.tool is not None else "Tools"
    console.print(figures_table(period_title(name, report.period), report.figures, STAT_LABELS))
    share: ColumnSpec = ("share_of_all", "Share", fmt_rate)
    executions: ColumnSpec = ("executions", "Executions", fmt_int)
    console.print(
        rows_table(
            "Executions by status",
            [("status", "Status", text), executions, share],
            report.status_breakdown,
        )
    )
    errors = report.top_errors
    console.print(
        rows_table(
            f"Top errors ({errors.total_rows} distinct)",
            [("error", "Error", text), executions, ("share_of_all", "Share of failures", fmt_rate)],
            errors.rows,
        )
    )
    usage_columns: list[ColumnSpec] = [
        executions,
        share,
        ("success_rate", "Success", fmt_rate),
        ("avg_duration_ms", "Avg (ms)", fmt_int),
    ]
    for title, label, listed in (
        ("By agent", "agent", report.by_agent),
        ("By server", "server", report.by_server),
    ):
        columns: list[ColumnSpec] = [(label, label.title(), text), *usage_columns]
        console.print(ranked_table(title, columns, listed.rows, listed.total_rows))


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 10,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """All tools against the previous period; executions by status, top errors (--limit, the
    rest summed), usage by agent and by server."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: tool_stats(conn, period, limit))
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="The tool's name, as reported (e.g. web.search).")],
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 10,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """One tool: figures against the previous period, executions by status, top errors,
    usage by agent and by server. A tool never reported is an error (exit 2)."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: tool_show(conn, period, name, limit))
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    tool: Annotated[
        str | None, typer.Option("--tool", help="Only this tool.", show_default=False)
    ] = None,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Executions by outcome, success rate and latency per hour, day, week or month (UTC);
    empty buckets show as zero (latency as none)."""
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    trends = context.read(
        database_url,
        lambda conn: tool_trends(conn, period, granularity, tool),  # type: ignore[arg-type]
    )
    scope = f"Tool {tool}" if tool is not None else "Tool"
    title = f"{scope} trends by {granularity} (UTC)"
    output_trends(trends.to_dict(), trends, title, TREND_FORMATS, json_output, csv_file)
