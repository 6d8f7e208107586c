"""Agent reports: tasks per agent, success rate, status breakdown, top errors, hour of day,
task duration and the AI requests and cost of each agent.

Tasks are placed in the window by ``started_at``; AI requests by ``requested_at`` and are
attributed to an agent by their ``agent_name`` (synthetic requests excluded unless asked).
Tasks and AI requests are aggregated per agent each on their own before they are joined, so
an agent's task count never grows with the number of its AI requests.

Task figures come from the ``agent_tasks`` rollup (tasks by agent and status), duration
percentiles from the sorted durations of ``agent_durations`` (exact), AI figures from the AI
request rollup; top errors and the hour of the day are read from the tasks themselves (the
failed ones through their own index).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select, true, union
from sqlalchemy.sql import FromClause

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import (
    cost_aggregates,
    labelled,
    remainder,
    rounded,
    usd,
)
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Aggregate,
    Comparison,
    MetricKind,
    aggregate_both_periods,
    count_distinct_of,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import (
    completed_agent_task,
    failed_agent_task,
    finished_agent_task,
    in_period,
)
from systemprompt_analytics.reports.figures import (
    ai_cost_columns,
    ai_cost_figures,
    comparison_rows,
    figure,
    listed_rows,
)
from systemprompt_analytics.reports.hours import hour_of_day
from systemprompt_analytics.reports.ranking import RankedRows, error_label, top_groups
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import (
    ai_facts,
    count_of_rows,
    cuts,
    percentiles,
    reader,
)
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.rollups import RollupReader, ValueRun
from systemprompt_analytics.storage.rollups.source import KeyFilter
from systemprompt_analytics.storage.schema import AGENT_TASK_STATUSES, agent_tasks, ai_requests

OTHER_ERRORS = "(other errors)"
KNOWN_NAMES_SHOWN = 20

LIST_COLUMNS = (
    "agent",
    "tasks",
    "share_of_tasks",
    "finished",
    "completed",
    "failed",
    "success_rate",
    "avg_duration_ms",
    "p95_duration_ms",
    "ai_requests",
    "tokens",
    "unpriced_requests",
    "cost_microdollars",
    "cost_usd",
    "share_of_cost",
)
TOTAL_COLUMNS = tuple(
    name for name in LIST_COLUMNS if name not in ("agent", "share_of_tasks", "share_of_cost")
)
# The agent figures that add up over agents: rows + rest = totals.
ADDITIVE = (
    "tasks",
    "finished",
    "completed",
    "failed",
    "ai_requests",
    "tokens",
    "unpriced_requests",
    "cost_microdollars",
)
# The task figures of ``agents stats|show``, in the order shown (success rate after failed).
TASK_FIGURES = (
    "tasks",
    "finished",
    "completed",
    "failed",
    "avg_duration_ms",
    "p95_duration_ms",
)
TREND_METRICS = (
    "tasks",
    "finished",
    "completed",
    "failed",
    "success_rate",
    "ai_requests",
    "cost_microdollars",
)


def _agent_is(column: Any, agent: str | None) -> ColumnElement[bool]:
    return true() if agent is None else column == agent


def task_window(period: Period, agent: str | None = None) -> ColumnElement[bool]:
    """Tasks started in the window (of one agent, if given)."""
    t = agent_tasks.c
    return and_(in_period(t.started_at, period), _agent_is(t.agent_name, agent))


def agent_ai_requests(
    facts: FromClause, include_synthetic: bool, agent: str | None = None
) -> ColumnElement[bool]:
    """Billable AI requests (rows of the AI request rollup) made by an agent (by a given one,
    if named)."""
    c = facts.c
    billable = true() if include_synthetic else c.is_synthetic == False  # noqa: E712
    return and_(billable, c.agent_name.is_not(None), _agent_is(c.agent_name, agent))


def _task_aggregates(facts: FromClause) -> dict[str, Aggregate]:
    """Task counts and what the average duration is made of, over ``agent_tasks`` rows."""
    c = facts.c
    return {
        "tasks": count_of_rows(c.tasks),
        "finished": count_of_rows(c.tasks, finished_agent_task(c.status)),
        "completed": count_of_rows(c.tasks, completed_agent_task(c.status)),
        "failed": count_of_rows(c.tasks, failed_agent_task(c.status)),
        "duration_ms_sum": sum_of(c.duration_ms_sum),
        "duration_ms_count": sum_of(c.duration_ms_count),
    }


def _with_durations(raw: Mapping[Any, Any], p95: float | None) -> dict[str, Any]:
    """A row of :func:`_task_aggregates` with the average and the 95th percentile duration."""
    row = dict(raw)
    counted = int(row.pop("duration_ms_count") or 0)
    total = int(row.pop("duration_ms_sum") or 0)
    row["avg_duration_ms"] = total / counted if counted else None
    row["p95_duration_ms"] = p95
    return row


def _p95_durations(
    source: RollupReader,
    boundaries: list[datetime],
    agent: str | None = None,
    *,
    by_agent: bool = False,
    agents: Collection[str] | None = None,
) -> dict[Hashable, float | None]:
    """The 95th percentile task duration per stretch between ``boundaries`` (and per agent
    with ``by_agent``: keys ``(stretch, agent)``), of one agent if named, or of ``agents``."""
    where: KeyFilter | None = None
    if agent is not None:
        where = lambda columns: columns["agent_name"] == agent  # noqa: E731
    elif agents is not None:
        names = sorted(agents)
        where = lambda columns: columns["agent_name"].in_(names)  # noqa: E731
    runs = source.values(
        "agent_durations",
        "duration_ms_values",
        boundaries,
        keys=("agent_name",) if by_agent else (),
        where=where,
    )
    group: Callable[[ValueRun], Hashable] = (
        (lambda run: (run.interval, run.key[0])) if by_agent else (lambda run: run.interval)
    )
    return {key: found["p95"] for key, found in percentiles(runs, {"p95": 0.95}, group).items()}


def _derive(raw: Mapping[Any, Any], totals: Mapping[str, Any] | None) -> dict[str, Any]:
    """One agent's (or, without ``totals``, every agent's) figures: rates, rounding, AI cost,
    and shares of ``totals``."""
    row: dict[str, Any] = {
        name: int(raw[name] or 0) for name in ("tasks", "finished", "completed", "failed")
    }
    row["success_rate"] = ratio(row["completed"], row["finished"])
    row["avg_duration_ms"] = rounded(raw["avg_duration_ms"])
    row["p95_duration_ms"] = rounded(raw["p95_duration_ms"])
    row |= ai_cost_figures(raw)
    if totals is not None:
        row["share_of_tasks"] = ratio(row["tasks"], totals["tasks"])
        row["share_of_cost"] = ratio(row["cost_microdollars"], totals["cost_microdollars"])
    return row


@dataclass(frozen=True)
class AgentList:
    """Every agent with tasks or AI requests in the window, most tasks first; ``rest`` is
    what the agents beyond the limit add up to (rows + rest = totals)."""

    period: Period
    include_synthetic: bool
    totals: dict[str, Any]
    agents: RankedRows
    rest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "include_synthetic": self.include_synthetic,
            "totals": self.totals,
            "agents": self.agents.to_dict(),
            "rest": self.rest,
        }


def _totals(
    conn: Connection,
    period: Period,
    include_synthetic: bool,
    tasks: FromClause,
    facts: FromClause,
    p95: float | None,
) -> dict[str, Any]:
    """The figures of every agent together: the totals that shares are taken of."""
    task_row = conn.execute(
        select(*labelled(true(), _task_aggregates(tasks))).where(
            in_period(tasks.c.bucket_at, period)
        )
    )
    ai = conn.execute(
        select(*ai_cost_columns(facts)).where(
            in_period(facts.c.bucket_at, period), agent_ai_requests(facts, include_synthetic)
        )
    )
    figures = _with_durations(task_row.one()._mapping, p95)
    return _derive({**figures, **ai.one()._mapping}, None)


def _ranked_agents(
    conn: Connection,
    period: Period,
    limit: int,
    include_synthetic: bool,
    source: RollupReader,
    *,
    with_totals: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any], Any]:
    """The ``limit`` agents with most tasks (then AI requests) as ``agents list`` rows, the
    figures of all agents their shares are of (with the overall p95 only ``with_totals``),
    and the query of every agent's name in the window."""
    boundaries = cuts(period)
    tasks = source.facts("agent_tasks", boundaries)
    t = tasks.c
    facts = ai_facts(source, boundaries, RequestFilter(True))
    a = facts.c
    tasks_window = in_period(t.bucket_at, period)
    ai_window = and_(in_period(a.bucket_at, period), agent_ai_requests(facts, include_synthetic))
    per_task_agent = (
        select(t.agent_name.label("agent"), *labelled(true(), _task_aggregates(tasks)))
        .where(tasks_window)
        .group_by(t.agent_name)
        .subquery("task_figures")
    )
    per_ai_agent = (
        select(a.agent_name.label("agent"), *ai_cost_columns(facts))
        .where(ai_window)
        .group_by(a.agent_name)
        .subquery("ai_figures")
    )
    names = union(
        select(t.agent_name.label("agent")).where(tasks_window),
        select(a.agent_name.label("agent")).where(ai_window),
    ).subquery("agent_names")
    tf, af = per_task_agent.c, per_ai_agent.c
    tasks_count = func.coalesce(tf.tasks, 0)
    ai_count = func.coalesce(af.requests, 0)
    task_columns = [column for column in per_task_agent.c if column.name not in ("agent", "tasks")]
    ai_columns = [column for column in per_ai_agent.c if column.name != "agent"]
    statement = (
        select(names.c.agent, tasks_count.label("tasks"), *task_columns, *ai_columns)
        .select_from(
            names.outerjoin(per_task_agent, tf.agent == names.c.agent).outerjoin(
                per_ai_agent, af.agent == names.c.agent
            )
        )
        .order_by(tasks_count.desc(), ai_count.desc(), names.c.agent)
        .limit(limit)
    )
    found = list(conn.execute(statement))
    overall = _p95_durations(source, boundaries).get(0) if with_totals else None
    all_agents = _totals(conn, period, include_synthetic, tasks, facts, overall)
    shown = {row.agent for row in found}
    p95 = _p95_durations(source, boundaries, by_agent=True, agents=shown) if shown else {}
    rows = []
    for row in found:
        figures = _with_durations(row._mapping, p95.get((0, row.agent)))
        derived = {"agent": row.agent, **_derive(figures, all_agents)}
        rows.append({name: derived[name] for name in LIST_COLUMNS})
    return rows, all_agents, names


