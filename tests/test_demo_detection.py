"""Detectors over the demo data: its bots are caught as behavioural bots and scanners, its
humans are not (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.jobs.behavioral import BehavioralScoring
from systemprompt_analytics.storage.schema import sessions

END = datetime(2026, 11, 20, tzinfo=UTC)


def test_demo_bots_are_caught_and_humans_are_not(db_engine: Engine) -> None:
    generate_demo(db_engine, days=3, sessions=1_500, seed=7, end=END)
    c = sessions.c
    with db_engine.connect() as conn:
        ids = [row[0] for row in conn.execute(select(c.id))]
        humans = {
            row[0]
            for row in conn.execute(
                select(c.id).where(
                    ~c.is_bot,
                    ~c.is_scanner,
                    ~c.is_ai_crawler,
                    ~c.is_behavioral_bot,
                    c.source.in_(("web", "api")),  # CLI sessions are not scored
                )
            )
        }
        headless = {
            row[0] for row in conn.execute(select(c.id).where(c.bot_category == "headless"))
        }
        probing = {row[0] for row in conn.execute(select(c.id).where(c.bot_category == "scanner"))}
    assert humans and headless and probing
    results = BehavioralScoring(db_engine).score_sessions(ids)
    judged = {item.session_id: judgement for item, judgement in results}
    flagged_humans = [
        sid for sid in humans if judged[sid].behavioral.is_bot or judged[sid].scanner.is_scanner
    ]
    assert flagged_humans == []
    assert all(judged[sid].behavioral.is_bot for sid in headless)
    assert all(judged[sid].scanner.is_scanner for sid in probing)
    with db_engine.connect() as conn:
        stored = conn.execute(select(c.id).where(c.is_behavioral_bot)).all()
    assert {row[0] for row in stored} >= headless
