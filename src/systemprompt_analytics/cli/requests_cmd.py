"""``sp-analytics requests stats|list|models|trends``."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.ai_options import (
    IncludeSyntheticOption,
    ModelOption,
    ProviderOption,
    SessionOption,
    StatusOption,
    UserOption,
    fmt_money,
    fmt_ms,
    request_filter,
    row_typed,
)
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    GroupBy,
    GroupByOption,
    JsonOption,
    LimitOption,
    SinceOption,
    UntilOption,
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
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.ai_figures import TOKEN_KINDS
from systemprompt_analytics.reports.requests import (
    MODEL_COLUMNS,
    TREND_METRICS,
    ModelUsage,
    RequestStats,
    RequestTrends,
    model_usage,
    request_stats,
    request_trends,
)
from systemprompt_analytics.reports.requests_list import LIST_COLUMNS, RequestList, request_list

app = typer.Typer(
    help="AI requests: tokens by kind, latency percentiles, cache-hit and error rates, usage "
    "by model, trends, and the requests themselves.",
    no_args_is_help=True,
)

SYNTHETIC_NOTE = "Synthetic (evaluation) requests are excluded unless --include-synthetic."
PERCENTILE_NOTE = "Percentiles are continuous (linear interpolation), the same on every database."


STAT_LABELS = {
    ("requests", "total"): "AI requests",
    ("requests", "succeeded"): "Succeeded",
    ("requests", "failed"): "Failed",
    ("requests", "error_rate"): "Error rate",
    ("requests", "streaming"): "Streaming",
    ("requests", "cache_hit_rate"): "Cache-hit rate (of succeeded)",
    ("requests", "cached_prompt_share"): "Prompt tokens read from cache",
    **{("tokens", kind): f"{kind.replace('_', ' ').capitalize()} tokens" for kind in TOKEN_KINDS},
    ("latency_ms", "avg"): "Latency avg",
    ("latency_ms", "p50"): "Latency p50",
    ("latency_ms", "p95"): "Latency p95",
    ("latency_ms", "p99"): "Latency p99",
    ("time_to_first_token_ms", "p50"): "Time to first token p50",
    ("time_to_first_token_ms", "p95"): "Time to first token p95",
}


def _render_stats(report: RequestStats) -> None:
    table = new_table(
        period_title("AI requests", report.period),
        COMPARISON_COLUMNS,
        f"Change is against the previous period of equal length.\n{PERCENTILE_NOTE}\n"
        f"{SYNTHETIC_NOTE}",
    )
    for section, figures in report.sections().items():
        for name, value in figures.items():
            if value.kind == "rate":
                cells = [fmt_rate(value.current), fmt_rate(value.previous)]
                change = fmt_change(value.change_pts, "pts")
            elif value.kind == "mean":
                cells = [fmt_ms(value.current), fmt_ms(value.previous)]
                change = fmt_change(value.change_pct)
            else:
                cells = [fmt_int(value.current), fmt_int(value.previous)]
                change = fmt_change(value.change_pct)
            table.add_row(STAT_LABELS[(section, name)], *cells, change)
        table.add_section()
    console.print(table)


@app.command("stats")
def stats_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Requests, error and cache-hit rates, tokens by kind, latency p50/p95/p99 and time to
    first token, each against the previous period of equal length."""
    period = resolve_period(since, until, datetime.now(UTC))
    filters = request_filter(include_synthetic)
    report = context.read(database_url, lambda conn: request_stats(conn, period, filters))
    columns = ("section", "metric", "current", "previous", "change", "change_unit")
    if not write_outputs(report.to_dict(), csv_file, columns, report.csv_rows(), json_output):
        _render_stats(report)


def _render_list(report: RequestList) -> None:
    table = new_table(
        period_title(
            f"AI requests (newest {len(report.rows)} of {report.matching:,})", report.period
        ),
        (
            ("Requested", "left"),
            ("Provider", "left"),
            ("Model", "left"),
            ("Status", "left"),
            ("Tokens", "right"),
            ("Cached", "right"),
            ("Cost", "right"),
            ("Latency", "right"),
            ("User", "left"),
            ("Agent", "left"),
        ),
        SYNTHETIC_NOTE,
    )
    for row in report.rows:
        table.add_row(
            row["requested_at"][:19].replace("T", " "),
            row["provider"],
            row["model"],
            row["status"]
            if row["error_message"] is None
            else f"{row['status']}: {row['error_message'][:40]}",
            fmt_int(row["total_tokens"]),
            fmt_int(row["cache_read_tokens"]),
            fmt_money(row["cost_microdollars"]),
            fmt_ms(row["latency_ms"]),
            row["user_id"] or "",
            row["agent_name"] or "",
        )
    console.print(table)


