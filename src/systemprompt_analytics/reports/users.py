"""User reports: how many users there are, how many were active, and who uses the most AI.

``users stats`` counts registered and anonymous users (identified up to the end of the
window) and, over the last 24 hours, 7 days and 30 days, active users, visitors and new users,
each against the previous window of equal length; active users and visitors are exact
distinct counts from the key sets of the ``session_people`` rollup (reports/user_activity.py).

``users top`` ranks users by AI requests or cost; requests, tasks and sessions are each counted
per user before they are joined, so no figure is multiplied by another table's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, func, select, true
from sqlalchemy.sql import Subquery

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import remainder, usd
from systemprompt_analytics.reports.compare import Comparison, ratio
from systemprompt_analytics.reports.definitions import (
    human_session,
    in_period,
    registered_user,
)
from systemprompt_analytics.reports.figures import ai_cost_columns, ai_cost_figures
from systemprompt_analytics.reports.ranking import RankedRows
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import ai_facts, cuts, reader, request_filter_on
from systemprompt_analytics.reports.top_groups import bounded_groups, candidates_for
from systemprompt_analytics.reports.user_activity import people_in
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.schema import agent_tasks, sessions, users

# The windows of ``users stats``, each ending at the report's end: (name, length).
USER_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)
WINDOW_METRICS = ("active_users", "visitors", "new_users")
STATS_CSV_COLUMNS = ("window", "metric", "current", "previous", "change_pct")


def _windows(until: datetime) -> dict[str, Period]:
    """``<window>_current`` and ``<window>_previous`` of every window ending at ``until``."""
    found = {}
    for name, length in USER_WINDOWS:
        period = Period(until - length, until)
        found[f"{name}_current"] = period
        found[f"{name}_previous"] = period.previous
    return found


def _user_counts(
    conn: Connection,
    periods: dict[str, Period],
    until: datetime,
    source: RollupReader,
    *,
    visitors: bool = True,
) -> dict[str, int]:
    """Users identified before ``until`` (``users``, ``registered``, ``anonymous``) and, for
    each named period, ``<name>_active_users``, ``<name>_visitors`` (exact, from the
    ``session_people`` rollup: reports/user_activity.py) and ``<name>_new_users``."""
    u = users.c
    # Filters, not a WHERE: nearly every user was identified before ``until``, and SQLite
    # would read them all through the ``created_at`` index, row by row (4x a plain scan).
    known = u.created_at < until
    user_columns: list[ColumnElement[Any]] = [
        func.count().filter(known).label("users"),
        func.count().filter(and_(known, registered_user())).label("registered"),
        func.count().filter(and_(known, u.is_anonymous)).label("anonymous"),
    ]
    for key, period in periods.items():
        new_users = and_(known, in_period(u.created_at, period))
        user_columns.append(func.count().filter(new_users).label(f"{key}_new_users"))
    counts: dict[str, int] = {}
    for key, people in people_in(source, periods, visitors=visitors).items():
        counts[f"{key}_active_users"] = people.active_users
        counts[f"{key}_visitors"] = people.visitors
    found = conn.execute(select(*user_columns).select_from(users)).one()
    return counts | {name: int(value) for name, value in found._mapping.items()}


@dataclass(frozen=True)
class UserStats:
    until: datetime
    totals: dict[str, int]
    windows: dict[str, dict[str, Comparison]]

    def to_dict(self) -> dict[str, Any]:
        windows: dict[str, Any] = {}
        for name, length in USER_WINDOWS:
            period = Period(self.until - length, self.until)
            figures = {metric: value.to_dict() for metric, value in self.windows[name].items()}
            windows[name] = {"period": period.to_dict(), **figures}
        return {"until": self.until.isoformat(), "totals": self.totals, "windows": windows}

    def csv_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {"window": "all", "metric": name, "current": value}
            for name, value in self.totals.items()
        ]
        for window, figures in self.windows.items():
            rows += [
                {
                    "window": window,
                    "metric": metric,
                    "current": value.current,
                    "previous": value.previous,
                    "change_pct": value.change_pct,
                }
                for metric, value in figures.items()
            ]
        return rows


def user_stats(conn: Connection, until: datetime, *, use_rollups: bool = True) -> UserStats:
    """Registered and anonymous users identified before ``until``; active users, visitors
    and new users over the 24 hours, 7 days and 30 days before it, each against the window
    of equal length before that."""
    counts = _user_counts(conn, _windows(until), until, reader(conn, use_rollups))
    windows = {
        name: {
            metric: Comparison(
                counts[f"{name}_current_{metric}"], counts[f"{name}_previous_{metric}"]
            )
            for metric in WINDOW_METRICS
        }
        for name, _ in USER_WINDOWS
    }
    totals = {name: counts[name] for name in ("users", "registered", "anonymous")}
    return UserStats(until, totals, windows)


def user_overview(
    conn: Connection, period: Period, source: RollupReader | None = None
) -> dict[str, Comparison | int | float | None]:
    """The overview's users: active and new users against the previous period, registered
    and anonymous users identified before the end of the period."""
    periods = {"current": period, "previous": period.previous}
    source = source or reader(conn, True)
    counts = _user_counts(conn, periods, period.until, source, visitors=False)
    return {
        "active_users": Comparison(counts["current_active_users"], counts["previous_active_users"]),
        "new_users": Comparison(counts["current_new_users"], counts["previous_new_users"]),
        "registered": counts["registered"],
        "anonymous": counts["anonymous"],
    }


# ------------------------------------------------------------------------------------------
# Top users
# ------------------------------------------------------------------------------------------
class UserRanking(StrEnum):
    requests = "requests"
    cost = "cost"


TOP_COLUMNS = (
    "user_id",
    "display_name",
    "is_anonymous",
    "ai_requests",
    "share_of_requests",
    "tokens",
    "cost_microdollars",
    "cost_usd",
    "share_of_cost",
    "unpriced_requests",
    "tasks",
    "sessions",
)


# What the ranked users add up to with the users beyond the limit (``rest``).
ADDITIVE = ("ai_requests", "tokens", "unpriced_requests", "cost_microdollars")


@dataclass(frozen=True)
class TopUsers:
    """The ranked users; ``rest`` is what the users beyond the limit add up to, so rows +
    rest + the requests of no user (``totals.unattributed_*``) = totals."""

    period: Period
    ranked_by: UserRanking
    include_synthetic: bool
    totals: dict[str, Any]
    users: RankedRows
    rest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "ranked_by": self.ranked_by.value,
            "include_synthetic": self.include_synthetic,
            "totals": self.totals,
            "users": self.users.to_dict(),
            "rest": self.rest,
        }


def _request_totals(
    conn: Connection,
    everything: Select[Any],
    nobody: Select[Any],
    users_count: int,
) -> dict[str, Any]:
    """Every billable request of the window (also those of no user): the true total.

    ``everything`` sums the request rollup (the same sums as the per-user one, in far fewer
    rows); ``nobody`` the per-user rollup's requests of no user."""
    unattributed = ai_cost_figures(conn.execute(nobody).one()._mapping)
    return {
        "users": users_count,
        **ai_cost_figures(conn.execute(everything).one()._mapping),
        "unattributed_requests": unattributed["ai_requests"],
        "unattributed_cost_microdollars": unattributed["cost_microdollars"],
    }


