"""``sp-analytics demo``: fill the database with realistic, deterministic demo activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption
from systemprompt_analytics.cli.render import console, err_console, fmt_int
from systemprompt_analytics.errors import DemoDataError, InvalidInputError
from systemprompt_analytics.ingest.log_formats import EARLIEST_TIMESTAMP
from systemprompt_analytics.models.period import parse_time
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity, get_meta, has_activity
from systemprompt_analytics.storage.migrate import upgrade

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from systemprompt_analytics.demo.generator import DemoSummary

DEMO_MARKER = "demo_seed"


def demo_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days of history to generate.")] = 14,
    sessions: Annotated[
        int, typer.Option(min=10, max=5_000_000, help="Number of sessions (humans and bots).")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 42,
    end: Annotated[
        str | None,
        typer.Option(
            help="End of the generated history (exclusive), e.g. 2026-11-01T00:00:00Z. "
            "Default: now. Fix it to reproduce a dataset exactly.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Replace the data of a database that holds real (non-demo) activity."),
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Fill the database with realistic demo activity (migrating it first).

    Human visitors, every kind of bot, users, AI requests, tools, agents, conversations
    and CLI sessions, deterministic for a seed and --end.

    A database that already holds demo data is emptied and refilled; one that holds other
    data is left alone unless --force is given.
    """
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    end_at = _check_window(parse_time(end, now, "--end") if end else now, days)
    current = context.settings(database_url)
    engine = make_engine(current.database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            if has_activity(conn):
                if get_meta(conn, DEMO_MARKER) is None and not force:
                    raise DemoDataError(
                        "the database already holds activity that is not demo data; "
                        "use another --database-url, or --force to replace it"
                    )
                err_console.print("Replacing the existing data with fresh demo data…")
            clear_activity(conn)
        summary = generate_with_progress(engine, days, sessions, seed, end_at)
    finally:
        engine.dispose()
    _print_summary(summary, current.database_url, engine.url.database)


def _check_window(end_at: datetime, days: int) -> datetime:
    """The generated history starts no earlier than access logs are imported from (its content
    is dated up to two years before that, still far from year 1)."""
    if end_at - timedelta(days=days) < EARLIEST_TIMESTAMP:
        earliest = EARLIEST_TIMESTAMP + timedelta(days=days)
        raise InvalidInputError(
            "--end",
            f"{end_at.isoformat()} minus --days {days} starts before "
            f"{EARLIEST_TIMESTAMP:%Y-%m-%d}; the earliest --end for --days {days} is "
            f"{earliest:%Y-%m-%d}",
        )
    return end_at


def generate_with_progress(
    engine: Engine, days: int, sessions: int, seed: int, end_at: datetime
) -> DemoSummary:
    # Imported here: the generator's catalogues are only needed by this command.
    from systemprompt_analytics.demo.generator import generate_demo

    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed:>9,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        return generate_demo(
            engine,
            days=days,
            sessions=sessions,
            seed=seed,
            end=end_at,
            progress=report,
            rollups=True,
        )


def _print_summary(summary: DemoSummary, database_url: str, sqlite_path: str | None) -> None:
    table = Table(
        title=f"Demo data: {summary.start:%Y-%m-%d %H:%M} → {summary.end:%Y-%m-%d %H:%M} UTC"
    )
    table.add_column("Table")
    table.add_column("Rows", justify="right")
    for name, rows in sorted(summary.rows_by_table.items()):
        table.add_row(name, fmt_int(rows))
    console.print(table)
    size = ""
    if database_url.startswith("sqlite") and sqlite_path:
        path = Path(sqlite_path)
        if path.is_file():
            total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
            size = f", database {total / 1_048_576:.1f} MiB"
    console.print(f"Generated in {summary.seconds:.1f} s{size}.")
    console.print("Next: [bold]sp-analytics overview --since 7d[/]")
