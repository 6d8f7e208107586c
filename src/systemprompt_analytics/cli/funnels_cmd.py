"""``sp-analytics funnels create|apply|list|show|stats|rebuild|delete``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
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
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.funnels.definition import (
    MATCHER_NAMES,
    Mode,
    Unit,
    format_matcher,
    format_window,
    funnel_from_cli,
    funnel_to_mapping,
    parse_yaml,
)
from systemprompt_analytics.funnels.service import ApplyOutcome, FunnelListing, FunnelService
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.funnels import STEP_COLUMNS, FunnelReport
from systemprompt_analytics.storage.repositories.funnels import StoredFunnel

app = typer.Typer(
    help="Funnels: define conversion steps, see conversion and drop-off per step.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The funnel's name.", show_default=False)]
BackfillOption = Annotated[
    bool,
    typer.Option(
        "--backfill/--no-backfill",
        help="Match the stored history at once (as `funnels rebuild` does).",
    ),
]
LIST_COLUMNS = ("name", "steps", "mode", "unit", "window", "active", "units", "completed")


@contextmanager
def _service(database_url: str | None) -> Iterator[FunnelService]:
    engine = context.open_engine(context.settings(database_url))
    try:
        yield FunnelService(engine)
    finally:
        engine.dispose()


def _outcome_dict(outcome: ApplyOutcome) -> dict[str, Any]:
    rebuilt = outcome.rebuilt
    return {
        "name": outcome.stored.funnel.name,
        "action": outcome.action,
        "rebuilt": None
        if rebuilt is None
        else {"units": rebuilt.units, "completed": rebuilt.completed},
    }


def _outcome_line(outcome: ApplyOutcome) -> str:
    funnel = outcome.stored.funnel
    window = format_window(funnel.window_seconds)
    line = (
        f"{outcome.action.capitalize()} funnel {funnel.name!r}: {len(funnel.steps)} steps, "
        f"{funnel.mode.value}, per {funnel.unit.value}, window {window}"
    )
    if outcome.rebuilt is not None:
        line += (
            f"; matched the stored history: {outcome.rebuilt.units:,} units, "
            f"{outcome.rebuilt.completed:,} completed"
        )
    return escape(line)


@app.command("create")
def create_command(
    name: NameArgument,
    steps: Annotated[
        list[str] | None,
        typer.Option(
            "--step",
            help=f"A step, in order (repeat, 2 to 20): NAME=TYPE:VALUE, TYPE one of "
            f"{MATCHER_NAMES}; e.g. 'Pricing=url_prefix:/pricing', "
            "'Signup=event:signup[plan=pro]'.",
            show_default=False,
        ),
    ] = None,
    window: Annotated[
        str,
        typer.Option("--window", help="Conversion window from entering step 1 (30m, 24h, 7d)."),
    ] = "24h",
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            help="ordered: other activity may come between steps; strict: each step must be "
            "the very next activity.",
            case_sensitive=False,
        ),
    ] = Mode.ORDERED,
    unit: Annotated[
        Unit,
        typer.Option(
            "--unit",
            help="Progress per session or per visitor (across sessions).",
            case_sensitive=False,
        ),
    ] = Unit.SESSION,
    description: Annotated[
        str | None, typer.Option("--description", help="What the funnel measures.")
    ] = None,
    backfill: BackfillOption = True,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Define a funnel from the command line."""
    funnel = funnel_from_cli(
        name,
        steps or [],
        mode=mode.value,
        unit=unit.value,
        window=window,
        description=description,
    )
    with _service(database_url) as service:
        outcome = service.create(funnel, backfill=backfill)
    if json_output:
        print_json(_outcome_dict(outcome))
    else:
        console.print(_outcome_line(outcome), highlight=False)


@app.command("apply")
def apply_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="YAML file with a 'funnels' list (see docs/funnels.md).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    backfill: BackfillOption = True,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create or update the funnels of a YAML file, by name.

    Valid funnels are applied even when others in the file are not; every invalid one is
    reported and the exit code is then 2. A changed funnel's progress is recomputed.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(str(file), "is not UTF-8 text") from None
    parsed = parse_yaml(text, str(file))
    outcomes: list[ApplyOutcome] = []
    if parsed.funnels:
        with _service(database_url) as service:
            outcomes = service.apply(parsed.funnels, backfill=backfill)
    if json_output:
        print_json(
            {
                "funnels": [_outcome_dict(outcome) for outcome in outcomes],
                "errors": [{"field": e.field, "problem": e.problem} for e in parsed.errors],
            }
        )
    else:
        for outcome in outcomes:
            console.print(_outcome_line(outcome), highlight=False)
    for error in parsed.errors:
        err_console.print(
            f"[bold red]Invalid value for {escape(error.field)}:[/] {escape(error.problem)}",
            highlight=False,
        )
    if parsed.errors:
        raise typer.Exit(2)


def listing_json(listings: Sequence[FunnelListing]) -> dict[str, Any]:
    """What ``funnels list --json`` prints (and the stats API serves)."""
    return {"funnels": [_listing_row(item) for item in listings]}


def _listing_row(item: FunnelListing) -> dict[str, Any]:
    funnel = item.stored.funnel
    return {
        "name": funnel.name,
        "steps": " → ".join(step.name for step in funnel.steps),
        "mode": funnel.mode.value,
        "unit": funnel.unit.value,
        "window": format_window(funnel.window_seconds),
        "active": funnel.active,
        "units": item.units,
        "completed": item.completed,
    }


