"""Funnel stats on both databases: per-step definitions, bots, the period, empty funnels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.funnels.definition import funnel_from_cli
from systemprompt_analytics.funnels.matcher import Activity
from systemprompt_analytics.funnels.service import FunnelService
from systemprompt_analytics.models.period import Period
from tests.factories import add_session

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
PERIOD = Period(T0 - timedelta(hours=1), T0 + timedelta(days=1))
STEPS = ["Home=url_exact:/", "Pricing=url_prefix:/pricing", "Signup=event:signup"]


def _path(session: str, *seconds: float, start: datetime = T0) -> list[Activity]:
    """Activities reaching one step at each of the given offsets."""
    kinds = [("page", "/", None), ("page", "/pricing", None), ("event", None, "signup")]
    return [
        Activity(start + timedelta(seconds=offset), kind, session, path=path, name=name)  # type: ignore[arg-type]
        for offset, (kind, path, name) in zip(seconds, kinds, strict=False)
    ]


@pytest.fixture
def service(db_engine: Engine) -> FunnelService:
    with db_engine.begin() as conn:
        humans = [add_session(conn, at=T0) for _ in range(4)]
        bot = add_session(conn, at=T0, is_bot=True)
        old = add_session(conn, at=T0 - timedelta(days=3))
    service = FunnelService(db_engine)
    service.create(funnel_from_cli("Signup", STEPS), backfill=False)
    service.ingest(
        _path(humans[0], 0, 60, 180)
        + _path(humans[1], 0, 120)
        + _path(humans[2], 0)
        + _path(humans[3], 0, 30)
        + _path(bot, 0, 1, 2)
        + _path(old, 0, 1, 2, start=T0 - timedelta(days=3))
    )
    return service


def test_step_figures_follow_the_definitions(service: FunnelService) -> None:
    report = service.stats("Signup", PERIOD).to_dict()
    assert (report["entered"], report["completed"], report["conversion_rate"]) == (4, 1, 0.25)
    assert report["median_seconds_to_convert"] == 180.0
    steps = report["steps"]
    assert [(s["step"], s["name"], s["matcher"]) for s in steps] == [
        (1, "Home", "url_exact:/"),
        (2, "Pricing", "url_prefix:/pricing"),
        (3, "Signup", "event:signup"),
    ]
    assert [(s["entered"], s["continued"]) for s in steps] == [(4, 3), (3, 1), (1, None)]
    assert [s["conversion_rate"] for s in steps] == [1.0, 0.75, 0.25]
    assert steps[0]["drop_off_rate"] == 0.25
    assert steps[1]["drop_off_rate"] == pytest.approx(2 / 3)
    assert steps[2]["drop_off_rate"] is None
    # Step 1 -> 2 took 60, 120 and 30 seconds; 2 -> 3 took 120.
    assert (steps[0]["median_seconds_to_next"], steps[0]["avg_seconds_to_next"]) == (60.0, 70.0)
    assert (steps[1]["median_seconds_to_next"], steps[1]["avg_seconds_to_next"]) == (120.0, 120.0)
    assert steps[2]["median_seconds_to_next"] is None


def test_bots_are_excluded_unless_asked_for(service: FunnelService) -> None:
    everyone = service.stats("Signup", PERIOD, include_bots=True)
    assert [step.entered for step in everyone.steps] == [5, 4, 2]
    assert everyone.conversion_rate == 0.4
    assert everyone.to_dict()["include_bots"] is True


def test_units_count_in_the_period_they_entered_step_1(service: FunnelService) -> None:
    earlier = Period(T0 - timedelta(days=4), T0 - timedelta(days=2))
    assert [step.entered for step in service.stats("Signup", earlier).steps] == [1, 1, 1]
    before = Period(T0 - timedelta(hours=1), T0)  # half-open: T0 itself is outside
    report = service.stats("Signup", before)
    assert [step.entered for step in report.steps] == [0, 0, 0]
    assert report.conversion_rate is None
    assert report.steps[0].median_seconds_to_next is None
    assert report.rows()[0]["drop_off_rate"] is None
