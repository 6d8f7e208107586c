"""``sp-analytics traffic …``: where traffic comes from and how much of it is automated."""

from __future__ import annotations

from datetime import UTC, datetime

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
from systemprompt_analytics.cli.render import (
    console,
    err_console,
    fmt_int,
    fmt_rate,
    print_json,
    write_csv,
)
from systemprompt_analytics.cli.traffic_reports_cmd import register
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.bots import bot_traffic

app = typer.Typer(
    help="Traffic: sources and channels, landing pages, navigation, geography, devices, bots.",
    no_args_is_help=True,
)
register(app)


@app.command("bots")
def bots_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Human, engaged, ghost and bot sessions; bots by category and by reason.

    Every share is of all sessions in the period, not of the rows shown; reasons past --limit
    are summed into one row.
    """
    period = resolve_period(since, until, datetime.now(UTC))
    report = context.read(database_url, lambda conn: bot_traffic(conn, period, limit))
    if csv_file is not None:
        rows = [
            {
                "group": "category",
                "name": r["category"],
                "sessions": r["sessions"],
                "share_of_all": r["share_of_all"],
            }
            for r in report.by_category
        ]
        rows += [{"group": "reason", "name": r["reason"], "sessions": r["sessions"],
                  "share_of_all": r["share_of_all"]} for r in report.by_reason]  # fmt: skip
        write_csv(csv_file, ("group", "name", "sessions", "share_of_all"), rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(report.to_dict())
        return
    totals = report.totals
    summary = Table(
        title=f"Bot traffic  {period.since:%Y-%m-%d %H:%M} → {period.until:%Y-%m-%d %H:%M} UTC"
    )
    summary.add_column("Sessions")
    summary.add_column("Count", justify="right")
    summary.add_column("Share of all", justify="right")
    lines = (
        ("All sessions", "sessions"), ("Human", "human_sessions"),
        ("  engaged", "engaged_sessions"), ("  ghost", "ghost_sessions"),
        ("Bots", "bot_sessions"), ("  of which AI crawlers", "ai_crawler_sessions"),
        ("Throttled (any level)", "throttled_sessions"),
    )  # fmt: skip
    for label, key in lines:
        count = totals[key]
        share = count / totals["sessions"] if totals["sessions"] else None
        summary.add_row(label, fmt_int(count), fmt_rate(share))
    console.print(summary)
    for title, rows, key in (("Bots by category", report.by_category, "category"),
                             ("Bots by reason", report.by_reason, "reason")):  # fmt: skip
        table = Table(title=title)
        table.add_column(key.title(), overflow="fold")
        table.add_column("Sessions", justify="right")
        table.add_column("Share of all", justify="right")
        for row in rows:
            table.add_row(str(row[key]), fmt_int(row["sessions"]), fmt_rate(row["share_of_all"]))
        console.print(table)