def agent_list(
    conn: Connection,
    period: Period,
    limit: int = 20,
    include_synthetic: bool = False,
    *,
    use_rollups: bool = True,
) -> AgentList:
    """Agents by tasks started in the window: outcomes, success rate, duration, AI cost.

    Shares are of all tasks and of all agents' AI cost in the window (not of the rows shown).
    """
    source = reader(conn, use_rollups)
    rows, all_agents, names = _ranked_agents(
        conn, period, limit, include_synthetic, source, with_totals=True
    )
    agents_count = int(conn.execute(select(func.count()).select_from(names)).scalar_one())
    totals = {"agents": agents_count, **{name: all_agents[name] for name in TOTAL_COLUMNS}}
    rest = remainder(totals, rows, ADDITIVE)
    rest["agents"] = agents_count - len(rows)
    rest["cost_usd"] = usd(rest["cost_microdollars"])
    rest["share_of_tasks"] = ratio(rest["tasks"], totals["tasks"])
    rest["share_of_cost"] = ratio(rest["cost_microdollars"], totals["cost_microdollars"])
    return AgentList(period, include_synthetic, totals, RankedRows(rows, agents_count), rest)


def top_agents(
    conn: Connection,
    period: Period,
    limit: int,
    include_synthetic: bool,
    source: RollupReader,
) -> list[dict[str, Any]]:
    """The rows of ``agent_list`` alone (the overview's leaderboard), without the overall
    p95 and agent count that only the full list shows."""
    rows, _, _ = _ranked_agents(conn, period, limit, include_synthetic, source, with_totals=False)
    return rows


