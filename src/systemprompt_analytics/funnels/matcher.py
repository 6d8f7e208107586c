"""The funnel state machine: given a unit's progress and one activity, the new progress.

Pure: no clock, no I/O. Live ingestion and ``funnels rebuild`` both fold activities through
:func:`replay`, so the two cannot disagree on what a funnel means.

**Progress** keeps two attempts. ``reached`` is the unit's best attempt — the furthest it got
within one conversion window — and is what reports count. ``attempt`` is the attempt still
being matched; it differs from ``reached`` only after a restart (the window expired, or a
strict-mode break) until the new attempt gets further than the recorded one.

**Rules**, for an activity at time ``t`` (``k`` = steps reached in the live attempt):

1. A completed funnel never changes (a unit converts once).
2. Ordered mode ignores activities that match no step of the funnel.
3. An activity before the live attempt's last step (``t`` < its time) arrived late and is
   ignored; an equal time is accepted.
4. The window counts from entering step 1: when ``t - started >= window`` the live attempt
   has expired and is dropped (the best attempt stays recorded).
5. If the activity matches step ``k + 1`` the attempt advances. With no live attempt that is
   step 1: a new attempt starts.
6. Strict mode only, when it does not advance: a repeat of the step last reached (a reload,
   or the tracker's page_view after the server's page request) changes nothing; any other
   activity — a page view or an event — breaks the attempt. The breaking activity starts a
   new attempt if it matches step 1.
7. The new attempt becomes the recorded one as soon as it has reached more steps.

An activity that matches two consecutive steps advances one step only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from systemprompt_analytics.funnels.definition import Funnel, MatcherType, Mode, Step, property_text

ActivityKind = Literal["page", "event"]
_KIND_RANK = {"page": 0, "event": 1}


@dataclass(frozen=True, slots=True)
class Activity:
    """One page view (``path``) or event (``name`` and ``properties``) of a session."""

    at: datetime
    kind: ActivityKind
    session_id: str
    path: str | None = None
    name: str | None = None
    properties: Mapping[str, Any] | None = None

    def order_key(self) -> tuple[Any, ...]:
        """Time order, ties broken by content, so any arrangement of the same activities
        (a shuffled batch, or rows read back from the database) replays identically."""
        return (
            self.at,
            _KIND_RANK[self.kind],
            self.path or "",
            self.name or "",
            json.dumps(self.properties, sort_keys=True, default=str),
            self.session_id,
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """A unit's progress: see the module docstring. ``session_id`` is the session whose
    activity last advanced the recorded attempt."""

    reached: tuple[datetime, ...] = ()
    attempt: tuple[datetime, ...] = ()
    session_id: str | None = None

    @property
    def started(self) -> bool:
        return bool(self.reached)

    @property
    def current_step(self) -> int:
        """Index of the last step reached (-1: not started)."""
        return len(self.reached) - 1

    def is_complete(self, funnel: Funnel) -> bool:
        return len(self.reached) == len(funnel.steps)


NOT_STARTED = Progress()


def step_matches(step: Step, activity: Activity) -> bool:
    """Does this activity satisfy this step?

    ``url_exact``: the path equals the value. ``url_prefix``: the path starts with it.
    ``url_regex``: the pattern is found in the path (``re.search``; anchor it with ``^``/``$``).
    ``event``: the event name equals the value and every property filter equals the event's
    property compared as text (see :func:`property_text`).
    """
    if step.matcher is MatcherType.EVENT:
        if activity.kind != "event" or activity.name != step.value:
            return False
        if not step.properties:
            return True
        properties = activity.properties
        if not isinstance(properties, Mapping):
            return False
        return all(
            key in properties and property_text(properties[key]) == expected
            for key, expected in step.properties
        )
    if activity.kind != "page" or activity.path is None:
        return False
    if step.matcher is MatcherType.URL_EXACT:
        return activity.path == step.value
    if step.matcher is MatcherType.URL_PREFIX:
        return activity.path.startswith(step.value)
    pattern = step.pattern
    return pattern is not None and pattern.search(activity.path) is not None


def is_relevant(funnel: Funnel, activity: Activity) -> bool:
    """Can this activity change any unit's progress? Every activity can in strict mode
    (it may break an attempt); in ordered mode only one that matches some step."""
    if funnel.mode is Mode.STRICT:
        return True
    return any(step_matches(step, activity) for step in funnel.steps)


def advance(funnel: Funnel, progress: Progress, activity: Activity) -> Progress:
    """Apply one activity (rules 1-7 of the module docstring)."""
    steps = funnel.steps
    if len(progress.reached) == len(steps):
        return progress
    if funnel.mode is Mode.ORDERED and not is_relevant(funnel, activity):
        return progress
    attempt = progress.attempt
    if attempt and activity.at < attempt[-1]:
        return progress
    if attempt and activity.at - attempt[0] >= timedelta(seconds=funnel.window_seconds):
        attempt = ()
    reached = len(attempt)
    if step_matches(steps[reached], activity):
        attempt = (*attempt, activity.at)
    elif funnel.mode is Mode.STRICT and reached and not step_matches(steps[reached - 1], activity):
        attempt = (activity.at,) if step_matches(steps[0], activity) else ()
    if attempt == progress.attempt:
        return progress
    if len(attempt) > len(progress.reached):
        return Progress(attempt, attempt, activity.session_id)
    return Progress(progress.reached, attempt, progress.session_id)


def replay(funnel: Funnel, progress: Progress, activities: Iterable[Activity]) -> Progress:
    """Apply activities in time order (ties broken by :meth:`Activity.order_key`)."""
    for activity in sorted(activities, key=Activity.order_key):
        progress = advance(funnel, progress, activity)
    return progress
