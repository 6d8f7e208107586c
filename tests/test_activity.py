"""Merging session activity within a batch (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.activity import SessionActivity, SessionDelta, merge_activity

T0 = datetime(2026, 11, 1, tzinfo=UTC)

activities = st.lists(
    st.builds(
        SessionActivity,
        session_id=st.sampled_from(["sess_a", "sess_b", "sess_c"]),
        started_at=st.integers(0, 100).map(lambda s: T0 + timedelta(seconds=s)),
        at=st.integers(100, 1000).map(lambda s: T0 + timedelta(seconds=s)),
        attributes=st.none() | st.fixed_dictionaries({"browser": st.sampled_from(["Chrome"])}),
        counters=st.fixed_dictionaries(
            {"request_count": st.just(1), "page_view_count": st.integers(0, 1)}
        ),
        flags=st.fixed_dictionaries({"is_bot": st.booleans()}),
    ),
    max_size=40,
)


def _rows(items: list[SessionActivity]) -> dict[str, dict[str, object]]:
    """The rows the writer would write: the items merged as it takes them from its queue."""
    deltas: dict[str, SessionDelta] = {}
    for item in items:
        merge_activity(deltas, item)
    return {session_id: delta.row() for session_id, delta in deltas.items()}


@given(activities, st.randoms())
def test_merging_is_order_independent(items: list[SessionActivity], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _rows(items) == _rows(shuffled)


@given(activities)
def test_merged_counters_and_times_are_exact(items: list[SessionActivity]) -> None:
    rows = _rows(items)
    for session_id, row in rows.items():
        mine = [a for a in items if a.session_id == session_id]
        assert row["request_count"] == len(mine)
        assert row["page_view_count"] == sum(a.counters["page_view_count"] for a in mine)
        assert row["started_at"] == min(a.started_at for a in mine)
        assert row["last_activity_at"] == max(a.at for a in mine)
        assert row["is_bot"] == any(a.flags["is_bot"] for a in mine)
        assert row.get("source", "web") == "web"


def test_first_known_attribute_wins_and_later_none_does_not_erase_it() -> None:
    items = [
        SessionActivity("s", T0, T0, {"browser": "Firefox", "os": None}),
        SessionActivity("s", T0, T0, {"browser": "Chrome", "os": "Linux"}),
        SessionActivity("s", T0, T0, None),
    ]
    row = _rows(items)["s"]
    assert (row["browser"], row["os"]) == ("Firefox", "Linux")
