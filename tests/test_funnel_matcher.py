"""The pure funnel state machine: ordered and strict mode, the window, filters, repeats, and
the order activities arrive in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.funnels.activities import collect
from systemprompt_analytics.funnels.definition import Funnel, build_step, funnel_from_cli
from systemprompt_analytics.funnels.matcher import (
    NOT_STARTED,
    Activity,
    Progress,
    advance,
    replay,
    step_matches,
)

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
STEPS = ["Home=url_exact:/", "Pricing=url_prefix:/pricing", "Signup=event:signup"]


def funnel(mode: str = "ordered", window: str = "24h", steps: list[str] = STEPS) -> Funnel:
    return funnel_from_cli("Signup", steps, mode=mode, window=window)


def page(seconds: float, path: str, session: str = "s1") -> Activity:
    return Activity(T0 + timedelta(seconds=seconds), "page", session, path=path)


def event(
    seconds: float, name: str, properties: dict[str, Any] | None = None, session: str = "s1"
) -> Activity:
    return Activity(T0 + timedelta(seconds=seconds), "event", session, name=name,
                    properties=properties)  # fmt: skip


def at(*seconds: float) -> tuple[datetime, ...]:
    return tuple(T0 + timedelta(seconds=value) for value in seconds)


# --------------------------------------------------------------------------------------
# Step matchers
# --------------------------------------------------------------------------------------
def test_url_matchers() -> None:
    exact = build_step("A", "url_exact", "/pricing")
    prefix = build_step("B", "url_prefix", "/pricing")
    regex = build_step("C", "url_regex", r"/plans/\d+$")
    assert step_matches(exact, page(0, "/pricing"))
    assert not step_matches(exact, page(0, "/pricing/"))
    assert step_matches(prefix, page(0, "/pricing/compare"))
    assert not step_matches(prefix, page(0, "/docs/pricing"))
    assert step_matches(regex, page(0, "/en/plans/42"))  # searched, not anchored at the start
    assert not step_matches(regex, page(0, "/plans/42/x"))
    assert not step_matches(exact, event(0, "/pricing"))  # events never match URL steps


def test_event_matcher_and_property_filters() -> None:
    plain = build_step("S", "event", "signup")
    pro = build_step("S", "event", "signup", {"plan": "pro", "seats": 5, "trial": True})
    assert step_matches(plain, event(0, "signup"))
    assert step_matches(plain, event(0, "signup", {"plan": "free"}))
    assert not step_matches(plain, event(0, "signin"))
    assert not step_matches(plain, page(0, "signup"))
    full = {"plan": "pro", "seats": 5, "trial": True, "extra": 1}
    assert step_matches(pro, event(0, "signup", full))
    assert step_matches(pro, event(0, "signup", {**full, "seats": "5"}))  # compared as text
    assert not step_matches(pro, event(0, "signup", {**full, "trial": False}))
    assert not step_matches(pro, event(0, "signup", {"plan": "pro", "seats": 5}))  # missing
    assert not step_matches(pro, event(0, "signup", None))


# --------------------------------------------------------------------------------------
# Ordered mode
# --------------------------------------------------------------------------------------
def test_ordered_allows_other_activity_between_steps() -> None:
    result = replay(funnel(), NOT_STARTED, [
        page(0, "/"), page(5, "/docs"), event(6, "copy_code"), page(10, "/pricing/compare"),
        page(11, "/blog"), event(20, "signup"),
    ])  # fmt: skip
    assert result == Progress(at(0, 10, 20), at(0, 10, 20), "s1")
    assert result.is_complete(funnel())


def test_ordered_needs_the_steps_in_order() -> None:
    result = replay(funnel(), NOT_STARTED, [page(0, "/pricing"), event(1, "signup"), page(2, "/")])
    assert result.reached == at(2)
    assert replay(funnel(), NOT_STARTED, [page(0, "/pricing"), event(1, "signup")]) == NOT_STARTED


def test_ordered_keeps_the_first_time_of_each_step() -> None:
    result = replay(funnel(), NOT_STARTED, [page(0, "/"), page(3, "/"), page(5, "/pricing"),
                                            page(8, "/pricing")])  # fmt: skip
    assert result.reached == at(0, 5)


def test_a_completed_funnel_never_changes() -> None:
    done = replay(funnel(), NOT_STARTED, [page(0, "/"), page(1, "/pricing"), event(2, "signup")])
    later = replay(funnel(), done, [page(90_000, "/"), page(90_001, "/pricing")])
    assert later is done


def test_one_activity_advances_one_step() -> None:
    same = funnel(steps=["Any=url_prefix:/", "Docs=url_prefix:/docs"])
    assert replay(same, NOT_STARTED, [page(0, "/docs")]).reached == at(0)
    assert replay(same, NOT_STARTED, [page(0, "/docs"), page(1, "/docs")]).reached == at(0, 1)


# --------------------------------------------------------------------------------------
# Strict mode
# --------------------------------------------------------------------------------------
def test_strict_needs_the_very_next_activity() -> None:
    strict = funnel("strict")
    direct = [page(0, "/"), page(4, "/pricing"), event(9, "signup")]
    assert replay(strict, NOT_STARTED, direct).is_complete(strict)
    detour = [page(0, "/"), page(2, "/docs"), page(4, "/pricing"), event(9, "signup")]
    assert replay(strict, NOT_STARTED, detour).reached == at(0)


def test_strict_ignores_repeats_of_the_current_step() -> None:
    """The server's page request and the tracker's page_view of one page load, and reloads."""
    strict = funnel("strict")
    result = replay(strict, NOT_STARTED, [
        page(0, "/"), page(0.4, "/"), page(30, "/"), page(31, "/pricing"),
        page(31.5, "/pricing/compare"), event(40, "signup"),
    ])  # fmt: skip
    assert result.reached == at(0, 31, 40)


def test_strict_unrelated_events_break_the_attempt() -> None:
    strict = funnel("strict")
    result = replay(strict, NOT_STARTED, [page(0, "/"), event(1, "copy_code"),
                                          page(2, "/pricing")])  # fmt: skip
    assert result == Progress(at(0), (), "s1")


def test_strict_break_keeps_the_best_attempt_and_step_1_restarts() -> None:
    strict = funnel("strict")
    first = replay(strict, NOT_STARTED, [page(0, "/"), page(5, "/pricing"), page(6, "/blog")])
    assert first == Progress(at(0, 5), (), "s1")
    # Going back to step 1 is a break that starts a new attempt from it.
    second = replay(strict, first, [page(10, "/"), page(12, "/pricing"), page(13, "/about")])
    assert second == Progress(at(0, 5), (), "s1")
    back_home = advance(strict, first, page(20, "/"))
    assert back_home == Progress(at(0, 5), at(20), "s1")
    # A later attempt replaces the recorded one only once it gets further.
    done = replay(strict, back_home, [page(21, "/pricing"), event(22, "signup")])
    assert done.reached == at(20, 21, 22) and done.is_complete(strict)


def test_strict_step_1_repeat_after_progress_restarts() -> None:
    strict = funnel("strict")
    result = replay(strict, NOT_STARTED, [page(0, "/"), page(1, "/pricing"), page(2, "/")])
    assert result == Progress(at(0, 1), at(2), "s1")


# --------------------------------------------------------------------------------------
# The conversion window
# --------------------------------------------------------------------------------------
def test_window_counts_from_step_1_and_is_half_open() -> None:
    hour = funnel(window="1h")
    inside = replay(hour, NOT_STARTED, [page(0, "/"), page(3_599.999, "/pricing")])
    assert inside.reached == at(0, 3_599.999)
    edge = replay(hour, NOT_STARTED, [page(0, "/"), page(3_600, "/pricing")])
    assert edge == Progress(at(0), (), "s1")


def test_expiry_restarts_and_the_best_attempt_stays_until_overtaken() -> None:
    hour = funnel(window="1h")
    first = replay(hour, NOT_STARTED, [page(0, "/"), page(60, "/pricing")])
    again = replay(hour, first, [page(7_200, "/")])
    assert again == Progress(at(0, 60), at(7_200), "s1")
    tied = advance(hour, again, page(7_260, "/pricing"))
    assert tied.reached == at(0, 60) and tied.attempt == at(7_200, 7_260)
    done = advance(hour, tied, event(7_300, "signup", session="s2"))
    assert done == Progress(at(7_200, 7_260, 7_300), at(7_200, 7_260, 7_300), "s2")


def test_expired_attempt_does_not_advance_without_step_1() -> None:
    hour = funnel(window="1h")
    first = replay(hour, NOT_STARTED, [page(0, "/"), page(60, "/pricing")])
    late_signup = advance(hour, first, event(4_000, "signup"))
    assert late_signup == Progress(at(0, 60), (), "s1")


# --------------------------------------------------------------------------------------
# Arrival order
# --------------------------------------------------------------------------------------
def test_out_of_order_timestamps_within_a_batch_are_sorted() -> None:
    shuffled = [event(20, "signup"), page(10, "/pricing"), page(0, "/")]
    assert replay(funnel(), NOT_STARTED, shuffled).reached == at(0, 10, 20)


def test_an_activity_older_than_the_last_step_is_ignored() -> None:
    progress = replay(funnel(), NOT_STARTED, [page(0, "/"), page(10, "/pricing")])
    assert advance(funnel(), progress, event(5, "signup")) is progress
    assert advance(funnel(), progress, event(10, "signup")).reached == at(0, 10, 10)


def test_ordered_late_event_after_unrelated_page_still_counts() -> None:
    """The tracker's conversion can arrive after the next page request was stored."""
    progress = replay(funnel(), NOT_STARTED, [page(0, "/"), page(10, "/pricing"),
                                              page(30, "/dashboard")])  # fmt: skip
    assert advance(funnel(), progress, event(25, "signup")).is_complete(funnel())


