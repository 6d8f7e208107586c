"""Where a report goes: the CSV file when asked, then JSON or the tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from systemprompt_analytics.cli.render import console, err_console, print_json, write_csv
from systemprompt_analytics.cli.tables import Formatter, trend_table
from systemprompt_analytics.reports.trend_series import TrendSeries


class FiguresReport(Protocol):
    """A report of figures that prints as one JSON object and writes one CSV row a figure."""

    def to_dict(self) -> dict[str, Any]: ...

    def csv_rows(self) -> list[dict[str, Any]]: ...


R = TypeVar("R", bound=FiguresReport)


def write_outputs(
    data: Mapping[str, Any],
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


def output_report(
    report: R,
    csv_columns: Sequence[str],
    json_output: bool,
    csv_file: Path | None,
    render: Callable[[R], None],
) -> None:
    """A report's CSV rows and JSON dict through ``write_outputs``, else its tables."""
    if not write_outputs(report.to_dict(), csv_file, csv_columns, report.csv_rows(), json_output):
        render(report)


def output_trends(
    data: Mapping[str, Any],
    trends: TrendSeries,
    title: str,
    formatters: Mapping[str, Formatter],
    json_output: bool,
    csv_file: Path | None,
) -> None:
    """A trend series: its buckets to CSV, ``data`` as JSON, or the trend table."""
    if write_outputs(data, csv_file, trends.columns, trends.series, json_output):
        return
    console.print(trend_table(title, trends, formatters))
