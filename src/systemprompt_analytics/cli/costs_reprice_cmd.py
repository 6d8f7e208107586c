"""``sp-analytics costs reprice``: recompute AI request costs after a price update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption, JsonOption
from systemprompt_analytics.cli.render import console, err_console, fmt_int, print_json
from systemprompt_analytics.models.period import ACCEPTED_FORMS, resolve_period
from systemprompt_analytics.platform.reprice import RepriceSummary, reprice
from systemprompt_analytics.pricing import PRICE_SOURCE, PRICE_VERSION


def reprice_command(
    since: Annotated[
        str, typer.Option("--since", help=f"Reprice requests from (inclusive): {ACCEPTED_FORMS}.")
    ] = "30d",
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Up to (exclusive), same forms; default now.", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only report what would change; write nothing.")
    ] = False,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Recompute the cost of AI requests with the installed genai-prices data.

    Requests whose cost the host reported itself are left alone. Unpriced requests whose
    model is now known get a cost; changed costs also move their session's cost total.
    """
    period = resolve_period(since, until, datetime.now(UTC))
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=json_output,
        ) as bar:
            task = bar.add_task("Repricing", total=None)
            summary = reprice(
                engine,
                period,
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        engine.dispose()
    if json_output:
        print_json(
            {**summary.to_dict(), "period": period.to_dict(), "price_version": PRICE_VERSION}
        )
        return
    _print_summary(summary)


def _print_summary(summary: RepriceSummary) -> None:
    title = f"Repriced with {PRICE_SOURCE} {PRICE_VERSION}"
    table = Table(title=title + (" (dry run: nothing written)" if summary.dry_run else ""))
    table.add_column("requests")
    table.add_column("count", justify="right")
    for label, value in (
        ("examined", summary.examined),
        ("repriced (cost changed)", summary.repriced),
        ("newly priced", summary.newly_priced),
        ("still unpriced", summary.still_unpriced),
        ("no longer priced", summary.now_unpriced),
        ("unchanged", summary.unchanged),
    ):
        table.add_row(label, fmt_int(value))
    console.print(table)
    console.print(f"Total change: {summary.change_usd:+,.6f} USD")