@app.command("list")
def list_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    model: ModelOption = None,
    provider: ProviderOption = None,
    status: StatusOption = None,
    user: UserOption = None,
    session: SessionOption = None,
    limit: LimitOption = 50,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """AI requests, newest first, optionally only one model, provider, status, user or
    session. An unpriced request shows its cost as 'unpriced'."""
    period = resolve_period(since, until, datetime.now(UTC))
    filters = request_filter(
        include_synthetic,
        provider=provider,
        model=model,
        status=status,
        user=user,
        session=session,
    )
    report = context.read(database_url, lambda conn: request_list(conn, period, filters, limit))
    if not write_outputs(report.to_dict(), csv_file, LIST_COLUMNS, report.rows, json_output):
        _render_list(report)


def _render_models(report: ModelUsage) -> None:
    table = new_table(
        period_title("AI requests by model", report.period),
        (
            ("Provider", "left"),
            ("Model", "left"),
            ("Requests", "right"),
            ("Share", "right"),
            ("Error rate", "right"),
            ("Tokens", "right"),
            ("Cache hits", "right"),
            ("p50", "right"),
            ("p95", "right"),
            ("Cost", "right"),
        ),
        "Shares are of every counted request, not of the rows shown. Cost 'unpriced': no "
        f"price is known for the model.\n{PERCENTILE_NOTE}\n{SYNTHETIC_NOTE}",
    )
    for row in report.rows:
        table.add_row(
            row["provider"],
            row["model"],
            fmt_int(row["requests"]),
            fmt_rate(row["share_of_requests"]),
            fmt_rate(row["error_rate"]),
            fmt_int(row["total_tokens"]),
            fmt_rate(row["cache_hit_rate"]),
            fmt_ms(row["latency_p50_ms"]),
            fmt_ms(row["latency_p95_ms"]),
            fmt_money(row["cost_microdollars"]),
        )
    table.add_section()
    rest, total = report.rest, report.total
    if rest["models"]:
        table.add_row(
            f"{rest['models']:,} more",
            "",
            fmt_int(rest["requests"]),
            fmt_rate(rest["share_of_requests"]),
            "",
            fmt_int(rest["total_tokens"]),
            "",
            "",
            "",
            fmt_money(rest["cost_microdollars"]),
        )
    table.add_row(
        "Total",
        "",
        fmt_int(total["requests"]),
        "",
        fmt_rate(total["error_rate"]),
        fmt_int(total["total_tokens"]),
        fmt_rate(total["cache_hit_rate"]),
        fmt_ms(total["latency_p50_ms"]),
        fmt_ms(total["latency_p95_ms"]),
        fmt_money(total["cost_microdollars"]),
    )
    console.print(table)


@app.command("models")
def models_command(
    since: SinceOption = "24h",
    until: UntilOption = "now",
    limit: LimitOption = 20,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Usage per provider and model, most requests first: share of requests, errors, tokens
    by kind, cache hits, latency percentiles and cost, plus the rest beyond --limit."""
    period = resolve_period(since, until, datetime.now(UTC))
    filters = request_filter(include_synthetic)
    report = context.read(database_url, lambda conn: model_usage(conn, period, filters, limit))
    rows = row_typed(report.rows, report.rest, report.total)
    columns = ("row_type", *MODEL_COLUMNS)
    if not write_outputs(report.to_dict(), csv_file, columns, rows, json_output):
        _render_models(report)


TREND_TABLE: list[ColumnSpec] = [
    ("bucket", "Bucket", text),
    ("requests", "Requests", fmt_int),
    ("failed", "Failed", fmt_int),
    ("error_rate", "Error rate", fmt_rate),
    ("total_tokens", "Tokens", fmt_int),
    ("cache_read_tokens", "Cached", fmt_int),
    ("latency_p50_ms", "p50", fmt_ms),
    ("latency_p95_ms", "p95", fmt_ms),
]


def _render_trends(report: RequestTrends) -> None:
    title = period_title(f"AI requests by {report.group_by} (UTC)", report.period)
    caption = f"{PERCENTILE_NOTE}\n{SYNTHETIC_NOTE}"
    console.print(rows_table(title, TREND_TABLE, trend_rows(report.series), caption))


@app.command("trends")
def trends_command(
    since: SinceOption = "7d",
    until: UntilOption = "now",
    group_by: GroupByOption = GroupBy.day,
    include_synthetic: IncludeSyntheticOption = False,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Requests, errors, tokens by kind and latency per hour, day, week or month (UTC),
    zero-filled; a bucket without requests has no latency."""
    period = resolve_period(since, until, datetime.now(UTC))
    filters = request_filter(include_synthetic)
    granularity = group_by.value
    report = context.read(
        database_url,
        lambda conn: request_trends(conn, period, filters, granularity),  # type: ignore[arg-type]
    )
    columns = ("bucket", *TREND_METRICS)
    if not write_outputs(report.to_dict(), csv_file, columns, report.series, json_output):
        _render_trends(report)
