"""The cost reports' window: an empty default window widens 24 h → 7 d → 30 d; a window asked
for with --since never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.costs_window import CostWindow, cost_window, default_periods
from systemprompt_analytics.reports.requests_filter import RequestFilter
from tests.factories import add_ai_request

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
BILLABLE = RequestFilter()


def window_with_request_at(engine: Engine, ago: timedelta | None, **values: object) -> CostWindow:
    with engine.begin() as conn:
        if ago is not None:
            add_ai_request(conn, NOW - ago, **values)
        return cost_window(conn, None, None, NOW, BILLABLE)


@pytest.mark.parametrize(
    ("ago", "used", "tried"),
    [
        (timedelta(hours=23), "24h", ("24h",)),
        (timedelta(days=3), "7d", ("24h", "7d")),
        (timedelta(days=20), "30d", ("24h", "7d", "30d")),
    ],
)
def test_an_empty_default_window_widens_to_the_first_with_requests(
    db_engine: Engine, ago: timedelta, used: str, tried: tuple[str, ...]
) -> None:
    window = window_with_request_at(db_engine, ago)
    assert window.default and window.used == used and window.tried == tried
    assert window.period.until == NOW
    assert window.period.length == {"24h": timedelta(days=1), "7d": timedelta(days=7),
                                    "30d": timedelta(days=30)}[used]  # fmt: skip
    assert window.widened == (used != "24h")


def test_nothing_in_30_days_keeps_the_default_24_hours(db_engine: Engine) -> None:
    window = window_with_request_at(db_engine, timedelta(days=45))
    assert window.used == "24h" and not window.widened
    assert window.tried == ("24h", "7d", "30d")
    assert window.period == Period(NOW - timedelta(days=1), NOW)
    assert "No AI requests in the last 24 h, 7 d or 30 d" in window.describe()


def test_synthetic_requests_do_not_stop_the_widening(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, NOW - timedelta(hours=2), is_synthetic=True)
        add_ai_request(conn, NOW - timedelta(days=2))
        default = cost_window(conn, None, None, NOW, BILLABLE)
        with_synthetic = cost_window(conn, None, None, NOW, RequestFilter(include_synthetic=True))
    assert default.used == "7d"
    assert with_synthetic.used == "24h"


def test_a_window_asked_for_is_never_widened(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, NOW - timedelta(days=3))
        window = cost_window(conn, "24h", None, NOW, BILLABLE)
        dated = cost_window(conn, "2026-11-27", "2026-11-27T06:00:00Z", NOW, BILLABLE)
    assert not window.default and not window.widened and window.used is None
    assert window.period == Period(NOW - timedelta(days=1), NOW)
    assert dated.period == Period(datetime(2026, 11, 27, tzinfo=UTC),
                                  datetime(2026, 11, 27, 6, tzinfo=UTC))  # fmt: skip
    assert window.to_dict() == {"default": False, "used": None, "widened": False, "tried": [],
                                "note": "The window asked for (--since)."}  # fmt: skip


def test_until_without_since_widens_back_from_until(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, NOW - timedelta(days=12))
        window = cost_window(conn, None, "10d", NOW, BILLABLE)
    assert window.used == "7d"
    assert window.period == Period(NOW - timedelta(days=17), NOW - timedelta(days=10))


def test_bad_until_names_the_flag(db_engine: Engine) -> None:
    with db_engine.connect() as conn, pytest.raises(InvalidInputError) as error:
        cost_window(conn, None, "yesterday-ish", NOW, BILLABLE)
    assert error.value.field == "--until"


def test_default_periods_and_descriptions() -> None:
    periods = default_periods(NOW)
    assert [name for name, _ in periods] == ["24h", "7d", "30d"]
    assert all(period.until == NOW for _, period in periods)
    widened = CostWindow(periods[1][1], default=True, used="7d", tried=("24h", "7d"))
    assert widened.describe() == "No AI requests in the last 24 h: widened to the last 7 d."
    furthest = CostWindow(periods[2][1], default=True, used="30d", tried=("24h", "7d", "30d"))
    assert furthest.describe() == (
        "No AI requests in the last 24 h or 7 d: widened to the last 30 d."
    )
    plain = CostWindow(periods[0][1], default=True, used="24h", tried=("24h",))
    assert plain.describe() == "The default window: the last 24 h."
    assert plain.to_dict()["widened"] is False
