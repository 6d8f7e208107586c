"""The one definition of each metric predicate (DESIGN.md section 6). Reports import these.

If a definition changes, it changes here and every report follows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.dialect import least, seconds_between
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    client_events,
    conversation_messages,
    conversations,
    engagement_events,
    request_events,
    sessions,
    tool_executions,
    users,
)

ACTIVE_WINDOW = timedelta(minutes=30)
LONGEST_SESSION = timedelta(hours=24 * 7)  # the largest SP_ANALYTICS_SESSION_MAX_HOURS allowed
TERMINAL_TASK_STATUSES = ("completed", "failed", "canceled", "rejected")
FAILED_TASK_STATUSES = ("failed", "rejected")  # ended in error (canceled is not an error)
TIME_ON_PAGE_CAP = timedelta(minutes=30)  # per page view (engagement row)
BOUNCE_ENGAGED_TIME = timedelta(seconds=10)  # a bounce has less engaged time than this
# Client events that show the visitor did something on the page (scroll and page_view do not).
INTERACTIVE_EVENT_TYPES = ("link_click", "custom", "conversion")
# A change within ±5% of the previous value (inclusive) is "flat".
TREND_FLAT_BAND_PCT = 5
# The reading patterns an engagement row may carry (the tracker's classification).
READING_PATTERNS = ("bounce", "skim", "scan", "read", "engaged")


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


SESSION_DURATION_CAP = timedelta(minutes=30)


def capped_duration_seconds(dialect_name: str) -> ColumnElement[Any]:
    """A session's length (last activity − start), capped at 30 minutes (see docs/metrics.md)."""
    seconds = seconds_between(dialect_name, sessions.c.started_at, sessions.c.last_activity_at)
    return least(dialect_name, seconds, SESSION_DURATION_CAP.total_seconds())


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


def priced_ai_request() -> ColumnElement[bool]:
    """An AI request with a known cost; cost sums and averages are taken over these only."""
    return ai_requests.c.cost_microdollars.is_not(None)


def unpriced_ai_request() -> ColumnElement[bool]:
    """An AI request without a cost (unknown model): its cost is unknown, never 0."""
    return ai_requests.c.cost_microdollars.is_(None)


def failed_ai_request() -> ColumnElement[bool]:
    """AI error rate = requests whose status is anything but ``success`` / all requests."""
    return ai_requests.c.status != "success"


def cache_hit_ai_request() -> ColumnElement[bool]:
    """A request that read from the provider's prompt cache (flagged, or cache-read tokens)."""
    return or_(ai_requests.c.cache_hit, ai_requests.c.cache_read_tokens > 0)


def successful_tool_execution(status: Any = None) -> ColumnElement[bool]:
    """Tool success rate = executions with status ``success`` / all executions.

    ``status``: the status column to test (default ``tool_executions.status``; a rollup's)."""
    return (tool_executions.c.status if status is None else status) == "success"


def finished_agent_task(status: Any = None) -> ColumnElement[bool]:
    """A task that reached a terminal status; agent success rate = completed / finished.

    ``status``: the status column to test (default ``agent_tasks.status``; a rollup's)."""
    return (agent_tasks.c.status if status is None else status).in_(TERMINAL_TASK_STATUSES)


def completed_agent_task(status: Any = None) -> ColumnElement[bool]:
    return (agent_tasks.c.status if status is None else status) == "completed"


def failed_agent_task(status: Any = None) -> ColumnElement[bool]:
    """A task that ended in error (``failed`` or ``rejected``); agent top errors list these."""
    return (agent_tasks.c.status if status is None else status).in_(FAILED_TASK_STATUSES)


def session_active_in(period: Period) -> ColumnElement[bool]:
    """A session with activity in the window: started before its end, last active at or after
    its start. The ``started_at`` lower bound (no session outlives the longest cap) changes
    no result; it lets the database use the ``started_at`` index."""
    return and_(
        sessions.c.started_at >= period.since - LONGEST_SESSION,
        sessions.c.started_at < period.until,
        sessions.c.last_activity_at >= period.since,
    )


def active_user_session(period: Period) -> ColumnElement[bool]:
    """Active users = distinct ``user_id`` of human sessions with activity in the window."""
    return and_(human_session(), sessions.c.user_id.is_not(None), session_active_in(period))


def registered_user() -> ColumnElement[bool]:
    """A user the host identified as registered (not anonymous)."""
    return not_(users.c.is_anonymous)