@app.command("list")
def list_command(
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Every funnel with its steps, units tracked and completions (all time, bots included)."""
    with _service(database_url) as service:
        listing = listing_json(service.list_funnels())
    rows = listing["funnels"]
    if csv_file is not None:
        write_csv(csv_file, LIST_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(listing)
        return
    table = Table(title=f"Funnels ({len(rows)})")
    for column in ("Name", "Steps", "Mode", "Unit", "Window", "Active", "Units", "Completed"):
        justify = "right" if column in ("Units", "Completed") else "left"
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            escape(row["name"]), escape(row["steps"]), row["mode"], row["unit"], row["window"],
            "yes" if row["active"] else "no", fmt_int(row["units"]), fmt_int(row["completed"]),
        )  # fmt: skip
    console.print(table)


def definition_json(stored: StoredFunnel) -> dict[str, Any]:
    """What ``funnels show --json`` prints (and the stats API serves)."""
    return {
        "id": stored.id,
        **funnel_to_mapping(stored.funnel),
        "window_seconds": stored.funnel.window_seconds,
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }


@app.command("show")
def show_command(
    name: NameArgument,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A funnel's definition: its steps and matchers, mode, unit and window."""
    with _service(database_url) as service:
        stored = service.get(name)
    if json_output:
        print_json(definition_json(stored))
        return
    funnel = stored.funnel
    table = Table(
        title=f"Funnel {escape(funnel.name)}",
        caption=f"{funnel.mode.value}, per {funnel.unit.value}, window "
        f"{format_window(funnel.window_seconds)}, {'active' if funnel.active else 'inactive'}"
        + (f" — {escape(funnel.description)}" if funnel.description else ""),
    )
    table.add_column("#", justify="right")
    table.add_column("Step")
    table.add_column("Matcher", overflow="fold")
    for number, step in enumerate(funnel.steps, start=1):
        table.add_row(str(number), escape(step.name), escape(format_matcher(step)))
    console.print(table)


def fmt_seconds(value: float | None) -> str:
    """12.5s, 4m 05s, 3h 07m, 2d 04h."""
    if value is None:
        return "–"
    if value < 60:
        return f"{value:.1f}s"
    seconds = round(value)
    for size, unit, small, small_unit in (
        (86_400, "d", 3_600, "h"),
        (3_600, "h", 60, "m"),
        (60, "m", 1, "s"),
    ):
        if seconds >= size:
            return f"{seconds // size}{unit} {(seconds % size) // small:02d}{small_unit}"
    return f"{seconds}s"


def render_report(report: FunnelReport) -> None:
    period = report.period
    who = "all sessions" if report.include_bots else "human sessions"
    table = Table(
        title=f"Funnel {escape(report.name)}  {period.since:%Y-%m-%d %H:%M} → "
        f"{period.until:%Y-%m-%d %H:%M} UTC",
        caption=f"Units (per {report.unit}, {who}) that entered step 1 in the period: "
        f"{report.entered:,}; completed {report.completed:,} "
        f"({fmt_rate(report.conversion_rate)}); median time to convert "
        f"{fmt_seconds(report.median_seconds_to_convert)}.",
    )
    for column, justify in (
        ("#", "right"),
        ("Step", "left"),
        ("Entered", "right"),
        ("Continued", "right"),
        ("Conversion", "right"),
        ("Drop-off", "right"),
        ("Median to next", "right"),
        ("Avg to next", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for step in report.steps:
        table.add_row(
            str(step.step), escape(step.name), fmt_int(step.entered), fmt_int(step.continued),
            fmt_rate(step.conversion_rate), fmt_rate(step.drop_off_rate),
            fmt_seconds(step.median_seconds_to_next), fmt_seconds(step.avg_seconds_to_next),
        )  # fmt: skip
    console.print(table)


@app.command("stats")
def stats_command(
    name: NameArgument,
    since: SinceOption = "7d",
    until: UntilOption = "now",
    include_bots: Annotated[
        bool, typer.Option("--include-bots", help="Count bot sessions too.")
    ] = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Per step: units entered and continued, conversion from step 1, drop-off, median and
    average time to the next step; overall conversion (human sessions only by default).

    Units are counted in the period in which they entered step 1.
    """
    period = resolve_period(since, until, datetime.now(UTC))
    with _service(database_url) as service:
        report = service.stats(name, period, include_bots=include_bots)
    if csv_file is not None:
        write_csv(csv_file, STEP_COLUMNS, report.rows())
        err_console.print(f"Wrote {len(report.steps)} rows to {csv_file}")
    if json_output:
        print_json(report.to_dict())
    else:
        render_report(report)


@app.command("rebuild")
def rebuild_command(
    name: NameArgument,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Recompute a funnel's progress from the stored page views and events."""
    with _service(database_url) as service:
        summary = service.rebuild(name)
    if json_output:
        print_json({"name": summary.name, "units": summary.units, "completed": summary.completed})
        return
    console.print(
        escape(
            f"Rebuilt funnel {summary.name!r}: {summary.units:,} units, "
            f"{summary.completed:,} completed"
        ),
        highlight=False,
    )


@app.command("delete")
def delete_command(name: NameArgument, database_url: DatabaseUrlOption = None) -> None:
    """Delete a funnel with its progress (the page views and events stay)."""
    with _service(database_url) as service:
        stored = service.delete(name)
    console.print(
        escape(f"Deleted funnel {stored.funnel.name!r} and its progress"), highlight=False
    )