def test_rows_become_activities() -> None:
    request = {"session_id": "s1", "occurred_at": T0, "kind": "page", "path": "/"}
    found = collect(
        [request, {**request, "kind": "api", "path": "/api"}],
        [
            {"session_id": "s1", "occurred_at": T0, "event_type": "page_view", "path": "/p"},
            {"session_id": "s1", "occurred_at": T0, "event_type": "conversion", "name": "buy",
             "properties": {"plan": "pro"}, "path": "/p"},
            {"session_id": "s1", "occurred_at": T0, "event_type": "custom", "name": None},
            {"session_id": "s1", "occurred_at": T0, "event_type": "scroll", "path": "/p"},
            {"session_id": "s1", "occurred_at": T0, "event_type": "custom", "name": "x",
             "properties": ["not", "a", "mapping"]},
        ],
    )  # fmt: skip
    assert found == [
        Activity(T0, "page", "s1", path="/"),
        Activity(T0, "page", "s1", path="/p"),
        Activity(T0, "event", "s1", name="buy", properties={"plan": "pro"}),
        Activity(T0, "event", "s1", name="x", properties=None),
    ]


# --------------------------------------------------------------------------------------
# Properties over random streams
# --------------------------------------------------------------------------------------
_activities = st.lists(
    st.builds(
        lambda seconds, choice, session: (
            page(seconds, choice, session) if choice.startswith("/")
            else event(seconds, choice, {"plan": "pro"} if choice == "signup" else None, session)
        ),
        st.integers(0, 200_000),
        st.sampled_from(["/", "/pricing", "/pricing/x", "/docs", "signup", "copy_code"]),
        st.sampled_from(["s1", "s2"]),
    ),
    max_size=30,
)  # fmt: skip
_funnels = st.builds(
    funnel,
    st.sampled_from(["ordered", "strict"]),
    st.sampled_from(["1h", "24h"]),
    st.sampled_from([STEPS, ["Docs=url_prefix:/docs", "Home=url_exact:/"],
                     ["Home=url_exact:/", "Pro=event:signup[plan=pro]"]]),
)  # fmt: skip


