"""``sp-analytics activity trends``."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    GroupBy,
    GroupByOption,
    JsonOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.platform_options import IncludeSyntheticOption
from systemprompt_analytics.cli.report_output import output_trends
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.activity import activity_trends

app = typer.Typer(
    help="Platform activity over time: sessions, conversations, tasks, AI requests, tools.",
    no_args_is_help=True,
)


@app.command("trends")
def trends_command(
    since: SinceOption = "30d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Per day (or hour, week, month; UTC): human sessions, conversations and agent tasks
    started, AI requests and tool executions. Empty buckets show as zero."""
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    report = context.read(
        database_url,
        lambda conn: activity_trends(conn, period, granularity, include_synthetic),  # type: ignore[arg-type]
    )
    title = f"Platform activity by {granularity} (UTC)"
    output_trends(report.to_dict(), report.trends, title, {}, json_output, csv_file)