# ------------------------------------------------------------------------------------------
# Stats (all agents, or one agent: ``agents show``)
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentStats:
    """Figures against the previous period, then the current period's status breakdown, top
    errors and hour-of-day distribution. ``agent`` is None for all agents together."""

    period: Period
    agent: str | None
    include_synthetic: bool
    figures: dict[str, Comparison]
    status_breakdown: list[dict[str, Any]]
    top_errors: RankedRows
    hourly_distribution: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "agent": self.agent,
            "include_synthetic": self.include_synthetic,
            "figures": {name: value.to_dict() for name, value in self.figures.items()},
            "status_breakdown": self.status_breakdown,
            "top_errors": self.top_errors.to_dict(),
            "hourly_distribution": self.hourly_distribution,
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """One long table: figures, then status, error and hour rows (count in ``current``)."""
        return [
            *comparison_rows(self.figures),
            *listed_rows("status", "status", "tasks", self.status_breakdown),
            *listed_rows("top_errors", "error", "tasks", self.top_errors.rows),
            *listed_rows("hour_of_day", "hour", "tasks", self.hourly_distribution),
        ]


def _require_agent(conn: Connection, name: str) -> None:
    """InvalidInputError naming ``NAME`` unless some task or AI request has this agent."""
    t, a = agent_tasks.c, ai_requests.c
    for column, key in ((t.agent_name, t.id), (a.agent_name, a.id)):
        if conn.execute(select(key).where(column == name).limit(1)).first() is not None:
            return
    known = (
        conn.execute(
            select(t.agent_name).distinct().order_by(t.agent_name).limit(KNOWN_NAMES_SHOWN)
        )
        .scalars()
        .all()
    )
    listed = ", ".join(known) if known else "none have reported tasks yet"
    raise InvalidInputError("NAME", f"no agent named {name!r}; known agents: {listed}")


