"""What a finished request becomes on the writer thread (pure): its event row, its session
activity, and the times the request path hands over as epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from systemprompt_analytics.detection.user_agents import BotCategory, classify_user_agent
from systemprompt_analytics.ingest.pipeline import (
    RequestContext,
    RequestFacts,
    request_entry,
)
from systemprompt_analytics.storage.schema import request_events

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
SCANNER = "sqlmap/1.7.2#stable (https://sqlmap.org)"
AT = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)
STARTED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _record(
    *,
    status: int = 200,
    kind: str = "page",
    ua: str = CHROME,
    attributes: dict[str, object] | None = None,
    given_at: datetime | None = None,
    latency: float | None = 1.23456,
) -> tuple[object, ...]:
    agent = classify_user_agent(ua)
    return (
        "sess_" + "a" * 32, STARTED.timestamp(), AT.timestamp(), given_at, "GET", "/docs",
        kind, status, 512, latency, agent.is_bot, agent.is_ai_crawler,
        agent.category is BotCategory.SCANNER, attributes,
    )  # fmt: skip


def test_a_page_view_by_a_browser() -> None:
    activity, table, row = request_entry(_record())  # type: ignore[arg-type]
    assert table is request_events
    assert row == {
        "session_id": "sess_" + "a" * 32, "occurred_at": AT, "method": "GET", "path": "/docs",
        "status_code": 200, "latency_ms": 1.235, "kind": "page", "response_bytes": 512,
        "is_bot": False, "is_ai_crawler": False, "is_scanner": False,
    }  # fmt: skip
    assert activity is not None
    assert (activity.started_at, activity.at) == (STARTED, AT)
    assert activity.counters == {"request_count": 1, "page_view_count": 1, "error_count": 0}
    assert activity.flags == {} and activity.attributes is None


def test_errors_api_calls_scanners_and_hosting_origins() -> None:
    activity, _, _ = request_entry(_record(status=404))  # type: ignore[arg-type]
    assert activity is not None
    assert activity.counters == {"request_count": 1, "page_view_count": 0, "error_count": 1}
    activity, _, _ = request_entry(_record(kind="api"))  # type: ignore[arg-type]
    assert activity is not None
    assert activity.counters == {"request_count": 1, "page_view_count": 0, "error_count": 0}
    activity, _, row = request_entry(_record(ua=SCANNER))  # type: ignore[arg-type]
    assert activity is not None and row is not None
    assert row["is_bot"] and row["is_scanner"]
    assert activity.flags == {"is_bot": True, "is_ai_crawler": False, "is_scanner": True}
    attributes = {"hosting_provider": "aws", "browser": "Chrome"}
    activity, _, _ = request_entry(_record(attributes=attributes))  # type: ignore[arg-type]
    assert activity is not None
    assert activity.flags == {"is_datacenter": True}
    assert activity.attributes == attributes


def test_an_imported_request_keeps_its_own_time_and_no_latency() -> None:
    logged = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    _, _, row = request_entry(_record(given_at=logged, latency=None))  # type: ignore[arg-type]
    assert row is not None
    assert row["occurred_at"] is logged and row["latency_ms"] is None


def test_a_context_tells_its_time_as_a_datetime() -> None:
    facts = RequestFacts("GET", "/", "", {}, None)
    context = RequestContext(
        facts,
        AT.timestamp(),
        None,
        None,
        "page",
        None,
        None,
        "",
        None,  # type: ignore[arg-type]
    )
    assert context.at == AT
    logged = AT - timedelta(days=3)
    facts.at = logged
    assert context.at is logged
