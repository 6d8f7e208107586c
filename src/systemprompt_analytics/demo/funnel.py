"""The demo "Signup" funnel and each human session's progress through it.

Steps (0-based ``step_order``): Landing = the page ``/``, Pricing = a page under ``/pricing``,
Signup = the ``signup`` event; ordered, per session, within 24 hours. A progress row exists
for every human session that reached the first step; ``current_step`` is the index of the
last step reached and ``step_timestamps`` lists when each step was reached.
"""

from __future__ import annotations

from systemprompt_analytics.demo.records import Row, SessionBuilder
from systemprompt_analytics.demo.timeline import Window

FUNNEL_NAME = "Signup"
WINDOW_SECONDS = 86_400
STEPS = (
    ("Landing", "url_exact", "/"),
    ("Pricing", "url_prefix", "/pricing"),
    ("Signup", "event", "signup"),
)


def funnel_definition(window: Window) -> tuple[Row, list[Row]]:
    funnel = {
        "name": FUNNEL_NAME,
        "description": "Visitors who reach the home page, then pricing, then sign up.",
        "mode": "ordered",
        "unit": "session",
        "window_seconds": WINDOW_SECONDS,
        "is_active": True,
        "created_at": window.start,
        "updated_at": window.start,
    }
    steps = [
        {
            "step_order": order,
            "name": name,
            "matcher_type": matcher_type,
            "matcher_value": value,
            "event_filters": None,
        }
        for order, (name, matcher_type, value) in enumerate(STEPS)
    ]
    return funnel, steps


def reached_steps(builder: SessionBuilder) -> list[int]:
    """When (ms) the session reached each step, in order, as the ordered matcher sees it."""
    reached: list[int] = []
    page_views = sorted(builder.page_views)
    landing = next((ms for ms, path in page_views if path == "/"), None)
    if landing is None:
        return reached
    reached.append(landing)
    pricing = next(
        (ms for ms, path in page_views if ms >= landing and path.startswith("/pricing")), None
    )
    if pricing is None:
        return reached
    reached.append(pricing)
    signup = builder.signup_event_ms
    if signup is not None and pricing <= signup < landing + WINDOW_SECONDS * 1000:
        reached.append(signup)
    return reached


def funnel_progress(builders: list[SessionBuilder], window: Window) -> list[Row]:
    rows: list[Row] = []
    for builder in builders:
        if builder.flags.any_bot:
            continue
        reached = reached_steps(builder)
        if not reached:
            continue
        times = [window.at(ms) for ms in reached]
        rows.append(
            {
                "unit_key": builder.id,
                "session_id": builder.id,
                "current_step": len(reached) - 1,
                "step_timestamps": [moment.isoformat() for moment in times],
                "started_at": times[0],
                "updated_at": times[-1],
                "completed_at": times[-1] if len(reached) == len(STEPS) else None,
            }
        )
    return rows
