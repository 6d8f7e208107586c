"""``sp-analytics costs summary|trends|breakdown|unpriced`` (``reprice`` is registered here by
its own module)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer
from sqlalchemy import Connection

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.ai_options import (
    AutoGroupByOption,
    BreakdownBy,
    ByOption,
    DefaultWindowSinceOption,
    IncludeSyntheticOption,
    OptionalUntilOption,
    fmt_money,
    request_filter,
    row_typed,
)
from systemprompt_analytics.cli.costs_reprice_cmd import reprice_command
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
    LimitOption,
)
from systemprompt_analytics.cli.render import console, fmt_change, fmt_int, fmt_rate
from systemprompt_analytics.cli.report_output import write_outputs
from systemprompt_analytics.cli.tables import (
    COMPARISON_COLUMNS,
    ColumnSpec,
    new_table,
    period_title,
    rows_table,
    text,
    trend_rows,
)
from systemprompt_analytics.reports.ai_figures import TOKEN_KINDS, UNPRICED_NOTE
from systemprompt_analytics.reports.costs import (
    TREND_COLUMNS,
    CostSummary,
    CostTrends,
    auto_granularity,
    cost_summary,
    cost_trends,
)
from systemprompt_analytics.reports.costs_breakdown import (
    UNPRICED_COLUMNS,
    CostBreakdown,
    UnpricedModels,
    cost_breakdown,
    unpriced_models,
)
from systemprompt_analytics.reports.costs_window import CostWindow, cost_window
from systemprompt_analytics.reports.requests_filter import RequestFilter

app = typer.Typer(
    help="AI spend: the summary against the previous period, trends, breakdowns by model, "
    "provider, agent or user, and the requests no price is known for.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _read(
    database_url: str | None,
    since: str | None,
    until: str | None,
    filters: RequestFilter,
    report: Callable[[Connection, CostWindow], T],
) -> T:
    """Choose the window (widening an empty default one) and run the report on it."""
    now = datetime.now(UTC)

    def work(conn: Connection) -> T:
        return report(conn, cost_window(conn, since, until, now, filters))

    return context.read(database_url, work)


def _title(name: str, window: CostWindow) -> str:
    return period_title(name, window.period)


def _caption(window: CostWindow, unpriced_requests: int, unpriced_tokens: int) -> str:
    lines = [window.describe()]
    if unpriced_requests:
        lines.append(
            f"{unpriced_requests:,} unpriced requests ({unpriced_tokens:,} tokens) are not in "
            "the cost: see `costs unpriced`."
        )
    lines.append("Synthetic (evaluation) requests are excluded unless --include-synthetic.")
    return "\n".join(lines)


SUMMARY_LABELS = {
    "cost_microdollars": "Cost",
    "requests": "AI requests",
    "priced_requests": "Priced requests",
    "unpriced_requests": "Unpriced requests (cost unknown)",
    "tokens": "Tokens",
    "unpriced_tokens": "Tokens of unpriced requests",
    "avg_cost_per_priced_request_microdollars": "Avg cost per priced request",
}


def _summary_cell(name: str, value: float | int | None) -> str:
    if name == "cost_microdollars":
        return fmt_money(None if value is None else int(value))
    if name == "avg_cost_per_priced_request_microdollars":
        return "–" if value is None else fmt_money(round(value))  # no priced request
    return fmt_int(value)


def _render_summary(report: CostSummary) -> None:
    figures = report.figures()
    table = new_table(
        _title("AI costs", report.window),
        COMPARISON_COLUMNS,
        _caption(
            report.window, report.current["unpriced_requests"], report.current["unpriced_tokens"]
        ),
    )
    for name, label in SUMMARY_LABELS.items():
        value = figures[name]
        cells = [_summary_cell(name, value.current), _summary_cell(name, value.previous)]
        table.add_row(label, *cells, fmt_change(value.change_pct))
    console.print(table)


@app.command("summary")
def summary_command(
    since: DefaultWindowSinceOption = None,
    until: OptionalUntilOption = None,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Total cost, requests and tokens against the previous period of equal length.

    Unpriced requests (no known price) are counted separately: their cost is unknown, not 0.
    """
    filters = request_filter(include_synthetic)
    report = _read(
        database_url, since, until, filters, lambda conn, w: cost_summary(conn, w, filters)
    )
    columns = ("metric", "current", "previous", "change_pct")
    if not write_outputs(report.to_dict(), csv_file, columns, report.csv_rows(), json_output):
        _render_summary(report)


TREND_TABLE: list[ColumnSpec] = [
    ("bucket", "Bucket", text),
    ("requests", "Requests", fmt_int),
    ("unpriced_requests", "Unpriced", fmt_int),
    ("tokens", "Tokens", fmt_int),
    ("cost_microdollars", "Cost", fmt_money),
]


def _render_trends(report: CostTrends) -> None:
    unpriced = sum(row["unpriced_requests"] for row in report.series)
    tokens = sum(row["unpriced_tokens"] for row in report.series)
    title = _title(f"AI cost by {report.group_by} (UTC)", report.window)
    caption = _caption(report.window, unpriced, tokens)
    console.print(rows_table(title, TREND_TABLE, trend_rows(report.series), caption))


