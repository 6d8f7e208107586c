"""Bot reports pin the definitions: human/engaged/ghost/bot and shares of the true total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.bots import OTHER_REASONS, bot_traffic, flagged_sessions
from tests.factories import add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
AT = NOW - timedelta(hours=2)


def test_totals_categories_and_reasons_add_up(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for _ in range(5):  # engaged humans
            add_session(conn, at=AT, landing_page="/", page_view_count=2)
        add_session(conn, at=AT, landing_page=None, page_view_count=0)  # ghost
        add_session(conn, at=AT, landing_page="/api", page_view_count=0)  # ghost: no page view
        for index in range(3):
            add_session(conn, at=AT, is_bot=True, is_ai_crawler=True, bot_category="ai_crawler",
                        bot_reason="AI crawler: GPTBot", bot_name=f"GPTBot{index}")  # fmt: skip
        add_session(conn, at=AT, is_scanner=True, bot_reason="probe paths: /.env", throttle_level=3)
        signal = {"signal": "high_request_count", "points": 30, "detail": "80 hits"}
        add_session(
            conn, at=AT, is_behavioral_bot=True, behavioral_score=65,
            bot_reason="behaviour: high_request_count", behavioral_signals=[signal],
        )  # fmt: skip
        add_session(conn, at=NOW - timedelta(days=3), is_bot=True)  # outside the period
        report = bot_traffic(conn, PERIOD, limit=2)
        flagged = flagged_sessions(conn, PERIOD)
    totals = report.totals
    assert totals["sessions"] == 12
    assert (totals["engaged_sessions"], totals["ghost_sessions"]) == (5, 2)
    assert totals["human_sessions"] == 7 and totals["bot_sessions"] == 5
    assert totals["bot_share"] == round(5 / 12, 6)
    assert totals["ai_crawler_sessions"] == 3
    assert totals["throttled_sessions"] == 1
    categories = {row["category"]: row["sessions"] for row in report.by_category}
    assert categories == {"ai_crawler": 3, "scanner": 1, "behavioral": 1}
    assert sum(row["sessions"] for row in report.by_reason) == totals["bot_sessions"]
    assert report.by_reason[0] == {
        "reason": "AI crawler: GPTBot", "sessions": 3, "share_of_all": round(3 / 12, 6)
    }  # fmt: skip
    assert report.by_reason[-1]["reason"] == OTHER_REASONS  # past the limit, summed
    assert flagged[0]["behavioral_score"] == 65
    assert flagged[0]["signals"][0]["signal"] == "high_request_count"
    assert len(flagged) == 5
