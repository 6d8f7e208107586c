"""Fingerprint reputation scoring (pure): start, incidents, episodes, recovery, flags, bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.detection.reputation import (
    IncidentKind,
    PeriodActivity,
    Reputation,
    ReputationPolicy,
    Velocity,
    incident_kinds,
    recover,
    score_period,
    velocity_from_minutes,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
POLICY = ReputationPolicy()


def period(end: datetime = NOW, **values: object) -> PeriodActivity:
    fields: dict[str, object] = {
        "fingerprint_hash": "fp",
        "start": end - HOUR,
        "end": end,
        "first_seen_at": end - HOUR,
        "last_seen_at": end - timedelta(minutes=1),
        "sessions": 1,
        "requests": 5,
    }
    fields.update(values)
    return PeriodActivity(**fields)  # type: ignore[arg-type]


def test_new_fingerprint_starts_at_50_with_its_totals() -> None:
    row = score_period(None, period(user_ids=frozenset({"u2", "u1"}), last_user_agent="UA"))
    assert row.reputation_score == 50
    assert (row.session_count, row.request_count) == (1, 5)
    assert not row.is_flagged and row.flag_reason is None
    assert row.abuse_incidents == 0 and row.last_incident_at is None
    assert row.associated_user_ids == ("u1", "u2")
    assert row.updated_at == NOW


def test_totals_add_and_peak_is_the_highest_ever() -> None:
    first = score_period(None, period(velocity=Velocity(5, 5, 0)))
    second = score_period(first, period(NOW + HOUR, sessions=2, velocity=Velocity(3, 2, 0)))
    assert (second.session_count, second.request_count) == (3, 10)
    assert second.peak_requests_per_minute == 5
    assert second.requests_last_hour == 3
    assert second.first_seen_at == first.first_seen_at


def test_a_scanner_incident_lowers_the_score_once_and_flags() -> None:
    row = score_period(None, period(scanner_sessions=1))
    assert row.reputation_score == 50 - POLICY.scanner_penalty
    assert row.abuse_incidents == 1
    assert row.last_incident_at == NOW
    assert row.is_flagged and row.flag_reason == "scanner"


def test_rerun_of_the_same_period_counts_nothing_twice() -> None:
    abusive = period(scanner_sessions=1)
    once = score_period(None, abusive)
    assert score_period(once, abusive) == once
    # Even a row updated earlier that already counted this period's incident.
    assert score_period(replace(once, updated_at=NOW - HOUR), abusive).abuse_incidents == 1


def test_contiguous_abuse_is_one_incident_with_a_smaller_continuing_penalty() -> None:
    row = score_period(None, period(behavioral_sessions=1))
    for hour in range(1, 4):
        row = score_period(row, period(NOW + hour * HOUR, behavioral_sessions=1))
    assert row.abuse_incidents == 1
    assert row.reputation_score == 50 - POLICY.behavioral_bot_penalty - 3 * 5
    assert row.last_incident_at == NOW + 3 * HOUR


def test_abuse_after_a_clean_gap_is_a_new_incident() -> None:
    row = score_period(None, period(behavioral_sessions=1))
    row = score_period(row, period(NOW + HOUR))  # clean
    row = score_period(row, period(NOW + 2 * HOUR, behavioral_sessions=1))
    assert row.abuse_incidents == 2
    assert row.reputation_score == 0
    assert row.flag_reason == "behavioral_bot"


def test_kinds_are_worst_first_and_penalties_add_up() -> None:
    abusive = period(
        sessions=11, scanner_sessions=1, behavioral_sessions=2, velocity=Velocity(400, 60, 5)
    )
    assert incident_kinds(abusive) == tuple(IncidentKind)
    policy = ReputationPolicy(
        scanner_penalty=1,
        behavioral_bot_penalty=2,
        high_velocity_penalty=4,
        many_sessions_penalty=8,
    )
    assert score_period(None, abusive, policy).reputation_score == 50 - 15
    assert incident_kinds(period(sessions=10, velocity=Velocity(200, 40, 4))) == ()


def test_sustained_high_velocity_alone_is_an_incident() -> None:
    row = score_period(None, period(velocity=Velocity(600, 50, 6)))
    assert row.abuse_incidents == 1
    assert row.reputation_score == 50 - POLICY.high_velocity_penalty
    assert row.sustained_high_velocity_minutes == 6
    assert not row.is_flagged  # 30: one high-velocity incident does not flag


def test_velocity_from_minutes() -> None:
    assert velocity_from_minutes([31, 30, 2, 45]) == Velocity(108, 45, 2)
    assert velocity_from_minutes([]) == Velocity()


def test_recovery_gives_points_per_whole_clean_day_up_to_the_ceiling() -> None:
    flagged = score_period(None, period(scanner_sessions=1))  # 15, incident at NOW
    assert recover(flagged, NOW + DAY - timedelta(seconds=1)).reputation_score == 15
    one_day = recover(flagged, NOW + DAY)
    assert one_day.reputation_score == 17 and one_day.is_flagged
    three_days = recover(flagged, NOW + 3 * DAY)
    assert three_days.reputation_score == 21
    assert not three_days.is_flagged and three_days.flag_reason is None
    assert recover(flagged, NOW + 365 * DAY).reputation_score == 50


def test_hourly_recovery_equals_one_big_step_and_reruns_add_nothing() -> None:
    row = score_period(None, period(scanner_sessions=1))
    hourly = row
    for hour in range(1, 5 * 24 + 1):
        hourly = recover(hourly, NOW + hour * HOUR)
    assert hourly.reputation_score == recover(row, NOW + 5 * DAY).reputation_score == 25
    assert recover(hourly, NOW + 5 * DAY) == hourly


def test_clean_activity_also_recovers() -> None:
    row = score_period(None, period(scanner_sessions=1))
    row = score_period(row, period(NOW + 2 * DAY))
    assert row.reputation_score == 19
    assert row.abuse_incidents == 1


def test_recovery_never_lowers_a_score_above_the_ceiling() -> None:
    good = Reputation("fp", NOW, NOW, NOW, reputation_score=80, last_incident_at=NOW - 9 * DAY)
    assert recover(good, NOW + DAY).reputation_score == 80


def test_recover_resets_last_hour_velocity() -> None:
    row = score_period(None, period(velocity=Velocity(100, 40, 2)))
    idle = recover(row, NOW + 2 * HOUR)
    assert (idle.requests_last_hour, idle.sustained_high_velocity_minutes) == (0, 0)
    assert idle.peak_requests_per_minute == 40


_periods = st.builds(
    dict,
    sessions=st.integers(0, 50),
    requests=st.integers(0, 5000),
    scanner=st.integers(0, 2),
    behavioral=st.integers(0, 2),
    minutes=st.integers(0, 60),
    gap_hours=st.integers(1, 24 * 10),
)


@given(st.lists(_periods, max_size=30), st.integers(0, 100))
def test_score_stays_within_0_and_100(steps: list[dict[str, int]], start_score: int) -> None:
    row: Reputation | None = Reputation("fp", NOW, NOW, NOW, reputation_score=start_score)
    end = NOW
    for step in steps:
        end += step["gap_hours"] * HOUR
        activity = period(
            end,
            sessions=step["sessions"],
            requests=step["requests"],
            scanner_sessions=step["scanner"],
            behavioral_sessions=step["behavioral"],
            velocity=Velocity(step["requests"], 40, step["minutes"]),
        )
        assert row is not None
        previous = row
        row = score_period(row, activity)
        assert 0 <= row.reputation_score <= 100
        assert row.is_flagged == (row.reputation_score < POLICY.flag_below)
        assert row.abuse_incidents - previous.abuse_incidents in (0, 1)
        assert score_period(row, activity) == row
