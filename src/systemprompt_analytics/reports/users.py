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

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

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
    user_columns: list[ColumnElement[Any]] = [
        func.count().label("users"),
        func.count().filter(registered_user()).label("registered"),
        func.count().filter(u.is_anonymous).label("anonymous"),
    ]
    for key, period in periods.items():
        user_columns.append(
            func.count().filter(in_period(u.created_at, period)).label(f"{key}_new_users")
        )
    counts: dict[str, int] = {}
    for key, people in people_in(source, periods, visitors=visitors).items():
        counts[f"{key}_active_users"] = people.active_users
        counts[f"{key}_visitors"] = people.visitors
    known = conn.execute(select(*user_columns).where(u.created_at < until)).one()
    return counts | {name: int(value) for name, value in known._mapping.items()}


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
    t, s, u = agent_tasks.c, sessions.c, users.c
    billable = RequestFilter(include_synthetic)
    source = reader(conn, use_rollups)
    facts = ai_facts(source, cuts(period), billable, by_user=True)
    a = facts.c
    window = and_(in_period(a.bucket_at, period), request_filter_on(billable, a))
    # Ranked with how many users there are (a window count over the grouped rows).
    per_user = (
        select(a.user_id, *ai_cost_columns(facts), func.count().over().label("users"))
        .where(window, a.user_id.is_not(None))
        .group_by(a.user_id)
        .subquery("per_user")
    )
    p = per_user.c
    ranked = select(per_user).order_by(*_ranking(p, by), p.user_id).limit(limit).subquery("ranked")
    r = ranked.c
    statement = (
        select(*ranked.c, u.display_name, u.is_anonymous)
        .select_from(ranked.outerjoin(users, u.id == r.user_id))
        .order_by(*_ranking(r, by), r.user_id)
    )
    found_rows = conn.execute(statement).all()
    # Tasks and human sessions of the few users shown only, each counted on its own.
    shown = [row.user_id for row in found_rows]
    tasks = _counts_of(conn, t.user_id, shown, in_period(t.started_at, period))
    visits = _counts_of(
        conn, s.user_id, shown, and_(in_period(s.started_at, period), human_session())
    )
    requests = ai_facts(source, cuts(period), billable)
    totals = _request_totals(
        conn,
        select(*ai_cost_columns(requests)).where(
            in_period(requests.c.bucket_at, period), request_filter_on(billable, requests.c)
        ),
        select(*ai_cost_columns(facts)).where(window, a.user_id.is_(None)),
        int(found_rows[0].users) if found_rows else 0,
    )
    rows = []
    for found in found_rows:
        row = dict(found._mapping) | ai_cost_figures(found._mapping)
        row["tasks"], row["sessions"] = tasks.get(found.user_id, 0), visits.get(found.user_id, 0)
        row["is_anonymous"] = None if row["is_anonymous"] is None else bool(row["is_anonymous"])
        row["share_of_requests"] = ratio(row["ai_requests"], totals["ai_requests"])
        row["share_of_cost"] = ratio(row["cost_microdollars"], totals["cost_microdollars"])
        rows.append({name: row[name] for name in TOP_COLUMNS})
    rest = remainder(_attributed(totals), rows, ADDITIVE)
    rest["users"] = totals["users"] - len(rows)
    rest["cost_usd"] = usd(rest["cost_microdollars"])
    rest["share_of_requests"] = ratio(rest["ai_requests"], totals["ai_requests"])
    rest["share_of_cost"] = ratio(rest["cost_microdollars"], totals["cost_microdollars"])
    listed = RankedRows(rows, totals["users"])
    return TopUsers(period, by, include_synthetic, totals, listed, rest)
