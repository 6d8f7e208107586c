"""``sp-analytics rollups``: build, refresh and inspect the report rollups."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import Connection, func, select

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption, JsonOption
from systemprompt_analytics.cli.render import console, fmt_int, print_json
from systemprompt_analytics.models.period import ACCEPTED_FORMS, parse_time
from systemprompt_analytics.storage.rollups import (
    ROLLUP_NAMES,
    RefreshResult,
    rebuild_rollups,
    refresh_rollups,
    rollup_specs,
)
from systemprompt_analytics.storage.rollups.state import read_coverage

app = typer.Typer(
    help="Report rollups: hourly and daily aggregates of the heavy tables.",
    no_args_is_help=True,
)


def _report(result: RefreshResult, json_output: bool) -> None:
    covered = {
        name: None if until is None else until.isoformat()
        for name, until in result.covered_until.items()
    }
    if json_output:
        print_json(
            {
                "skipped": result.skipped,
                "hours": result.hours,
                "days": result.days,
                "marks_cleared": result.marks,
                "covered_until": covered,
            }
        )
        return
    console.print(result.message[:1].upper() + result.message[1:] + ".")


@app.command("rebuild")
def rebuild_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help=f"Recompute the buckets from this time on (default: all): {ACCEPTED_FORMS}.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Recompute the rollups from the raw rows, then bring them up to date.

    Needed after writing history in the past by other means than the writer (the demo and
    import-log do it themselves); reports stay right meanwhile (they read raw rows for any
    hour not rolled up).
    """
    now = datetime.now(UTC)
    start = parse_time(since, now, "--since") if since is not None else None
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    try:
        result = rebuild_rollups(
            engine, now, since=start, session_max_hours=settings.session_max_hours
        )
    finally:
        engine.dispose()
    _report(result, json_output)


@app.command("refresh")
def refresh_command(
    json_output: JsonOption = False, database_url: DatabaseUrlOption = None
) -> None:
    """Roll up the hours that have settled and recompute the dirty ones (what the service's
    periodic job does; for cron when no long-running service does it)."""
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    try:
        result = refresh_rollups(
            engine, datetime.now(UTC), session_max_hours=settings.session_max_hours, wait=True
        )
    finally:
        engine.dispose()
    _report(result, json_output)


@dataclass(frozen=True)
class RollupStatus:
    rollup: str
    covered_until: datetime | None
    dirty_hours: int
    hourly_rows: int
    daily_rows: int

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["covered_until"] = (
            None if self.covered_until is None else self.covered_until.isoformat()
        )
        return found


def _statuses(conn: Connection) -> list[RollupStatus]:
    coverage = read_coverage(conn, ROLLUP_NAMES)
    specs = rollup_specs(conn.dialect.name)

    def rows(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return [
        RollupStatus(
            name,
            coverage[name].covered_until,
            len(coverage[name].dirty),
            rows(specs[name].hourly),
            rows(specs[name].daily),
        )
        for name in ROLLUP_NAMES
    ]


@app.command("status")
def status_command(json_output: JsonOption = False, database_url: DatabaseUrlOption = None) -> None:
    """How far each rollup is built, its dirty hours and its rows."""
    engine = context.open_engine(context.settings(database_url))
    try:
        with engine.connect() as conn:
            statuses = _statuses(conn)
    finally:
        engine.dispose()
    if json_output:
        print_json({"rollups": [status.to_dict() for status in statuses]})
        return
    table = Table(title="Rollups")
    for column in ("Rollup", "Covered until", "Dirty hours", "Hourly rows", "Daily rows"):
        table.add_column(column, justify="left" if column.startswith(("R", "C")) else "right")
    for status in statuses:
        covered = status.covered_until
        table.add_row(
            status.rollup,
            "not built" if covered is None else f"{covered:%Y-%m-%d %H:%M} UTC",
            fmt_int(status.dirty_hours),
            fmt_int(status.hourly_rows),
            fmt_int(status.daily_rows),
        )
    console.print(table)