def content_path(column: Any) -> ColumnElement[Any]:
    """Content identity: a stored path without trailing slashes (``/`` stays ``/``).

    Stored paths carry no query or fragment (the pipeline and the collector strip them), so
    this is the SQL twin of :func:`systemprompt_analytics.models.content.normalise_path`.
    """
    trimmed = func.rtrim(column, "/")
    return case((column.is_(None), None), (trimmed == "", "/"), else_=trimmed)


def previous_page_view() -> Select[Any]:
    """The page view before this one (a ``request_events`` row) in its session, ordered by
    time then id, as a query correlated to ``request_events``: its normalised path as
    ``from_path`` (no row for the session's first page view).

    A navigation transition is a page view and this previous page: it happens at the later
    view's time, and the look-up spans the whole session, never cut at a report's window.
    """
    earlier = request_events.alias("earlier_page_view")
    e, r = earlier.c, request_events.c
    return (
        select(content_path(e.path).label("from_path"))
        .where(
            e.session_id == r.session_id,
            e.kind == "page",
            # Redundant with the next condition, but it bounds the index range scanned.
            e.occurred_at <= r.occurred_at,
            or_(e.occurred_at < r.occurred_at, and_(e.occurred_at == r.occurred_at, e.id < r.id)),
        )
        .order_by(e.occurred_at.desc(), e.id.desc())
        .limit(1)
        .correlate(request_events)
    )


def previous_page_path() -> ColumnElement[Any]:
    """:func:`previous_page_view`'s path as a scalar subquery (NULL for a first page view)."""
    return previous_page_view().scalar_subquery()


def time_on_page_ms(dialect_name: str) -> ColumnElement[Any]:
    """Time on page of one engagement row: engaged (visible and focused) time, capped."""
    cap = int(TIME_ON_PAGE_CAP.total_seconds() * 1000)
    return least(dialect_name, engagement_events.c.engaged_time_ms, cap)


def session_engaged_ms(dialect_name: str) -> ColumnElement[Any]:
    """A session's engaged time: the sum of its pages' capped time on page (0 without any)."""
    e = engagement_events.c
    total = (
        select(func.sum(time_on_page_ms(dialect_name)))
        .where(e.session_id == sessions.c.id)
        .scalar_subquery()
    )
    return func.coalesce(total, 0)


def interactive_session() -> ColumnElement[bool]:
    """The session has an interactive event: a client event of an interactive type
    (link_click, custom, conversion) or an engagement row with at least one click."""
    return or_(
        exists().where(
            client_events.c.session_id == sessions.c.id,
            client_events.c.event_type.in_(INTERACTIVE_EVENT_TYPES),
        ),
        exists().where(
            engagement_events.c.session_id == sessions.c.id,
            engagement_events.c.click_count > 0,
        ),
    )


def page_view_session() -> ColumnElement[bool]:
    """A human session with at least one page view: the denominator of the bounce rate."""
    return and_(human_session(), sessions.c.page_view_count >= 1)


def bounce_session(dialect_name: str) -> ColumnElement[bool]:
    """Bounce: a human session with one page view, no interactive event and under 10 s of
    engaged time."""
    threshold = int(BOUNCE_ENGAGED_TIME.total_seconds() * 1000)
    return and_(
        human_session(),
        sessions.c.page_view_count == 1,
        session_engaged_ms(dialect_name) < threshold,
        not_(interactive_session()),
    )


def conversation_length() -> ColumnElement[int]:
    """A conversation's length: all of its messages (also those after a report's window),
    counted per conversation (a ``conversations`` row) before any join."""
    m = conversation_messages.c
    return (
        select(func.count())
        .where(m.conversation_id == conversations.c.id)
        .correlate(conversations)
        .scalar_subquery()
    )


TrendDirection = Literal["up", "down", "flat"]


def trend_direction(
    current: float | int | None, previous: float | int | None
) -> TrendDirection | None:
    """Up, down or flat against the previous period; flat within ±5% of the previous value.

    From nothing to something is up; no value on either side is no direction (None).
    """
    if current is None or previous is None:
        return None
    # Multiplied out rather than divided, so that integer counts compare exactly.
    if abs(current - previous) * 100 <= TREND_FLAT_BAND_PCT * abs(previous):
        return "flat"
    return "up" if current > previous else "down"
