"""MCP tool reports: executions per tool, success rate, latency (average and p95), status
breakdown, top errors, and usage by agent and by server.

Executions are placed in the window by ``started_at``. Success rate = executions with status
``success`` / all executions (failed and timeout are not successes); errors are the messages
of executions that did not succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, not_, select, true
from sqlalchemy.sql import FromClause

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import remainder, rounded
from systemprompt_analytics.reports.buckets import floor_to_bucket, zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    MetricKind,
    aggregate_both_periods,
    count_distinct_of,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import in_period, successful_tool_execution
from systemprompt_analytics.reports.figures import (
    comparison_rows,
    figure,
    listed_rows,
)
from systemprompt_analytics.reports.ranking import RankedRows, error_label, top_groups
from systemprompt_analytics.reports.rollup_facts import count_of_rows, cuts, percentiles, reader
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import (
    Granularity,
    bucket_start,
    time_bucket,
)
from systemprompt_analytics.storage.rollups import RollupReader, ValueRun
from systemprompt_analytics.storage.rollups.source import Columns
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


def _facts_window(facts: FromClause, period: Period, tool: str | None) -> ColumnElement[bool]:
    """Rows of the tool rollup ``facts`` in the window (of one tool, if given)."""
    c = facts.c
    return and_(in_period(c.bucket_at, period), true() if tool is None else c.tool_name == tool)


def _status_is(facts: FromClause, status: str) -> ColumnElement[bool]:
    return facts.c.status == status


def _executions(facts: FromClause, condition: ColumnElement[bool] | None = None) -> Any:
    return count_of_rows(facts.c.executions, condition)(true())


def _tool_columns(facts: FromClause) -> list[ColumnElement[Any]]:
    """Executions by outcome and the parts of the average duration, over tool rollup rows."""
    c = facts.c
    return [
        _executions(facts).label("executions"),
        _executions(facts, successful_tool_execution(c.status)).label("succeeded"),
        _executions(facts, _status_is(facts, "failed")).label("failed"),
        _executions(facts, _status_is(facts, "timeout")).label("timeouts"),
        func.coalesce(func.sum(c.duration_ms_sum), 0).label("duration_ms_sum"),
        func.coalesce(func.sum(c.duration_ms_count), 0).label("duration_ms_count"),
    ]


def _average(row: Mapping[str, Any]) -> float | None:
    count = int(row["duration_ms_count"] or 0)
    return int(row["duration_ms_sum"] or 0) / count if count else None


_PARTS = frozenset(
    {"executions", "succeeded", "failed", "timeouts", "duration_ms_sum", "duration_ms_count",
     "p95_duration_ms"}
)  # fmt: skip


def _derive(row: Mapping[str, Any], total_executions: int) -> dict[str, Any]:
    """A row's labels, then its figures: counts, average and p95 duration, success rate and
    share of ``total_executions``."""
    derived = {name: value for name, value in row.items() if name not in _PARTS}
    for name in ("executions", "succeeded", "failed", "timeouts"):
        derived[name] = int(row[name] or 0)
    derived["avg_duration_ms"] = rounded(_average(row))
    derived["p95_duration_ms"] = rounded(row.get("p95_duration_ms"))
    derived["success_rate"] = ratio(derived["succeeded"], derived["executions"])
    derived["share_of_executions"] = ratio(derived["executions"], total_executions)
    return derived


def _p95(
    source: RollupReader,
    boundaries: list[datetime],
    group: Callable[[ValueRun], Hashable],
    tool: str | None = None,
    days: bool = True,
    *,
    tools: Collection[str] | None = None,
) -> dict[Hashable, float | None]:
    """The 95th percentile of execution durations per ``group`` of value runs, of one
    ``tool`` or of the named ``tools`` if given."""

    def where(columns: Columns) -> ColumnElement[bool]:
        if tools is not None:
            shown: ColumnElement[bool] = columns["tool_name"].in_(sorted(tools))
            return shown
        return true() if tool is None else columns["tool_name"] == tool

    runs = source.values(
        "tool_durations",
        "duration_ms_values",
        boundaries,
        keys=("tool_name", "server_name"),
        where=where,
        days=days,
    )
    found = percentiles(runs, {"p95": 0.95}, group)
    return {key: figures["p95"] for key, figures in found.items()}


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


def _ranked_tools(
    conn: Connection,
    source: RollupReader,
    boundaries: list[datetime],
    facts: FromClause,
    window: ColumnElement[bool],
    limit: int,
    total_executions: int,
) -> list[dict[str, Any]]:
    """The ``limit`` tools with most executions in ``window``, as ``tools list`` rows (p95
    durations computed for the tools shown only)."""
    c = facts.c
    server = func.coalesce(c.server_name, NO_SERVER).label("server")
    keys = (c.tool_name.label("tool"), server)
    statement = (
        select(*keys, *_tool_columns(facts))
        .where(window)
        .group_by(*keys)
        .order_by(_executions(facts).desc(), c.tool_name, server)
        .limit(limit)
    )
    found = [dict(row._mapping) for row in conn.execute(statement)]
    shown = {row["tool"] for row in found}
    by_tool = (
        _p95(source, boundaries, lambda run: (run.key[0], run.key[1] or NO_SERVER), tools=shown)
        if shown
        else {}
    )
    rows = []
    for row in found:
        row["p95_duration_ms"] = by_tool.get((row["tool"], row["server"]))
        derived = _derive(row, total_executions)
        rows.append({name: derived[name] for name in LIST_COLUMNS})
    return rows


def tool_list(
    conn: Connection, period: Period, limit: int = 20, *, use_rollups: bool = True
) -> ToolList:
    """Tools by executions in the window; shares are of all executions (not of the rows)."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    facts = source.facts("tool_executions", boundaries)
    c = facts.c
    window = _facts_window(facts, period, None)
    overall = _p95(source, boundaries, lambda run: None)
    found = dict(conn.execute(select(*_tool_columns(facts)).where(window)).one()._mapping)
    totals = _derive(found | {"p95_duration_ms": overall.get(None)}, 0)
    totals.pop("share_of_executions")
    rows = _ranked_tools(conn, source, boundaries, facts, window, limit, totals["executions"])
    keys = (c.tool_name, func.coalesce(c.server_name, NO_SERVER))
    groups = select(*keys).where(window).group_by(*keys).subquery()
    total_rows = int(conn.execute(select(func.count()).select_from(groups)).scalar_one())
    rest = remainder(totals, rows, ADDITIVE)
    rest["tools"] = total_rows - len(rows)
    rest["success_rate"] = ratio(rest["succeeded"], rest["executions"])
    rest["share_of_executions"] = ratio(rest["executions"], totals["executions"])
    totals = {"tools": total_rows, **totals}
    return ToolList(period, totals, RankedRows(rows, total_rows), rest)


