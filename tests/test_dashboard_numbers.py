"""How the dashboard writes numbers, and the overview cards' change texts."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.web.server.dashboard.cards import CARDS, build_card, change_of
from systemprompt_analytics.web.server.dashboard.numbers import (
    NONE,
    fmt,
    fmt_compact,
    fmt_count,
    fmt_ms,
    fmt_rate,
    fmt_seconds,
    fmt_tick,
    fmt_usd,
    short_id,
)


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (fmt_count, 1234567, "1,234,567"),
        (fmt_count, 2.6, "3"),
        (fmt_compact, 950, "950"),
        (fmt_compact, 1200, "1.2k"),
        (fmt_compact, 34_000, "34k"),
        (fmt_compact, 1_000, "1k"),
        (fmt_compact, 1_500_000, "1.5M"),
        (fmt_compact, 0.25, "0.25"),
        (fmt_usd, 1234.5, "$1,234.50"),
        (fmt_usd, 0.0042, "$0.0042"),
        (fmt_usd, 0.5, "$0.50"),
        (fmt_usd, 0, "$0.00"),
        (fmt_rate, 0.1234, "12.3%"),
        (fmt_ms, 850, "850 ms"),
        (fmt_ms, 1240, "1.24 s"),
        (fmt_seconds, 45, "45 s"),
        (fmt_seconds, 200, "3 min 20 s"),
        (fmt_seconds, 7500, "2 h 5 min"),
        (fmt_seconds, 3600, "1 h"),
    ],
)
def test_formats(function: object, value: float, text: str) -> None:
    assert function(value) == text  # type: ignore[operator]


@pytest.mark.parametrize("unit", ["count", "usd", "rate", "ms", "seconds"])
def test_nothing_is_a_dash_never_zero(unit: str) -> None:
    assert fmt(None, unit) == NONE  # type: ignore[arg-type]
    assert fmt(float("nan"), unit) == NONE  # type: ignore[arg-type]
    assert fmt_tick(None, unit) == NONE  # type: ignore[arg-type]


@given(st.one_of(st.none(), st.floats(), st.integers(min_value=-(10**15), max_value=10**15)))
def test_every_formatter_writes_some_text(value: float | int | None) -> None:
    for unit in ("count", "usd", "rate", "ms", "seconds"):
        assert fmt(value, unit)  # type: ignore[arg-type]
        assert fmt_tick(value, unit)  # type: ignore[arg-type]


def test_long_ids_keep_their_ends() -> None:
    digest = "20eb469d44bcc0075703721e8eb39ad1bfef34ed926b2990d2af949e81cf3732"
    assert short_id(digest) == "20eb469d…3732"
    assert short_id("platform") == "platform"
    assert short_id(None) == NONE


def _spec(key: str):  # type: ignore[no-untyped-def]
    return next(spec for spec in CARDS if spec.key == key)


def test_a_count_card_says_the_relative_change_in_words_and_arrow() -> None:
    card = build_card(_spec("visitors"), Comparison(120, 100), "the 7 days before")
    assert (card.value_text, card.change_text) == ("120", "▲ 20.0% vs the 7 days before")
    assert (card.direction, card.verdict) == ("up", "good")


def test_a_rate_card_changes_in_points() -> None:
    card = build_card(_spec("bot-share"), Comparison(0.25, 0.30, "rate"), "x")
    assert card.value_text == "25.0%"
    assert card.change_text == "▼ 5.0 pts vs x"
    assert card.verdict == "neutral"  # more or fewer bots is neither good nor bad news


def test_lower_latency_is_better() -> None:
    card = build_card(_spec("latency"), Comparison(900.0, 1000.0, "mean"), "x")
    assert (card.direction, card.verdict, card.value_text) == ("down", "good", "900 ms")


def test_no_previous_data_and_no_change_are_said_as_such() -> None:
    assert build_card(_spec("visitors"), Comparison(5, 0), "x").change_text == (
        "no earlier data to compare"
    )
    assert build_card(_spec("visitors"), Comparison(5, 5), "x").change_text == "■ unchanged vs x"
    empty = build_card(_spec("tool-success"), Comparison(None, None, "rate"), "x")
    assert (empty.value_text, empty.change_text) == (NONE, NONE)


def test_a_plain_figure_has_no_change() -> None:
    card = build_card(_spec("active-now"), 7, "x")
    assert (card.value_text, card.change_text, card.direction) == ("7", "right now", None)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
@example(current=20_000, previous=20_001)  # -0.005%: reported as 0.00%, so "unchanged"
def test_the_direction_follows_the_sign_of_the_reported_change(current: int, previous: int) -> None:
    direction, size = change_of(Comparison(current, previous))
    if previous == 0:
        assert direction is None
    else:
        # The card states change_pct, the relative change rounded to two decimals (one
        # definition with the CLI and the API): a change that rounds to zero is unchanged.
        change = (current - previous) / previous * 100.0
        expected = "flat" if abs(change) < 0.005 else "up" if change > 0 else "down"
        if abs(abs(change) - 0.005) > 1e-9:  # exactly half a hundredth: rounding decides
            assert direction == expected
        assert size.endswith("%")
