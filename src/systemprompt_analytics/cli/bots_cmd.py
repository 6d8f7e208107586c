"""``sp-analytics bots …``: the sessions flagged as automated, with their scores and signals."""

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
from systemprompt_analytics.cli.render import console, err_console, fmt_int, print_json, write_csv
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.bots import BOT_SESSION_COLUMNS, flagged_sessions

app = typer.Typer(
    help="Bots: flagged sessions with their scores and signals.", no_args_is_help=True
)


@app.command("sessions")
def sessions_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 50,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Bot sessions of the period, highest behavioural score first, with the signals that fired."""
    period = resolve_period(since, until, datetime.now(UTC))
    engine = context.open_engine(context.settings(database_url))
    try:
        with engine.connect() as conn:
            rows = flagged_sessions(conn, period, limit)
    finally:
        engine.dispose()
    if csv_file is not None:
        write_csv(csv_file, BOT_SESSION_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json({"period": period.to_dict(), "sessions": rows})
        return
    table = Table(title=f"Bot sessions ({len(rows)})")
    for column in ("Session", "Category", "Name", "Score", "Req", "Reason / signals"):
        table.add_column(column, overflow="fold")
    for row in rows:
        signals = ", ".join(s.get("signal", "?") for s in row["signals"] or [])
        detail = row["reason"] or ""
        if signals:
            detail = f"{detail} [{signals}]" if detail else signals
        score = str(row["behavioral_score"])
        table.add_row(
            row["id"][:13], str(row["category"]), row["bot_name"] or "", score,
            fmt_int(row["request_count"]), detail,
        )  # fmt: skip
    console.print(table)
