"""``sp-analytics bots …``: the sessions flagged as automated, with their scores and signals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

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
    print_json,
    session_label,
    write_csv,
)
from systemprompt_analytics.detection.reputation import Reputation
from systemprompt_analytics.detection.throttle import ThrottleLevel
from systemprompt_analytics.jobs.reputation import ReputationJob
from systemprompt_analytics.models.period import Period, resolve_period
from systemprompt_analytics.reports.bots import BOT_SESSION_COLUMNS, flagged_sessions
from systemprompt_analytics.storage.repositories.reputation import high_risk

app = typer.Typer(
    help="Bots: flagged sessions with their signals, high-risk fingerprints, reputation.",
    no_args_is_help=True,
)


def sessions_json(period: Period, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``bots sessions --json`` prints (and the stats API serves)."""
    return {"period": period.to_dict(), "sessions": rows}


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
    rows = context.read(database_url, lambda conn: flagged_sessions(conn, period, limit))
    if csv_file is not None:
        write_csv(csv_file, BOT_SESSION_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(sessions_json(period, rows))
        return
    table = Table(title=f"Bot sessions ({len(rows)})")
    for column in ("Session", "Category", "Name", "Score", "Throttle", "Req", "Reason / signals"):
        table.add_column(column, overflow="fold", no_wrap=column == "Session")
    for row in rows:
        signals = ", ".join(s.get("signal", "?") for s in row["signals"] or [])
        detail = row["reason"] or ""
        if signals:
            detail = f"{detail} [{signals}]" if detail else signals
        score = str(row["behavioral_score"])
        level = ThrottleLevel(row["throttle_level"]).label
        table.add_row(
            session_label(row["id"]), str(row["category"]), row["bot_name"] or "", score, level,
            fmt_int(row["request_count"]), detail,
        )  # fmt: skip
    console.print(table)


FINGERPRINT_COLUMNS = (
    "fingerprint_hash",
    "reputation_score",
    "is_flagged",
    "flag_reason",
    "abuse_incidents",
    "last_incident_at",
    "session_count",
    "request_count",
    "peak_requests_per_minute",
    "first_seen_at",
    "last_seen_at",
    "last_user_agent",
)


@app.command("fingerprints")
def fingerprints_command(
    limit: LimitOption = 50,
    update: Annotated[
        bool,
        typer.Option("--update", help="Run the reputation job for the last hour first."),
    ] = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """High-risk fingerprints: flagged first, then the lowest reputation scores."""
    engine = context.open_engine(context.settings(database_url))
    try:
        if update:
            result = ReputationJob(engine).run(datetime.now(UTC))
            err_console.print(f"Reputation job: {result.message}")
        with engine.connect() as conn:
            found = fingerprints_json(high_risk(conn, limit))
    finally:
        engine.dispose()
    rows = found["fingerprints"]
    if csv_file is not None:
        write_csv(csv_file, FINGERPRINT_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(found)
        return
    table = Table(title=f"High-risk fingerprints ({len(rows)})")
    for column in ("Fingerprint", "Score", "Flag", "Incidents", "Sessions", "Requests",
                   "Peak/min", "Last seen"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for row in rows:
        flag = row["flag_reason"] if row["is_flagged"] else ""
        table.add_row(
            row["fingerprint_hash"][:12], str(row["reputation_score"]), flag or "",
            str(row["abuse_incidents"]), fmt_int(row["session_count"]),
            fmt_int(row["request_count"]), fmt_int(row["peak_requests_per_minute"]),
            row["last_seen_at"][:16].replace("T", " "),
        )  # fmt: skip
    console.print(table)


@app.command("reputation")
def reputation_command(database_url: DatabaseUrlOption = None) -> None:
    """Run the fingerprint-reputation job once for the last hour.

    For cron; against PostgreSQL one instance runs it and the others skip.
    """
    engine = context.open_engine(context.settings(database_url))
    try:
        result = ReputationJob(engine).run(datetime.now(UTC))
    finally:
        engine.dispose()
    console.print(
        f"{result.message}: {result.updated:,} updated, {result.recovered:,} recovered, "
        f"{result.new_incidents:,} new incidents, {result.flagged:,} flagged."
    )


def fingerprints_json(items: Iterable[Reputation]) -> dict[str, Any]:
    """What ``bots fingerprints --json`` prints (and the stats API serves)."""
    return {"fingerprints": [_reputation_row(item) for item in items]}


def _reputation_row(item: Reputation) -> dict[str, Any]:
    row = {name: getattr(item, name) for name in FINGERPRINT_COLUMNS}
    for name in ("first_seen_at", "last_seen_at", "last_incident_at"):
        if row[name] is not None:
            row[name] = row[name].isoformat()
    return row
