"""The dashboard's period picker: presets, custom periods in the CLI's time forms, errors that
name the query parameter, and the trend granularity of each window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.web.server.dashboard.window import (
    DEFAULT_RANGE,
    MAX_PARAM_LENGTH,
    MAX_SPAN,
    granularity_for,
    parse_window,
)

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_no_parameters_is_the_default_range() -> None:
    window = parse_window({}, NOW)
    assert window.range == DEFAULT_RANGE == "7d"
    assert window.period == Period(NOW - timedelta(days=7), NOW)
    assert window.label == "Last 7 days"
    assert window.previous_label == "the 7 days before"


@pytest.mark.parametrize(
    ("name", "length", "granularity"),
    [("24h", timedelta(hours=24), "hour"), ("7d", timedelta(days=7), "hour"),
     ("30d", timedelta(days=30), "day")],
)  # fmt: skip
def test_presets_end_now(name: str, length: timedelta, granularity: str) -> None:
    window = parse_window({"range": name}, NOW)
    assert window.period == Period(NOW - length, NOW)
    assert window.granularity == granularity


def test_a_preset_ignores_since_and_until() -> None:
    window = parse_window({"range": "24h", "since": "garbage", "until": "more garbage"}, NOW)
    assert window.period == Period(NOW - timedelta(hours=24), NOW)


def test_custom_period_takes_the_cli_time_forms() -> None:
    window = parse_window({"range": "custom", "since": "2026-11-01", "until": "14d"}, NOW)
    assert window.period == Period(datetime(2026, 11, 1, tzinfo=UTC), NOW - timedelta(days=14))
    assert window.range == "custom"
    assert window.since_text == "2026-11-01" and window.until_text == "14d"
    assert window.label == "01 Nov 2026 – 13 Nov 2026 15:30 UTC"
    assert window.previous_label == "the period of equal length before"


def test_a_since_without_range_is_a_custom_period_until_now() -> None:
    window = parse_window({"since": "2026-11-20T08:00:00Z"}, NOW)
    assert window.range == "custom"
    assert window.period == Period(datetime(2026, 11, 20, 8, tzinfo=UTC), NOW)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"range": "week"}, "range", "not one of 24h, 7d, 30d or custom"),
        ({"range": "custom"}, "since", "needs a start"),
        ({"range": "custom", "since": "yesterday"}, "since", "cannot read 'yesterday'"),
        ({"range": "custom", "since": "7d", "until": "soon"}, "until", "cannot read 'soon'"),
        ({"range": "custom", "since": "1d", "until": "2d"}, "since", "must be before until"),
        ({"range": "custom", "since": "2026-11-27T15:30:00Z"}, "since", "must be before until"),
        ({"range": "custom", "since": "2020-01-01"}, "since", "at most 3 years"),
        ({"since": "x" * (MAX_PARAM_LENGTH + 1)}, "since", f"at most {MAX_PARAM_LENGTH}"),
        ({"range": "7d" * 40}, "range", f"at most {MAX_PARAM_LENGTH}"),
    ],
)
def test_bad_parameters_name_the_field(params: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_window(params, NOW)
    assert caught.value.field == field
    assert words in caught.value.problem


@pytest.mark.parametrize(
    ("length", "granularity"),
    [(timedelta(hours=1), "hour"), (timedelta(days=8), "hour"), (timedelta(days=9), "day"),
     (timedelta(days=120), "day"), (timedelta(days=121), "week"), (timedelta(days=730), "week"),
     (timedelta(days=731), "month")],
)  # fmt: skip
def test_granularity_grows_with_the_window(length: timedelta, granularity: str) -> None:
    assert granularity_for(Period(NOW - length, NOW)) == granularity


texts = st.text(max_size=80)


@given(st.dictionaries(st.sampled_from(["range", "since", "until", "other"]), texts))
def test_any_parameters_give_a_window_or_a_named_error(params: dict[str, str]) -> None:
    try:
        window = parse_window(params, NOW)
    except InvalidInputError as exc:
        assert exc.field in {"range", "since", "until"}
        return
    assert window.period.since < window.period.until
    assert window.period.length <= MAX_SPAN
    assert window.granularity == granularity_for(window.period)


@given(st.integers(min_value=1, max_value=3 * 365 * 24))
def test_any_custom_span_in_hours_is_accepted(hours: int) -> None:
    window = parse_window({"since": f"{hours}h"}, NOW)
    assert window.period.length == timedelta(hours=hours)
