"""The one definition of each metric predicate (DESIGN.md section 6). Reports import these.

If a definition changes, it changes here and every report follows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    request_events,
    sessions,
    tool_executions,
)

ACTIVE_WINDOW = timedelta(minutes=30)
LONGEST_SESSION = timedelta(hours=24 * 7)  # the largest SP_ANALYTICS_SESSION_MAX_HOURS allowed
TERMINAL_TASK_STATUSES = ("completed", "failed", "canceled", "rejected")


def bot_session() -> ColumnElement[bool]:
    """A session any detector flagged: user agent, AI crawler, scanner or behaviour."""
    return or_(
        sessions.c.is_bot,
        sessions.c.is_ai_crawler,
        sessions.c.is_scanner,
        sessions.c.is_behavioral_bot,
    )


def human_session() -> ColumnElement[bool]:
    """Human session: none of the bot flags. Every human metric filters with this."""
    return not_(bot_session())


def engaged_session() -> ColumnElement[bool]:
    """Engaged: a human session with a landing page and at least one page view."""
    return and_(
        human_session(),
        sessions.c.landing_page.is_not(None),
        sessions.c.page_view_count > 0,
    )


def ghost_session() -> ColumnElement[bool]:
    """Ghost: a human session that is not engaged (no landing page or no page view)."""
    return and_(
        human_session(),
        or_(sessions.c.landing_page.is_(None), sessions.c.page_view_count == 0),
    )


def bot_category() -> ColumnElement[Any]:
    """The category a bot session is reported under: its user-agent category if it has one,
    else scanner or behavioural (flagged by behaviour alone)."""
    c = sessions.c
    return func.coalesce(
        c.bot_category,
        case(
            (c.is_scanner, "scanner"),
            (c.is_ai_crawler, "ai_crawler"),
            (c.is_behavioral_bot, "behavioral"),
            else_="other_bot",
        ),
    )


def active_session(now: datetime) -> ColumnElement[bool]:
    """Not ended, not revoked, and active within the last 30 minutes.

    The ``started_at`` bound (no session outlives the longest allowed cap) changes no result;
    it lets the database use the ``started_at`` index, as ``last_activity_at`` has none.
    """
    return and_(
        sessions.c.started_at >= now - LONGEST_SESSION,
        sessions.c.ended_at.is_(None),
        sessions.c.revoked_at.is_(None),
        sessions.c.last_activity_at >= now - ACTIVE_WINDOW,
    )


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    """Half-open window: ``since <= column < until``."""
    return and_(column >= period.since, column < period.until)


def page_view() -> ColumnElement[bool]:
    """A page view is a tracked server request of kind ``page``."""
    return request_events.c.kind == "page"


def billable_ai_request(include_synthetic: bool = False) -> ColumnElement[bool]:
    """AI requests that count: synthetic (evaluation) requests are excluded by default."""
    if include_synthetic:
        return ai_requests.c.id.is_not(None)
    return not_(ai_requests.c.is_synthetic)


def successful_tool_execution() -> ColumnElement[bool]:
    """Tool success rate = executions with status ``success`` / all executions."""
    return tool_executions.c.status == "success"


def finished_agent_task() -> ColumnElement[bool]:
    """A task that reached a terminal status; agent success rate = completed / finished."""
    return agent_tasks.c.status.in_(TERMINAL_TASK_STATUSES)


def completed_agent_task() -> ColumnElement[bool]:
    return agent_tasks.c.status == "completed"