@app.command("trends")
def trends_command(
    since: DefaultWindowSinceOption = None,
    until: OptionalUntilOption = None,
    group_by: AutoGroupByOption = None,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Cost, requests and tokens per hour, day, week or month (UTC), zero-filled.

    A bucket whose requests are all unpriced shows an unknown cost, not $0.
    """
    filters = request_filter(include_synthetic)

    def report(conn: Connection, window: CostWindow) -> CostTrends:
        granularity = group_by.value if group_by else auto_granularity(window.period)
        return cost_trends(conn, window, filters, granularity)

    result = _read(database_url, since, until, filters, report)
    if not write_outputs(result.to_dict(), csv_file, TREND_COLUMNS, result.series, json_output):
        _render_trends(result)


def _label(row: dict[str, Any], labels: tuple[str, ...]) -> list[str]:
    return [str(row[label]) for label in labels]


def _render_breakdown(report: CostBreakdown) -> None:
    labels = report.labels
    table = new_table(
        _title(f"AI cost by {report.by}", report.window),
        (
            *((label.replace("_", " ").title(), "left") for label in labels),
            ("Requests", "right"),
            ("Share", "right"),
            ("Unpriced", "right"),
            ("Tokens", "right"),
            ("Cost", "right"),
            ("Share of cost", "right"),
            ("Previous", "right"),
            ("Change", "right"),
        ),
        _caption(report.window, report.total["unpriced_requests"], report.total["unpriced_tokens"])
        + "\nShares are of the total of every counted request, not of the rows shown.",
    )

    def add(cells: list[str], row: dict[str, Any], previous: bool) -> None:
        table.add_row(
            *cells,
            fmt_int(row["requests"]),
            fmt_rate(row.get("share_of_requests")),
            fmt_int(row["unpriced_requests"]),
            fmt_int(row["tokens"]),
            fmt_money(row["cost_microdollars"]),
            fmt_rate(row.get("share_of_cost")),
            fmt_money(row["previous_cost_microdollars"]) if previous else "",
            fmt_change(row["cost_change_pct"]) if previous else "",
        )

    for row in report.rows:
        add(_label(row, labels), row, True)
    table.add_section()
    blank = [""] * (len(labels) - 1)
    if report.rest["groups"]:
        add([f"{report.rest['groups']:,} more", *blank], report.rest, False)
    total = report.total
    whole = {
        "share_of_requests": 1.0 if total["requests"] else None,
        "share_of_cost": 1.0 if total["cost_microdollars"] else None,
    }
    add(["Total", *blank], total | whole, False)
    console.print(table)


@app.command("breakdown")
def breakdown_command(
    by: ByOption = BreakdownBy.model,
    since: DefaultWindowSinceOption = None,
    until: OptionalUntilOption = None,
    limit: LimitOption = 20,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Cost by model, provider, agent or user, most expensive first, with each row's share
    of the true total, its cost in the previous period, and the rest beyond --limit."""
    filters = request_filter(include_synthetic)
    report = _read(
        database_url,
        since,
        until,
        filters,
        lambda conn, w: cost_breakdown(conn, w, filters, by.value, limit),
    )
    data = report.to_dict()
    if not write_outputs(data, csv_file, report.csv_columns(), report.csv_rows(), json_output):
        _render_breakdown(report)


def _render_unpriced(report: UnpricedModels) -> None:
    kinds = TOKEN_KINDS
    table = new_table(
        _title("Unpriced AI requests by model", report.window),
        (
            ("Provider", "left"),
            ("Model", "left"),
            ("Requests", "right"),
            ("Share of requests", "right"),
            *((kind.replace("_", " ").title(), "right") for kind in kinds),
            ("First seen", "left"),
            ("Last seen", "left"),
        ),
        f"{report.window.describe()}\n{UNPRICED_NOTE}\n"
        "After a price update, `costs reprice` prices them.",
    )
    for row in report.rows:
        table.add_row(
            row["provider"],
            row["model"],
            fmt_int(row["requests"]),
            fmt_rate(row["share_of_requests"]),
            *(fmt_int(row[f"{kind}_tokens"]) for kind in kinds),
            row["first_seen_at"][:16].replace("T", " "),
            row["last_seen_at"][:16].replace("T", " "),
        )
    total = report.total
    table.add_section()
    if report.rest["models"]:
        rest = report.rest
        table.add_row(
            f"{rest['models']:,} more",
            "",
            fmt_int(rest["requests"]),
            fmt_rate(rest["share_of_requests"]),
            *(fmt_int(rest[f"{kind}_tokens"]) for kind in kinds),
            "",
            "",
        )
    table.add_row(
        "Total unpriced",
        "",
        fmt_int(total["unpriced_requests"]),
        fmt_rate(total["share_of_requests"]),
        *(fmt_int(total[f"unpriced_{kind}_tokens"]) for kind in kinds),
        "",
        "",
    )
    console.print(table)


@app.command("unpriced")
def unpriced_command(
    since: DefaultWindowSinceOption = None,
    until: OptionalUntilOption = None,
    limit: LimitOption = 20,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Requests no price is known for, by provider and model, with their tokens by kind."""
    filters = request_filter(include_synthetic)
    report = _read(
        database_url,
        since,
        until,
        filters,
        lambda conn, w: unpriced_models(conn, w, filters, limit),
    )
    total = report.total
    total_row = {
        "requests": total["unpriced_requests"],
        "share_of_requests": total["share_of_requests"],
        **{f"{kind}_tokens": total[f"unpriced_{kind}_tokens"] for kind in TOKEN_KINDS},
    }
    rows = row_typed(report.rows, report.rest, total_row)
    columns = ("row_type", *UNPRICED_COLUMNS)
    if not write_outputs(report.to_dict(), csv_file, columns, rows, json_output):
        _render_unpriced(report)


app.command("reprice")(reprice_command)