def _attributed(totals: dict[str, Any]) -> dict[str, Any]:
    """The totals of the requests that belong to a user."""
    result = {name: totals[name] for name in ADDITIVE}
    result["ai_requests"] -= totals["unattributed_requests"]
    cost = totals["cost_microdollars"]
    if cost is not None:
        result["cost_microdollars"] = cost - (totals["unattributed_cost_microdollars"] or 0)
    return result


def _ranking(columns: Any, by: UserRanking) -> tuple[Any, Any]:
    """Most requests or most cost first; an unknown cost (every request unpriced) ranks below
    every known one."""
    requests = columns.requests.desc()
    cost = columns.cost_microdollars.desc().nulls_last()
    return (requests, cost) if by is UserRanking.requests else (cost, requests)


def _counts_of(
    conn: Connection, user_id: Any, shown: list[str], where: ColumnElement[bool]
) -> dict[str, int]:
    """Rows per user (of ``user_id``'s table meeting ``where``) for the users ``shown``."""
    if not shown:
        return {}
    statement = select(user_id, func.count()).where(where, user_id.in_(shown)).group_by(user_id)
    return {str(user): int(count) for user, count in conn.execute(statement)}


def _ranked_users(
    conn: Connection,
    facts: Subquery,
    window: ColumnElement[bool],
    limit: int,
    by: UserRanking,
    *,
    count: bool = True,
) -> tuple[list[Row[Any]], int | None]:
    """The ``limit`` users of ``facts`` (rows meeting ``window``) ranked ``by`` requests or
    cost, with their display names, and how many users there are (None unless ``count``).

    On PostgreSQL only the users whose bound on the ranked sum is among the largest are
    summed (reports/top_groups.py: :func:`bounded_groups`); when their k-th sum does not
    settle the ranking, or on SQLite, every user is ranked."""
    u = users.c
    a = facts.c
    mine = and_(window, a.user_id.is_not(None))

    def ranked(among: ColumnElement[bool], counted: bool = False) -> list[Row[Any]]:
        # How many users there are, when every user is ranked: a window count of the groups.
        users_count = [func.count().over().label("users")] if counted else []
        per_user = (
            select(a.user_id, *ai_cost_columns(facts), *users_count)
            .where(mine, among)
            .group_by(a.user_id)
            .subquery("per_user")
        )
        p = per_user.c
        top = select(per_user).order_by(*_ranking(p, by), p.user_id).limit(limit).subquery("ranked")
        r = top.c
        statement: Select[Any] = (
            select(*top.c, u.display_name, u.is_anonymous)
            .select_from(top.outerjoin(users, u.id == r.user_id))
            .order_by(*_ranking(r, by), r.user_id)
        )
        return list(conn.execute(statement).all())

    wanted = candidates_for(conn, limit)
    if wanted is None:
        found = ranked(true(), count)
        return found, (int(found[0].users) if found else 0) if count else None
    ranked_by = a.requests if by is UserRanking.requests else a.cost_microdollars
    bounded = bounded_groups(conn, a.user_id, ranked_by, mine, wanted, count=count)
    found = ranked(bounded.among(a.user_id))
    kth = None
    if len(found) == limit:
        kth = found[-1].requests if by is UserRanking.requests else found[-1].cost_microdollars
    if not bounded.proves(kth):
        found = ranked(true())
    return found, bounded.groups


