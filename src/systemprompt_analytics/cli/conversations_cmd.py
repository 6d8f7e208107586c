"""``sp-analytics conversations stats|list|trends``."""

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
from systemprompt_analytics.cli.render import console, fmt_float, fmt_int, fmt_rate
from systemprompt_analytics.cli.report_output import output_report, output_trends, write_outputs
from systemprompt_analytics.cli.tables import (
    ColumnSpec,
    Formatter,
    bucket_label,
    figures_table,
    period_title,
    ranked_table,
    rows_table,
    text,
)
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.conversations import (
    CONVERSATION_COLUMNS,
    ConversationOrder,
    ConversationStats,
    conversation_list,
    conversation_stats,
    conversation_trends,
)
from systemprompt_analytics.reports.figures import STATS_CSV_COLUMNS

app = typer.Typer(
    help="Conversations: how many start, how long they get, with which agents.",
    no_args_is_help=True,
)

STAT_LABELS: dict[str, tuple[str, Formatter]] = {
    "started": ("Conversations started", fmt_int),
    "messages": ("Messages", fmt_int),
    "message_tokens": ("Message tokens", fmt_int),
    "avg_messages_per_conversation": ("Avg messages per conversation", fmt_float),
    "users": ("Users with conversations", fmt_int),
}
CONVERSATION_TABLE: list[ColumnSpec] = [
    ("id", "Conversation", text),
    ("title", "Title", text),
    ("agent", "Agent", text),
    ("user_id", "User", text),
    ("started_at", "Started (UTC)", lambda value: bucket_label(text(value))),
    ("messages", "Messages", fmt_int),
    ("tokens", "Tokens", fmt_int),
    ("duration_seconds", "Duration (s)", fmt_int),
]


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 10,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Conversations started, messages, average length and users against the previous
    period; conversations by agent and the --limit longest ones."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: conversation_stats(conn, period, limit))
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


def _render_stats(report: ConversationStats) -> None:
    title = period_title("Conversations", report.period)
    console.print(figures_table(title, report.figures, STAT_LABELS))
    by_agent = report.by_agent
    agent_columns: list[ColumnSpec] = [
        ("agent", "Agent", text),
        ("conversations", "Conversations", fmt_int),
        ("share_of_all", "Share", fmt_rate),
        ("messages", "Messages", fmt_int),
        ("avg_messages", "Avg messages", fmt_float),
    ]
    console.print(ranked_table("By agent", agent_columns, by_agent.rows, by_agent.total_rows))
    console.print(rows_table("Longest conversations", CONVERSATION_TABLE, report.longest))


@app.command("list")
def list_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 50,
    sort: Annotated[
        ConversationOrder,
        typer.Option(
            "--sort",
            help="recent (latest started first) or messages (longest first).",
            case_sensitive=False,
        ),
    ] = ConversationOrder.recent,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Conversations started in the period with their messages, tokens and duration."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: conversation_list(conn, period, limit, sort))
    rows = report.conversations.rows
    if write_outputs(report.to_dict(), csv_file, CONVERSATION_COLUMNS, rows, json_output):
        return
    title = period_title("Conversations", period)
    total_rows = report.conversations.total_rows
    console.print(ranked_table(title, CONVERSATION_TABLE, rows, total_rows))


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Conversations started and messages per hour, day, week or month (UTC); empty buckets
    show as zero."""
    period = resolve_period(since, until, datetime.now(UTC))
    granularity = group_by.value
    trends = context.read(
        database_url,
        lambda conn: conversation_trends(conn, period, granularity),  # type: ignore[arg-type]
    )
    title = f"Conversation trends by {granularity} (UTC)"
    output_trends(trends.to_dict(), trends, title, {}, json_output, csv_file)
