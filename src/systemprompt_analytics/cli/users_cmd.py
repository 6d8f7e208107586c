"""``sp-analytics users stats|top``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
    LimitOption,
    SinceOption,
    UntilOption,
)
from systemprompt_analytics.cli.platform_options import IncludeSyntheticOption
from systemprompt_analytics.cli.render import comparison_cells, console, fmt_int, fmt_rate, fmt_usd
from systemprompt_analytics.cli.report_output import output_report, write_outputs
from systemprompt_analytics.cli.tables import ColumnSpec, period_title, ranked_table, text
from systemprompt_analytics.models.period import parse_time, resolve_period
from systemprompt_analytics.reports.users import (
    STATS_CSV_COLUMNS,
    TOP_COLUMNS,
    UserRanking,
    UserStats,
    top_users,
    user_stats,
)

app = typer.Typer(
    help="Users: registered and anonymous, active users and visitors, top users by AI use.",
    no_args_is_help=True,
)

METRIC_LABELS = {
    "active_users": "Active users",
    "visitors": "Visitors",
    "new_users": "New users",
}
TOP_TABLE: list[ColumnSpec] = [
    ("user_id", "User", text),
    ("display_name", "Name", text),
    ("ai_requests", "AI requests", fmt_int),
    ("share_of_requests", "Share", fmt_rate),
    ("tokens", "Tokens", fmt_int),
    ("cost_usd", "Cost", fmt_usd),
    ("share_of_cost", "Cost share", fmt_rate),
    ("tasks", "Tasks", fmt_int),
    ("sessions", "Sessions", fmt_int),
]


@app.command("stats")
def stats_command(
    until: UntilOption = "now",
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Registered and anonymous users; active users, visitors and new users over the last
    24 hours, 7 days and 30 days (ending at --until), each against the window before it."""
    end = parse_time(until, datetime.now(UTC), "--until")
    report = context.read(database_url, lambda conn: user_stats(conn, end))
    output_report(report, STATS_CSV_COLUMNS, json_output, csv_file, _render_stats)


def _render_stats(report: UserStats) -> None:
    totals = report.totals
    console.print(
        f"[bold]Users until {report.until:%Y-%m-%d %H:%M} UTC[/]\n{fmt_int(totals['users'])} "
        f"users: {fmt_int(totals['registered'])} registered, {fmt_int(totals['anonymous'])} "
        "anonymous",
        highlight=False,
    )
    table = Table(caption="Each window is compared with the window of equal length before it.")
    table.add_column("Metric")
    for header in ("Window", "Current", "Previous", "Change"):
        table.add_column(header, justify="right")
    for metric, label in METRIC_LABELS.items():
        for window, figures in report.windows.items():
            value = figures[metric]
            cells = comparison_cells(
                value.current, value.previous, value.change_pct, False, fmt_int
            )
            table.add_row(label, window, *cells)
        table.add_section()
    console.print(table)


@app.command("top")
def top_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    by: Annotated[
        UserRanking,
        typer.Option("--by", help="Rank by AI requests or by AI cost.", case_sensitive=False),
    ] = UserRanking.requests,
    limit: LimitOption = 20,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Users by AI requests (or cost) with tokens, tasks and sessions. Shares are of every
    AI request and its cost in the period, including requests of no user."""
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(
        database_url, lambda conn: top_users(conn, period, limit, by, include_synthetic)
    )
    rows = report.users.rows
    if write_outputs(report.to_dict(), csv_file, TOP_COLUMNS, rows, json_output):
        return
    totals = report.totals
    console.print(
        f"[bold]{period_title('Top users', period)}[/]\n{fmt_int(totals['ai_requests'])} AI "
        f"requests costing {fmt_usd(totals['cost_usd'])} by {fmt_int(totals['users'])} users; "
        f"{fmt_int(totals['unattributed_requests'])} requests belong to no user",
        highlight=False,
    )
    console.print(ranked_table(f"Users by {by.value}", TOP_TABLE, rows, report.users.total_rows))