def _user_facts(
    source: RollupReader, period: Period, billable: RequestFilter
) -> tuple[Subquery, ColumnElement[bool]]:
    """The per-user AI request rows of the window and the condition of the billable ones."""
    facts = ai_facts(source, cuts(period), billable, by_user=True)
    window = and_(in_period(facts.c.bucket_at, period), request_filter_on(billable, facts.c))
    return facts, window


def _everything(source: RollupReader, period: Period, billable: RequestFilter) -> Select[Any]:
    """The cost figures of every billable request of the window, from the request rollup
    (the same sums as the per-user one, in far fewer rows)."""
    requests = ai_facts(source, cuts(period), billable)
    return select(*ai_cost_columns(requests)).where(
        in_period(requests.c.bucket_at, period), request_filter_on(billable, requests.c)
    )


def _user_rows(
    conn: Connection, period: Period, found_rows: list[Row[Any]], totals: dict[str, Any]
) -> list[dict[str, Any]]:
    """The rows of the users ranked, with their tasks and human sessions started in the
    window (each counted on its own, for these users only) and shares of ``totals``."""
    t, s = agent_tasks.c, sessions.c
    shown = [row.user_id for row in found_rows]
    tasks = _counts_of(conn, t.user_id, shown, in_period(t.started_at, period))
    visits = _counts_of(
        conn, s.user_id, shown, and_(in_period(s.started_at, period), human_session())
    )
    rows = []
    for found in found_rows:
        row = dict(found._mapping) | ai_cost_figures(found._mapping)
        row["tasks"], row["sessions"] = tasks.get(found.user_id, 0), visits.get(found.user_id, 0)
        row["is_anonymous"] = None if row["is_anonymous"] is None else bool(row["is_anonymous"])
        row["share_of_requests"] = ratio(row["ai_requests"], totals["ai_requests"])
        row["share_of_cost"] = ratio(row["cost_microdollars"], totals["cost_microdollars"])
        rows.append({name: row[name] for name in TOP_COLUMNS})
    return rows


def top_users(
    conn: Connection,
    period: Period,
    limit: int = 20,
    by: UserRanking = UserRanking.requests,
    include_synthetic: bool = False,
    *,
    use_rollups: bool = True,
) -> TopUsers:
    """Users with AI requests in the window, most requests (or cost) first, with their tokens,
    tasks started and human sessions started in the window. Shares are of every billable
    request and its cost in the window, including requests that belong to no user."""
    billable = RequestFilter(include_synthetic)
    source = reader(conn, use_rollups)
    facts, window = _user_facts(source, period, billable)
    found_rows, users_count = _ranked_users(conn, facts, window, limit, by)
    totals = _request_totals(
        conn,
        _everything(source, period, billable),
        select(*ai_cost_columns(facts)).where(window, facts.c.user_id.is_(None)),
        users_count or 0,
    )
    rows = _user_rows(conn, period, found_rows, totals)
    rest = remainder(_attributed(totals), rows, ADDITIVE)
    rest["users"] = totals["users"] - len(rows)
    rest["cost_usd"] = usd(rest["cost_microdollars"])
    rest["share_of_requests"] = ratio(rest["ai_requests"], totals["ai_requests"])
    rest["share_of_cost"] = ratio(rest["cost_microdollars"], totals["cost_microdollars"])
    listed = RankedRows(rows, totals["users"])
    return TopUsers(period, by, include_synthetic, totals, listed, rest)


def user_leaderboard(
    conn: Connection,
    period: Period,
    limit: int,
    by: UserRanking,
    include_synthetic: bool,
    source: RollupReader,
) -> list[dict[str, Any]]:
    """The rows of :func:`top_users` alone (the overview's leaderboard): without how many
    users there are and what the others add up to, which cost a pass over every user."""
    billable = RequestFilter(include_synthetic)
    facts, window = _user_facts(source, period, billable)
    found_rows, _ = _ranked_users(conn, facts, window, limit, by, count=False)
    totals = ai_cost_figures(conn.execute(_everything(source, period, billable)).one()._mapping)
    return _user_rows(conn, period, found_rows, totals)
