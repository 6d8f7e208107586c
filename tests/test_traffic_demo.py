"""The demo data set through every traffic and content report: nothing is empty and the
reports agree with each other and with the overview, sessions and bots reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run

END = "2026-11-01T14:00:00Z"
PERIOD = ["--since", "2026-10-31T14:00:00Z", "--until", END]
ALL = ["--limit", "10000"]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and name != "SP_ANALYTICS_REQUIRE_SERVICES":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def demo_url(db_engine: Engine, database_url: str) -> str:
    args = ["demo", "--days", "2", "--sessions", "400", "--seed", "5", "--end", END]
    assert run([*args, "--database-url", database_url]) == 0
    return database_url


def report(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> dict[str, Any]:
    assert run([*args, *PERIOD, "--json", "--database-url", url]) == 0, capsys.readouterr().err
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def total(rows: list[dict[str, Any]], key: str = "sessions") -> int:
    return sum(int(row[key]) for row in rows)


def test_demo_reports_are_non_empty_and_consistent(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bots = report(capsys, demo_url, "traffic", "bots")["totals"]
    humans = bots["human_sessions"]
    assert humans > 50 and bots["bot_sessions"] > 0

    sources = report(capsys, demo_url, "traffic", "sources", *ALL)
    assert sources["totals"]["sessions"] == humans
    assert total(sources["by_channel"]["rows"]) == humans
    assert total(sources["by_source"]["rows"]) == humans
    assert sum(row["share_of_all"] for row in sources["by_channel"]["rows"]) == pytest.approx(1.0)
    assert len(sources["by_channel"]["rows"]) >= 4
    assert 0 < sources["totals"]["bounce_rate"] < 1
    everyone = report(capsys, demo_url, "traffic", "sources", "--include-bots", *ALL)
    assert everyone["totals"]["sessions"] == bots["sessions"]
    assert everyone["totals"]["bot_sessions"] == bots["bot_sessions"]

    stats = report(capsys, demo_url, "sessions", "stats")
    assert stats["created"]["current"] == humans
    assert stats["avg_duration_seconds"]["current"] == pytest.approx(
        sources["totals"]["avg_visit_duration_seconds"], abs=0.06
    )

    pages = report(capsys, demo_url, "traffic", "pages", *ALL)["landing_pages"]["rows"]
    assert total(pages) == humans
    assert any(row["title"] for row in pages)  # the demo registers its public pages
    search = report(capsys, demo_url, "traffic", "pages", "--channel", "search", *ALL)
    by_channel = {row["channel"]: row["sessions"] for row in sources["by_channel"]["rows"]}
    assert total(search["landing_pages"]["rows"]) == by_channel["search"]

    for command, key in (("geo", "locations"), ("devices", "by_device_type"),
                         ("devices", "by_browser"), ("devices", "by_os")):  # fmt: skip
        assert total(report(capsys, demo_url, "traffic", command, *ALL)[key]["rows"]) == humans

    overview = report(capsys, demo_url, "overview")
    content = report(capsys, demo_url, "content", "stats")
    page_views = content["page_views"]["current"]
    assert page_views == overview["traffic"]["page_views"]["current"] > 0
    top = report(capsys, demo_url, "content", "top", *ALL)["pages"]
    assert total(top["rows"], "page_views") == page_views
    assert len(top["rows"]) == top["total_rows"] == content["pages_viewed"]["current"]
    assert {row["trend"] for row in top["rows"]} <= {"up", "down", "flat"}

    trends = report(capsys, demo_url, "content", "trends", "--group-by", "hour")["series"]
    assert len(trends) == 24
    assert total(trends, "page_views") == page_views

    engagement = report(capsys, demo_url, "content", "engagement", *ALL)
    engaged = engagement["totals"]["engaged_views"]
    assert engaged == content["engaged_page_views"]["current"] > 0
    assert total(engagement["pages"]["rows"], "engaged_views") == engaged
    mix = engagement["totals"]["reading_patterns"]
    assert sum(item["views"] for item in mix.values()) == engaged

    navigation = report(capsys, demo_url, "traffic", "navigation", *ALL)
    transitions = navigation["totals"]["transitions"]
    assert 0 < transitions < page_views
    assert total(navigation["transitions"]["rows"], "transitions") == transitions