def agent_stats(
    conn: Connection,
    period: Period,
    limit: int = 10,
    include_synthetic: bool = False,
    agent: str | None = None,
    *,
    use_rollups: bool = True,
) -> AgentStats:
    """Agent figures against the previous period; status breakdown, top errors (``limit``
    messages, the rest summed) and tasks per hour of the day in the current period."""
    t = agent_tasks.c
    source = reader(conn, use_rollups)
    boundaries = cuts(period, previous=True)
    tasks = source.facts("agent_tasks", boundaries)
    of_agent = _agent_is(tasks.c.agent_name, agent)
    task_aggregates: dict[str, Aggregate] = {
        "agents": count_distinct_of(tasks.c.agent_name, true()),
        **_task_aggregates(tasks),
    }
    if agent is not None:
        del task_aggregates["agents"]
    raw_cur, raw_prev = aggregate_both_periods(
        conn, tasks, tasks.c.bucket_at, period, task_aggregates, where=of_agent
    )
    p95 = _p95_durations(source, boundaries, agent)
    prev, cur = (
        _with_durations(raw, p95.get(index)) for index, raw in enumerate((raw_prev, raw_cur))
    )
    facts = ai_facts(source, boundaries, RequestFilter(True))
    ai_raw = aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        cost_aggregates(facts),
        where=agent_ai_requests(facts, include_synthetic, agent),
    )
    ai_cur, ai_prev = (ai_cost_figures(raw) for raw in ai_raw)
    figures: dict[str, Comparison] = {}
    for name in (*(["agents"] if agent is None else []), *TASK_FIGURES):
        kind: MetricKind = "mean" if name.endswith("_duration_ms") else "count"
        figures[name] = figure(cur, prev, name, kind)
        if name == "failed":
            figures["success_rate"] = Comparison(
                ratio(cur["completed"], cur["finished"]),
                ratio(prev["completed"], prev["finished"]),
                "rate",
            )
    for name in ("ai_requests", "tokens", "unpriced_requests"):
        figures[name] = figure(ai_cur, ai_prev, name)
    for name in ("cost_microdollars", "cost_usd"):
        figures[name] = Comparison(ai_cur[name], ai_prev[name], "amount")
    window = task_window(period, agent)
    in_window = and_(in_period(tasks.c.bucket_at, period), of_agent)
    return AgentStats(
        period=period,
        agent=agent,
        include_synthetic=include_synthetic,
        figures=figures,
        status_breakdown=_status_breakdown(conn, tasks, in_window, int(cur["tasks"])),
        top_errors=top_groups(
            conn,
            agent_tasks,
            error_label(t.error_message),
            and_(window, failed_agent_task()),
            int(cur["failed"]),
            limit,
            "tasks",
            OTHER_ERRORS,
        ),
        hourly_distribution=hour_of_day(conn, agent_tasks, t.started_at, window, "tasks"),
    )


