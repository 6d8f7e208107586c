"""MCP tool reports: executions per tool, success rate, latency (average and p95), status
breakdown, top errors, and usage by agent and by server.

Executions are placed in the window by ``started_at``. Success rate = executions with status
``success`` / all executions (failed and timeout are not successes); errors are the messages
of executions that did not succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, not_, select, true

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import remainder, rounded
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    MetricKind,
    aggregate_both_periods,
    avg_of,
    count_distinct_of,
    count_of,
    ratio,
)
from systemprompt_analytics.reports.definitions import in_period, successful_tool_execution
from systemprompt_analytics.reports.figures import (
    comparison_rows,
    figure,
    listed_rows,
    percentile_of,
)
from systemprompt_analytics.reports.ranking import RankedRows, error_label, top_groups
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import (
    Granularity,
    bucket_start,
    percentile,
    time_bucket,
)
from systemprompt_analytics.storage.schema import tool_executions

TOOL_STATUSES = ("success", "failed", "timeout")
NO_SERVER = "(none)"
NO_AGENT = "(no agent)"
OTHER_ERRORS = "(other errors)"
KNOWN_NAMES_SHOWN = 20

LIST_COLUMNS = (
    "tool",
    "server",
    "executions",
    "share_of_executions",
    "succeeded",
    "failed",
    "timeouts",
    "success_rate",
    "avg_duration_ms",
    "p95_duration_ms",
)
ADDITIVE = ("executions", "succeeded", "failed", "timeouts")  # rows + rest = totals
USAGE_COLUMNS = ("executions", "share_of_all", "succeeded", "success_rate", "avg_duration_ms")
TREND_METRICS = (
    "executions",
    "succeeded",
    "failed",
    "timeouts",
    "success_rate",
    "avg_duration_ms",
    "p95_duration_ms",
)


def tool_window(period: Period, tool: str | None = None) -> ColumnElement[bool]:
    """Executions started in the window (of one tool, if given)."""
    c = tool_executions.c
    return and_(in_period(c.started_at, period), true() if tool is None else c.tool_name == tool)


def _status_is(status: str) -> ColumnElement[bool]:
    return tool_executions.c.status == status


def _tool_columns(dialect_name: str) -> list[ColumnElement[Any]]:
    duration = tool_executions.c.duration_ms
    return [
        func.count().label("executions"),
        func.count().filter(successful_tool_execution()).label("succeeded"),
        func.count().filter(_status_is("failed")).label("failed"),
        func.count().filter(_status_is("timeout")).label("timeouts"),
        func.avg(duration).label("avg_duration_ms"),
        percentile(dialect_name, duration, 0.95).label("p95_duration_ms"),
    ]


def _derive(row: dict[str, Any], total_executions: int) -> dict[str, Any]:
    for name in ("executions", "succeeded", "failed", "timeouts"):
        row[name] = int(row[name] or 0)
    row["success_rate"] = ratio(row["succeeded"], row["executions"])
    row["avg_duration_ms"] = rounded(row["avg_duration_ms"])
    row["p95_duration_ms"] = rounded(row["p95_duration_ms"])
    row["share_of_executions"] = ratio(row["executions"], total_executions)
    return row


@dataclass(frozen=True)
class ToolList:
    """Every tool (per server) with executions in the window, most used first; ``rest`` is
    what the tools beyond the limit add up to (rows + rest = totals)."""

    period: Period
    totals: dict[str, Any]
    tools: RankedRows
    rest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "totals": self.totals,
            "tools": self.tools.to_dict(),
            "rest": self.rest,
        }


def tool_list(conn: Connection, period: Period, limit: int = 20) -> ToolList:
    """Tools by executions in the window; shares are of all executions (not of the rows)."""
    c = tool_executions.c
    dialect_name = conn.dialect.name
    window = tool_window(period)
    server = func.coalesce(c.server_name, NO_SERVER).label("server")
    totals = _derive(
        dict(conn.execute(select(*_tool_columns(dialect_name)).where(window)).one()._mapping), 0
    )
    totals.pop("share_of_executions")
    keys = (c.tool_name.label("tool"), server)
    statement = (
        select(*keys, *_tool_columns(dialect_name))
        .where(window)
        .group_by(*keys)
        .order_by(func.count().desc(), c.tool_name, server)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = _derive(dict(found._mapping), totals["executions"])
        rows.append({name: row[name] for name in LIST_COLUMNS})
    groups = select(*keys).where(window).group_by(*keys).subquery()
    total_rows = int(conn.execute(select(func.count()).select_from(groups)).scalar_one())
    rest = remainder(totals, rows, ADDITIVE)
    rest["tools"] = total_rows - len(rows)
    rest["success_rate"] = ratio(rest["succeeded"], rest["executions"])
    rest["share_of_executions"] = ratio(rest["executions"], totals["executions"])
    totals = {"tools": total_rows, **totals}
    return ToolList(period, totals, RankedRows(rows, total_rows), rest)


# ------------------------------------------------------------------------------------------
# Stats (all tools, or one tool: ``tools show``)
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolStats:
    """Figures against the previous period, then the current period's status breakdown, top
    errors, and usage by agent and by server. ``tool`` is None for all tools together."""

    period: Period
    tool: str | None
    figures: dict[str, Comparison]
    status_breakdown: list[dict[str, Any]]
    top_errors: RankedRows
    by_agent: RankedRows
    by_server: RankedRows

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "tool": self.tool,
            "figures": {name: value.to_dict() for name, value in self.figures.items()},
            "status_breakdown": self.status_breakdown,
            "top_errors": self.top_errors.to_dict(),
            "by_agent": self.by_agent.to_dict(),
            "by_server": self.by_server.to_dict(),
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """One long table: figures, then status, error, agent and server rows (the count of
        executions in ``current``)."""
        return [
            *comparison_rows(self.figures),
            *listed_rows("status", "status", "executions", self.status_breakdown),
            *listed_rows("top_errors", "error", "executions", self.top_errors.rows),
            *listed_rows("by_agent", "agent", "executions", self.by_agent.rows),
            *listed_rows("by_server", "server", "executions", self.by_server.rows),
        ]


def _require_tool(conn: Connection, name: str) -> None:
    """InvalidInputError naming ``NAME`` unless some execution used this tool."""
    c = tool_executions.c
    if conn.execute(select(c.id).where(c.tool_name == name).limit(1)).first() is not None:
        return
    known = (
        conn.execute(select(c.tool_name).distinct().order_by(c.tool_name).limit(KNOWN_NAMES_SHOWN))
        .scalars()
        .all()
    )
    listed = ", ".join(known) if known else "none have been reported yet"
    raise InvalidInputError("NAME", f"no tool named {name!r}; known tools: {listed}")


def _usage_by(
    conn: Connection,
    label: ColumnElement[Any],
    window: ColumnElement[bool],
    total: int,
    limit: int,
) -> RankedRows:
    """Executions grouped by ``label`` (agent or server), most first, with success rate."""
    c = tool_executions.c
    statement = (
        select(
            label,
            func.count().label("executions"),
            func.count().filter(successful_tool_execution()).label("succeeded"),
            func.avg(c.duration_ms).label("avg_duration_ms"),
        )
        .where(window)
        .group_by(label)
        .order_by(func.count().desc(), label)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        row["share_of_all"] = ratio(row["executions"], total)
        row["success_rate"] = ratio(row["succeeded"], row["executions"])
        row["avg_duration_ms"] = rounded(row["avg_duration_ms"])
        rows.append({label.name: row[label.name], **{name: row[name] for name in USAGE_COLUMNS}})
    groups = conn.execute(select(func.count(distinct(label))).where(window)).scalar_one()
    return RankedRows(rows, int(groups))


def tool_stats(
    conn: Connection, period: Period, limit: int = 10, tool: str | None = None
) -> ToolStats:
    """Tool figures against the previous period; status breakdown, top errors (``limit``
    messages, the rest summed), usage by agent and by server (``limit`` rows each)."""
    c = tool_executions.c
    condition = true() if tool is None else c.tool_name == tool
    aggregates = {
        "tools": count_distinct_of(c.tool_name, true()),
        "executions": count_of(),
        "succeeded": count_of(successful_tool_execution()),
        "failed": count_of(_status_is("failed")),
        "timeouts": count_of(_status_is("timeout")),
        "avg_duration_ms": avg_of(c.duration_ms),
        "p95_duration_ms": percentile_of(conn.dialect.name, c.duration_ms, 0.95),
    }
    if tool is not None:
        del aggregates["tools"]
    cur, prev = aggregate_both_periods(
        conn, tool_executions, c.started_at, period, aggregates, where=condition
    )
    figures: dict[str, Comparison] = {}
    for name in aggregates:
        kind: MetricKind = "mean" if name.endswith("_duration_ms") else "count"
        figures[name] = figure(cur, prev, name, kind)
        if name == "timeouts":
            figures["success_rate"] = Comparison(
                ratio(cur["succeeded"], cur["executions"]),
                ratio(prev["succeeded"], prev["executions"]),
                "rate",
            )
    window = tool_window(period, tool)
    executions = int(cur["executions"])
    failures = executions - int(cur["succeeded"])
    return ToolStats(
        period=period,
        tool=tool,
        figures=figures,
        status_breakdown=_status_breakdown(conn, window, executions),
        top_errors=top_groups(
            conn,
            tool_executions,
            error_label(c.error_message),
            and_(window, not_(successful_tool_execution())),
            failures,
            limit,
            "executions",
            OTHER_ERRORS,
        ),
        by_agent=_usage_by(
            conn, func.coalesce(c.agent_name, NO_AGENT).label("agent"), window, executions, limit
        ),
        by_server=_usage_by(
            conn,
            func.coalesce(c.server_name, NO_SERVER).label("server"),
            window,
            executions,
            limit,
        ),
    )


def _status_breakdown(
    conn: Connection, window: ColumnElement[bool], executions: int
) -> list[dict[str, Any]]:
    """success, failed and timeout (zeros included): the counts add up to ``executions``."""
    status = tool_executions.c.status
    grouped = conn.execute(select(status, func.count()).where(window).group_by(status))
    counts: dict[str, int] = {name: int(count) for name, count in grouped}
    return [
        {
            "status": name,
            "executions": int(counts.get(name, 0)),
            "share_of_all": ratio(int(counts.get(name, 0)), executions),
        }
        for name in TOOL_STATUSES
    ]


def tool_show(conn: Connection, period: Period, name: str, limit: int = 10) -> ToolStats:
    """One tool's stats; InvalidInputError (naming ``NAME``) for a tool never seen."""
    _require_tool(conn, name)
    return tool_stats(conn, period, limit, tool=name)


def tool_trends(
    conn: Connection, period: Period, granularity: Granularity, tool: str | None = None
) -> TrendSeries:
    """Per bucket (UTC, zero-filled): executions by outcome, success rate and latency (None
    for a bucket without executions)."""
    if tool is not None:
        _require_tool(conn, tool)
    c = tool_executions.c
    dialect_name = conn.dialect.name
    bucket = time_bucket(dialect_name, c.started_at, granularity).label("bucket")
    statement = (
        select(bucket, *_tool_columns(dialect_name))
        .where(tool_window(period, tool))
        .group_by(bucket)
    )
    rows = {bucket_start(row.bucket): dict(row._mapping) for row in conn.execute(statement)}
    series = zero_filled(period, granularity, rows, TREND_METRICS)
    for point in series:
        point["success_rate"] = ratio(point["succeeded"], point["executions"])
        for name in ("avg_duration_ms", "p95_duration_ms"):
            point[name] = rounded(point[name]) if point["executions"] else None
    return TrendSeries(period, granularity, TREND_METRICS, series, {"tool": tool})
