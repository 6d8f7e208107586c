"""The threshold check and the original crate's trend rule (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.anomaly.levels import (
    CRITICAL_SCORE,
    WARNING_SCORE,
    AnomalyLevel,
    score_level,
    z_level,
    z_to_score,
)
from systemprompt_analytics.anomaly.thresholds import (
    Threshold,
    check_threshold,
    parse_threshold_value,
    validate_metric_name,
)
from systemprompt_analytics.anomaly.trend import TrendConfig, TrendDetector, check_trend
from systemprompt_analytics.errors import InvalidInputError

RPM = Threshold("requests_per_minute", 15.0, 30.0)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0.0, AnomalyLevel.NORMAL),
        (14.999, AnomalyLevel.NORMAL),
        (15.0, AnomalyLevel.WARNING),  # warning is inclusive
        (29.999, AnomalyLevel.WARNING),
        (30.0, AnomalyLevel.CRITICAL),  # critical is inclusive
        (1e9, AnomalyLevel.CRITICAL),
        (-5.0, AnomalyLevel.NORMAL),
    ],
)
def test_threshold_edges(value: float, level: AnomalyLevel) -> None:
    check = check_threshold(RPM, value)
    assert check.level is level
    assert check.detector == "threshold"
    assert score_level(check.score) is level


def test_threshold_message_names_metric_subject_and_value() -> None:
    check = check_threshold(RPM, 31.0, "fingerprint:abc")
    assert check.message.startswith("CRITICAL: requests_per_minute for fingerprint:abc = 31.00")
    assert "critical threshold 30" in check.message
    assert check.baseline == 30.0
    warning = check_threshold(RPM, 20.0)
    assert warning.message.startswith("WARNING: requests_per_minute = 20.00")


def test_equal_warning_and_critical_is_critical_at_the_edge() -> None:
    same = Threshold("error_rate", 0.2, 0.2)
    assert check_threshold(same, 0.2).level is AnomalyLevel.CRITICAL
    assert check_threshold(same, 0.1999).level is AnomalyLevel.NORMAL


def test_threshold_validation_names_the_field() -> None:
    with pytest.raises(InvalidInputError) as error:
        Threshold("error_rate", 0.5, 0.25)
    assert error.value.field == "WARN" and "above the critical threshold" in error.value.problem
    with pytest.raises(InvalidInputError) as error:
        Threshold("error_rate", math.nan, 1.0)
    assert error.value.field == "WARN"
    with pytest.raises(InvalidInputError) as error:
        Threshold("error_rate", 0.0, math.inf)
    assert error.value.field == "CRIT"
    for bad in ("", "Errors", "1rate", "rate-per-min", "x" * 65):
        with pytest.raises(InvalidInputError) as error:
            validate_metric_name(bad)
        assert error.value.field == "NAME"
    assert validate_metric_name("ai_cost_per_hour") == "ai_cost_per_hour"


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-inf", "1e999"])
def test_threshold_values_must_be_finite_numbers(text: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_threshold_value("CRIT", text)
    assert error.value.field == "CRIT"


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(0, 1e6), st.floats(0, 1e6))
def test_threshold_score_agrees_with_level(value: float, low: float, gap: float) -> None:
    threshold = Threshold("m", low, low + gap)
    check = check_threshold(threshold, value)
    assert 0.0 <= check.score <= 1.0
    assert score_level(check.score) is check.level


# -- the trend rule ------------------------------------------------------------------------


def test_trend_needs_two_samples() -> None:
    assert check_trend("m", []) is None
    assert check_trend("m", [100.0]) is None


def test_trend_spike_is_critical() -> None:
    check = check_trend("spike_metric", [10.0] * 5 + [100.0])
    assert check is not None and check.level is AnomalyLevel.CRITICAL
    assert check.message.startswith("Spike: spike_metric jumped 4.0x above average")
    assert check.baseline == pytest.approx(25.0)


def test_trend_about_two_and_a_half_times_is_warning() -> None:
    # The window average includes the latest value, as in the original: 30 / 12 = 2.5.
    check = check_trend("m", [10.0] * 9 + [30.0])
    assert check is not None and check.level is AnomalyLevel.WARNING
    assert "2.5x" in check.message


def test_trend_flat_or_falling_is_nothing() -> None:
    assert check_trend("m", [10.0] * 10) is None
    assert check_trend("m", [10.0, 10.0, 1.0]) is None
    assert check_trend("m", [0.0, 0.0, 0.0]) is None  # no positive average


def test_trend_boundaries_are_strict() -> None:
    # latest / average exactly 2 and exactly 3 do not cross the rule's "above".
    values = [0.0, 2.0]  # average 1, latest 2: ratio exactly 2
    assert check_trend("m", values) is None
    check = check_trend("m", [0.0, 0.0, 3.0])  # average 1, ratio exactly 3: warning
    assert check is not None and check.level is AnomalyLevel.WARNING


def test_trend_min_samples_is_configurable() -> None:
    assert check_trend("m", [1.0, 1.0, 9.0], min_samples=5) is None
    assert check_trend("m", [1.0, 1.0, 1.0, 1.0, 9.0], min_samples=5) is not None


def test_streaming_trend_detector_matches_the_rule() -> None:
    detector = TrendDetector(TrendConfig(window=6))
    levels = [detector.update(float(i), v).level for i, v in enumerate([10.0] * 5 + [100.0])]
    assert levels[:5] == [AnomalyLevel.NORMAL] * 5
    assert levels[5] is AnomalyLevel.CRITICAL


# -- the score scale -----------------------------------------------------------------------


def test_score_scale_boundaries() -> None:
    assert z_to_score(0.0, 5.0, 10.0) == 0.0
    assert z_to_score(5.0, 5.0, 10.0) == pytest.approx(WARNING_SCORE)
    assert z_to_score(10.0, 5.0, 10.0) == pytest.approx(CRITICAL_SCORE)
    assert z_to_score(math.inf, 5.0, 10.0) == 1.0
    assert z_to_score(math.nan, 5.0, 10.0) == 0.0
    assert z_level(5.0, 5.0, 10.0) == (pytest.approx(0.5), AnomalyLevel.WARNING)
    assert z_level(10.0, 5.0, 10.0)[1] is AnomalyLevel.CRITICAL


@given(st.floats(allow_nan=True), st.floats(0.1, 50), st.floats(1.01, 10))
def test_score_is_always_in_unit_interval_and_monotone(z: float, warning: float, k: float) -> None:
    score, level = z_level(z, warning, warning * k)
    assert 0.0 <= score <= 1.0
    assert score_level(score) is level
    if math.isfinite(z) and z >= 0:
        assert z_to_score(z * 1.5 + 0.1, warning, warning * k) >= z_to_score(
            z, warning, warning * k
        )