@given(_funnels, _activities, st.randoms())
def test_replay_does_not_depend_on_the_order_of_a_batch(
    definition: Funnel, activities: list[Activity], random: Any
) -> None:
    shuffled = list(activities)
    random.shuffle(shuffled)
    assert replay(definition, NOT_STARTED, shuffled) == replay(definition, NOT_STARTED, activities)


@given(_funnels, _activities, st.lists(st.integers(0, 30), max_size=5), st.randoms())
def test_batches_in_time_order_give_the_same_progress_as_one_replay(
    definition: Funnel, activities: list[Activity], cuts: list[int], random: Any
) -> None:
    """Incremental ingestion (consecutive batches, each in any order) equals a rebuild."""
    ordered = sorted(activities, key=Activity.order_key)
    bounds = [0, *sorted(cut for cut in cuts if cut <= len(ordered)), len(ordered)]
    progress = NOT_STARTED
    for start, end in itertools.pairwise(bounds):
        batch = ordered[start:end]
        random.shuffle(batch)
        progress = replay(definition, progress, batch)
    assert progress == replay(definition, NOT_STARTED, activities)


@given(_funnels, _activities)
def test_progress_invariants(definition: Funnel, activities: list[Activity]) -> None:
    progress = NOT_STARTED
    window = timedelta(seconds=definition.window_seconds)
    for activity in sorted(activities, key=Activity.order_key):
        before = progress
        progress = advance(definition, progress, activity)
        assert len(progress.reached) >= len(before.reached)  # never goes back
        assert len(progress.attempt) <= len(progress.reached) <= len(definition.steps)
        for times in (progress.reached, progress.attempt):
            assert list(times) == sorted(times)
            assert not times or times[-1] - times[0] < window
        assert progress.started == (progress.session_id is not None)