def _status_breakdown(
    conn: Connection, tasks: FromClause, window: ColumnElement[bool], total: int
) -> list[dict[str, Any]]:
    """Every task status in lifecycle order (zeros included): the counts add up to ``total``."""
    c = tasks.c
    grouped = conn.execute(select(c.status, func.sum(c.tasks)).where(window).group_by(c.status))
    counts: dict[str, int] = {name: int(count) for name, count in grouped}
    return [
        {
            "status": name,
            "tasks": int(counts.get(name, 0)),
            "share_of_all": ratio(int(counts.get(name, 0)), total),
        }
        for name in AGENT_TASK_STATUSES
    ]


def agent_overview(conn: Connection, period: Period, source: RollupReader) -> dict[str, Comparison]:
    """The overview's agents: tasks started and their success rate, against the previous
    period."""
    tasks = source.facts("agent_tasks", cuts(period, previous=True))
    aggregates = _task_aggregates(tasks)
    cur, prev = aggregate_both_periods(
        conn,
        tasks,
        tasks.c.bucket_at,
        period,
        {name: aggregates[name] for name in ("tasks", "finished", "completed")},
    )
    return {
        "tasks": figure(cur, prev, "tasks"),
        "success_rate": Comparison(
            ratio(cur["completed"], cur["finished"]),
            ratio(prev["completed"], prev["finished"]),
            "rate",
        ),
    }


def agent_show(
    conn: Connection,
    period: Period,
    name: str,
    limit: int = 10,
    include_synthetic: bool = False,
    *,
    use_rollups: bool = True,
) -> AgentStats:
    """One agent's stats; InvalidInputError (naming ``NAME``) for an agent never seen."""
    _require_agent(conn, name)
    return agent_stats(conn, period, limit, include_synthetic, agent=name, use_rollups=use_rollups)


def agent_trends(
    conn: Connection,
    period: Period,
    granularity: Granularity,
    include_synthetic: bool = False,
    agent: str | None = None,
    *,
    use_rollups: bool = True,
) -> TrendSeries:
    """Per bucket (UTC, zero-filled): tasks started, finished, completed, failed, success
    rate (None for a bucket without finished tasks), AI requests and cost."""
    t = agent_tasks.c
    dialect_name = conn.dialect.name
    if agent is not None:
        _require_agent(conn, agent)
    facts = ai_facts(
        reader(conn, use_rollups), cuts(period), RequestFilter(True), days=granularity != "hour"
    )
    a = facts.c
    task_bucket = time_bucket(dialect_name, t.started_at, granularity).label("bucket")
    rows: dict[Any, dict[str, Any]] = {}
    task_statement = (
        select(
            task_bucket,
            func.count().label("tasks"),
            func.count().filter(finished_agent_task()).label("finished"),
            func.count().filter(completed_agent_task()).label("completed"),
            func.count().filter(failed_agent_task()).label("failed"),
        )
        .where(task_window(period, agent))
        .group_by(task_bucket)
    )
    for row in conn.execute(task_statement):
        rows[bucket_start(row.bucket)] = dict(row._mapping)
    ai_bucket = time_bucket(dialect_name, a.bucket_at, granularity).label("bucket")
    ai_statement = (
        select(ai_bucket, *ai_cost_columns(facts))
        .where(in_period(a.bucket_at, period), agent_ai_requests(facts, include_synthetic, agent))
        .group_by(ai_bucket)
    )
    unknown_cost = set()
    for row in conn.execute(ai_statement):
        start = bucket_start(row.bucket)
        costs = ai_cost_figures(row._mapping)
        rows.setdefault(start, {}).update(costs)
        if costs["cost_microdollars"] is None:
            unknown_cost.add(start.isoformat())
    series = zero_filled(period, granularity, rows, TREND_METRICS)
    for point in series:
        if point["bucket"] in unknown_cost:
            point["cost_microdollars"] = None  # every request of the bucket is unpriced
    for point in series:
        point["success_rate"] = ratio(point["completed"], point["finished"])
    options = {"agent": agent, "include_synthetic": include_synthetic}
    return TrendSeries(period, granularity, TREND_METRICS, series, options)
