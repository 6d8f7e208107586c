"""The backtest CSV parser and runner (pure), with hypothesis for the parser."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.anomaly.backtest import backtest, parse_series
from systemprompt_analytics.anomaly.detector import RobustDetector
from systemprompt_analytics.errors import InvalidInputError

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_parses_timestamps_values_and_skips_blank_lines() -> None:
    text = (
        "\ufefftimestamp, value\n"
        "2026-01-05T00:00:00Z,1.5\n"
        "\n"
        "2026-01-05 00:01:00,2\n"
        "2026-01-05T01:01:00+01:00,-3e2\n"  # the same instant as the previous row
        '"2026-01-05T00:02:00",4\n'
    )
    points = list(parse_series(_lines(text)))
    assert [p.value for p in points] == [1.5, 2.0, -300.0, 4.0]
    assert [p.line for p in points] == [2, 4, 5, 6]
    assert points[1].timestamp == points[2].timestamp == T0 + timedelta(minutes=1)
    assert points[0].timestamp_text == "2026-01-05T00:00:00Z"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "missing the header"),
        ("\n\n", 1, "missing the header"),
        ("2026-01-05T00:00:00Z,1\n", 1, "expected the header"),
        ("time,value\n", 1, "expected the header"),
        ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,abc\n", 3, "value"),
        ("timestamp,value\n2026-01-05T00:00:00Z,nan\n", 2, "not a finite number"),
        ("timestamp,value\n2026-01-05T00:00:00Z,inf\n", 2, "not a finite number"),
        ("timestamp,value\nyesterday,1\n", 2, "timestamp"),
        ("timestamp,value\n2026-13-05T00:00:00Z,1\n", 2, "timestamp"),
        ("timestamp,value\n2026-01-05T00:00:00Z,1,2\n", 2, "expected 2 fields"),
        ("timestamp,value\n2026-01-05T00:00:00Z\n", 2, "expected 2 fields"),
        (
            "timestamp,value\n2026-01-05T00:02:00Z,1\n2026-01-05T00:03:00Z,1\n"
            "2026-01-05T00:01:00Z,1\n",
            4,
            "out of time order",
        ),
    ],
)
def test_bad_input_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        list(parse_series(_lines(text), "series.csv"))
    assert error.value.field == f"series.csv line {line}"
    assert words in error.value.problem


def test_backtest_scores_each_row_in_order() -> None:
    rows = ["timestamp,value\n"] + [
        f"{(T0 + timedelta(minutes=i)).isoformat()},{100 + (i % 5)}\n" for i in range(200)
    ]
    rows.append(f"{(T0 + timedelta(minutes=200)).isoformat()},400\n")
    scored = list(backtest(parse_series(rows), RobustDetector()))
    assert len(scored) == 201
    assert scored[-1].level.value == "critical"
    assert scored[-1].row()[2:] == (f"{scored[-1].score:.6f}", "critical")
    assert all(item.level.value == "normal" for item in scored[:-1])


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(st.lists(st.tuples(moments, finite), max_size=40))
def test_valid_files_round_trip(rows: list[tuple[datetime, float]]) -> None:
    rows = sorted(rows, key=lambda row: row[0])
    text = "timestamp,value\n" + "".join(f"{t.isoformat()},{v!r}\n" for t, v in rows)
    points = list(parse_series(_lines(text)))
    assert [(p.timestamp, p.value) for p in points] == rows


@given(st.lists(st.text(max_size=30), max_size=8))
def test_any_text_parses_or_is_refused_with_a_line(lines: list[str]) -> None:
    text = "timestamp,value\n" + "\n".join(lines)
    try:
        points = list(parse_series(_lines(text)))
    except InvalidInputError as error:
        assert " line " in error.field
    else:
        assert all(math.isfinite(p.value) for p in points)
        assert [p.timestamp for p in points] == sorted(p.timestamp for p in points)
