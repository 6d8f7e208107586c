"""Options and output helpers of the platform reports (agents, tools, conversations, users,
activity): the synthetic-request switch, and the tables and files those commands share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from systemprompt_analytics.cli.filter_options import ColumnSpec, rows_table, text
from systemprompt_analytics.cli.render import (
    comparison_cells,
    console,
    err_console,
    fmt_float,
    fmt_int,
    print_json,
    write_csv,
)
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.trend_series import TrendSeries

IncludeSyntheticOption = Annotated[
    bool,
    typer.Option(
        "--include-synthetic",
        help="Count synthetic (evaluation) AI requests too; they are left out by default.",
    ),
]

Formatter = Callable[[Any], str]


def fmt_seconds(milliseconds: float | int | None) -> str:
    """A duration in milliseconds shown in seconds."""
    return fmt_float(None if milliseconds is None else milliseconds / 1000.0)


def figures_table(
    title: str, figures: Mapping[str, Comparison], labels: Mapping[str, tuple[str, Formatter]]
) -> Table:
    """Figures against the previous period: current, previous and change (pts for rates)."""
    table = Table(title=title)
    table.add_column("Metric")
    for header in ("Current", "Previous", "Change"):
        table.add_column(header, justify="right")
    for name, value in figures.items():
        label, formatter = labels.get(name, (name, text))
        is_rate = value.kind == "rate"
        change = value.change_pts if is_rate else value.change_pct
        table.add_row(
            label, *comparison_cells(value.current, value.previous, change, is_rate, formatter)
        )
    return table


def write_outputs(
    data: dict[str, Any],
    csv_file: Path | None,
    csv_columns: Sequence[str],
    csv_rows: Sequence[Mapping[str, Any]],
    json_output: bool,
) -> bool:
    """Write the CSV file if asked, print JSON if asked; True when the tables are not wanted."""
    if csv_file is not None:
        count = write_csv(csv_file, csv_columns, csv_rows)
        err_console.print(f"Wrote {count} rows to {csv_file}")
    if json_output:
        print_json(data)
        return True
    return False


def trend_table(title: str, trends: TrendSeries, formatters: Mapping[str, Formatter]) -> None:
    """One row per bucket; counts unless ``formatters`` names another format."""
    columns: list[ColumnSpec] = [("bucket", "Bucket", text)]
    for name in trends.metrics:
        header = name.replace("_", " ").capitalize().replace("Ai ", "AI ")
        columns.append((name, header, formatters.get(name, fmt_int)))
    rows = [{**row, "bucket": row["bucket"][:16].replace("T", " ")} for row in trends.series]
    console.print(rows_table(title, columns, rows))
