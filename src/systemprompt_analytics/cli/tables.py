"""Rich tables shared by the report commands: rows by column spec, ranked lists, figures
against the previous period and trend series."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.table import Table

from systemprompt_analytics.cli.render import comparison_cells, fmt_int
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.trend_series import TrendSeries

Formatter = Callable[[Any], str]
# (row key, header, formatter); text columns (formatter ``text``) are left-aligned.
ColumnSpec = tuple[str, str, Formatter]
# The columns of a table of figures against the previous period, as (header, justify).
COMPARISON_COLUMNS = (
    ("Metric", "left"),
    ("Current", "right"),
    ("Previous", "right"),
    ("Change", "right"),
)


def text(value: Any) -> str:
    return "" if value is None else str(value)


def bucket_label(bucket: str) -> str:
    """A trend bucket's ISO start as 'YYYY-MM-DD HH:MM'."""
    return bucket[:16].replace("T", " ")


def period_title(name: str, period: Period) -> str:
    return f"{name}  {period.since:%Y-%m-%d %H:%M} → {period.until:%Y-%m-%d %H:%M} UTC"


def new_table(title: str, columns: Sequence[tuple[str, str]], caption: str | None = None) -> Table:
    """A table whose columns are (header, justify) pairs. Cells fold rather than end in an
    ellipsis on a narrow terminal: a cut-off figure would read as a different number."""
    table = Table(title=title, caption=caption)
    for header, justify in columns:
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    return table


def rows_table(
    title: str,
    columns: Sequence[ColumnSpec],
    rows: Sequence[Mapping[str, Any]],
    caption: str | None = None,
) -> Table:
    """One row per mapping, each cell its column's formatter applied to the row's value."""
    table = new_table(
        title,
        [(header, "left" if formatter is text else "right") for _, header, formatter in columns],
        caption,
    )
    for row in rows:
        table.add_row(*(formatter(row.get(key)) for key, _, formatter in columns))
    return table


def ranked_table(
    title: str, columns: Sequence[ColumnSpec], rows: Sequence[Mapping[str, Any]], total_rows: int
) -> Table:
    """The rows shown of a ranked list, titled with how many there are in all."""
    return rows_table(f"{title} ({len(rows)} of {total_rows})", columns, rows)


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


def trend_rows(series: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The series with each bucket shown as 'YYYY-MM-DD HH:MM'."""
    return [{**row, "bucket": bucket_label(row["bucket"])} for row in series]


def trend_table(title: str, trends: TrendSeries, formatters: Mapping[str, Formatter]) -> Table:
    """One row per bucket; counts unless ``formatters`` names another format."""
    columns: list[ColumnSpec] = [("bucket", "Bucket", text)]
    for name in trends.metrics:
        header = name.replace("_", " ").capitalize().replace("Ai ", "AI ")
        columns.append((name, header, formatters.get(name, fmt_int)))
    return rows_table(title, columns, trend_rows(trends.series))