def top_tools(
    conn: Connection, period: Period, limit: int, source: RollupReader
) -> list[dict[str, Any]]:
    """The rows of ``tool_list`` alone (the overview's leaderboard), without the totals,
    overall p95 and tool count that only the full list shows."""
    boundaries = cuts(period)
    facts = source.facts("tool_executions", boundaries)
    window = _facts_window(facts, period, None)
    executions = int(conn.execute(select(_executions(facts)).where(window)).scalar_one())
    return _ranked_tools(conn, source, boundaries, facts, window, limit, executions)


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
    facts: FromClause,
    label: ColumnElement[Any],
    window: ColumnElement[bool],
    total: int,
    limit: int,
) -> RankedRows:
    """Executions grouped by ``label`` (agent or server), most first, with success rate."""
    c = facts.c
    statement = (
        select(
            label,
            _executions(facts).label("executions"),
            _executions(facts, successful_tool_execution(c.status)).label("succeeded"),
            func.coalesce(func.sum(c.duration_ms_sum), 0).label("duration_ms_sum"),
            func.coalesce(func.sum(c.duration_ms_count), 0).label("duration_ms_count"),
        )
        .where(window)
        .group_by(label)
        .order_by(_executions(facts).desc(), label)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        row["executions"], row["succeeded"] = int(row["executions"]), int(row["succeeded"])
        row["share_of_all"] = ratio(row["executions"], total)
        row["success_rate"] = ratio(row["succeeded"], row["executions"])
        row["avg_duration_ms"] = rounded(_average(row))
        rows.append({label.name: row[label.name], **{name: row[name] for name in USAGE_COLUMNS}})
    groups = conn.execute(select(func.count(distinct(label))).where(window)).scalar_one()
    return RankedRows(rows, int(groups))


STAT_FIGURES = (
    "tools",
    "executions",
    "succeeded",
    "failed",
    "timeouts",
    "avg_duration_ms",
    "p95_duration_ms",
)


def tool_stats(
    conn: Connection,
    period: Period,
    limit: int = 10,
    tool: str | None = None,
    *,
    use_rollups: bool = True,
) -> ToolStats:
    """Tool figures against the previous period; status breakdown, top errors (``limit``
    messages, the rest summed), usage by agent and by server (``limit`` rows each)."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period, previous=True)
    facts = source.facts("tool_executions", boundaries)
    c = facts.c
    condition = true() if tool is None else c.tool_name == tool
    aggregates = {
        "tools": count_distinct_of(c.tool_name, true()),
        "executions": count_of_rows(c.executions),
        "succeeded": count_of_rows(c.executions, successful_tool_execution(c.status)),
        "failed": count_of_rows(c.executions, _status_is(facts, "failed")),
        "timeouts": count_of_rows(c.executions, _status_is(facts, "timeout")),
        "duration_ms_sum": sum_of(c.duration_ms_sum),
        "duration_ms_count": sum_of(c.duration_ms_count),
    }
    cur, prev = aggregate_both_periods(
        conn, facts, c.bucket_at, period, aggregates, where=condition
    )
    p95 = _p95(source, boundaries, lambda run: run.interval, tool)
    for index, figures_of in enumerate((prev, cur)):
        figures_of["avg_duration_ms"] = _average(figures_of)
        figures_of["p95_duration_ms"] = p95.get(index)
    figures: dict[str, Comparison] = {}
    for name in STAT_FIGURES:
        if name == "tools" and tool is not None:
            continue
        kind: MetricKind = "mean" if name.endswith("_duration_ms") else "count"
        figures[name] = figure(cur, prev, name, kind)
        if name == "timeouts":
            figures["success_rate"] = Comparison(
                ratio(cur["succeeded"], cur["executions"]),
                ratio(prev["succeeded"], prev["executions"]),
                "rate",
            )
    window = _facts_window(facts, period, tool)
    executions = int(cur["executions"])
    failures = executions - int(cur["succeeded"])
    raw = tool_executions.c
    return ToolStats(
        period=period,
        tool=tool,
        figures=figures,
        status_breakdown=_status_breakdown(conn, facts, window, executions),
        top_errors=top_groups(
            conn,
            tool_executions,
            error_label(raw.error_message),
            and_(tool_window(period, tool), not_(successful_tool_execution())),
            failures,
            limit,
            "executions",
            OTHER_ERRORS,
        ),
        by_agent=_usage_by(
            conn,
            facts,
            func.coalesce(c.agent_name, NO_AGENT).label("agent"),
            window,
            executions,
            limit,
        ),
        by_server=_usage_by(
            conn,
            facts,
            func.coalesce(c.server_name, NO_SERVER).label("server"),
            window,
            executions,
            limit,
        ),
    )


def _status_breakdown(
    conn: Connection, facts: FromClause, window: ColumnElement[bool], executions: int
) -> list[dict[str, Any]]:
    """success, failed and timeout (zeros included): the counts add up to ``executions``."""
    status = facts.c.status
    grouped = conn.execute(select(status, _executions(facts)).where(window).group_by(status))
    counts: dict[str, int] = {name: int(count) for name, count in grouped}
    return [
        {
            "status": name,
            "executions": int(counts.get(name, 0)),
            "share_of_all": ratio(int(counts.get(name, 0)), executions),
        }
        for name in TOOL_STATUSES
    ]


def tool_show(
    conn: Connection, period: Period, name: str, limit: int = 10, *, use_rollups: bool = True
) -> ToolStats:
    """One tool's stats; InvalidInputError (naming ``NAME``) for a tool never seen."""
    _require_tool(conn, name)
    return tool_stats(conn, period, limit, tool=name, use_rollups=use_rollups)


def tool_trends(
    conn: Connection,
    period: Period,
    granularity: Granularity,
    tool: str | None = None,
    *,
    use_rollups: bool = True,
) -> TrendSeries:
    """Per bucket (UTC, zero-filled): executions by outcome, success rate and latency (None
    for a bucket without executions)."""
    if tool is not None:
        _require_tool(conn, tool)
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    days = granularity != "hour"
    facts = source.facts("tool_executions", boundaries, days=days)
    bucket = time_bucket(conn.dialect.name, facts.c.bucket_at, granularity).label("bucket")
    statement = (
        select(bucket, *_tool_columns(facts))
        .where(_facts_window(facts, period, tool))
        .group_by(bucket)
    )
    p95 = _p95(
        source,
        boundaries,
        lambda run: floor_to_bucket(run.bucket_at, granularity),
        tool,
        days=days,
    )
    rows = {}
    for row in conn.execute(statement):
        start = bucket_start(row.bucket)
        found = dict(row._mapping)
        found["avg_duration_ms"] = _average(found)
        found["p95_duration_ms"] = p95.get(start)
        rows[start] = found
    series = zero_filled(period, granularity, rows, TREND_METRICS)
    for point in series:
        point["success_rate"] = ratio(point["succeeded"], point["executions"])
        for name in ("avg_duration_ms", "p95_duration_ms"):
            point[name] = rounded(point[name]) if point["executions"] else None
    return TrendSeries(period, granularity, TREND_METRICS, series, {"tool": tool})
