"""Parsing --since/--until and the half-open periods they make (pure; no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import (
    ACCEPTED_FORMS,
    Period,
    parse_duration,
    parse_time,
    resolve_period,
)

NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("0h", NOW),
        (" 7D ", NOW - timedelta(days=7)),
        ("now", NOW),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:15:00Z", datetime(2026, 11, 1, 8, 15, tzinfo=UTC)),
        ("2026-11-01T08:15", datetime(2026, 11, 1, 8, 15, tzinfo=UTC)),
        ("2026-11-01 08:15:30", datetime(2026, 11, 1, 8, 15, 30, tzinfo=UTC)),
        ("2026-11-01T10:15:00+02:00", datetime(2026, 11, 1, 8, 15, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["banana", "", "  ", "7", "d7", "7 days", "-3d", "3y", "2026-13-01", "1.5h", "now-1h"]
)
def test_rejected_forms_name_the_field_and_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_time(text, NOW, "--since")
    assert caught.value.field == "--since"
    assert ACCEPTED_FORMS in caught.value.problem or "empty" in caught.value.problem


def test_duration_reaching_before_year_one_is_an_error_not_a_crash() -> None:
    with pytest.raises(InvalidInputError, match="before year 1"):
        parse_time("999999w", NOW, "--since")


@given(st.integers(min_value=0, max_value=99_999), st.sampled_from("mhdw"))
def test_every_duration_counts_back_from_now(amount: int, unit: str) -> None:
    delta = parse_duration(f"{amount}{unit}")
    assert delta is not None
    assert parse_time(f"{amount}{unit}", NOW) == NOW - delta
    assert delta >= timedelta(0)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_iso_round_trip_is_the_same_instant_in_utc(moment: datetime) -> None:
    parsed = parse_time(moment.isoformat(), NOW)
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)


@given(st.text(max_size=30))
def test_any_text_either_parses_to_utc_or_raises_invalid_input(text: str) -> None:
    try:
        parsed = parse_time(text, NOW)
    except InvalidInputError as exc:
        assert exc.field == "time"
    else:
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() == timedelta(0)


def test_previous_period_has_equal_length_and_ends_at_since() -> None:
    period = resolve_period("7d", None, NOW)
    assert period.until == NOW
    assert period.length == timedelta(days=7)
    assert period.previous.until == period.since
    assert period.previous.length == period.length


def test_since_must_be_before_until() -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve_period("2026-11-02", "2026-11-01", NOW)
    assert caught.value.field == "--since"
    with pytest.raises(InvalidInputError):
        Period(NOW, NOW)


def test_until_flag_is_named_in_its_error() -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve_period("7d", "tomorrow", NOW)
    assert caught.value.field == "--until"


def test_default_window_is_the_last_24_hours() -> None:
    period = resolve_period(None, None, NOW)
    assert (period.since, period.until) == (NOW - timedelta(hours=24), NOW)
    assert period.to_dict()["seconds"] == 86_400
