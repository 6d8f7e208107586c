"""Bot detection from stored data (issue 4): sessions scored per second, end to end.

    .venv/bin/python -m bench.bench_detector_stored [--sessions 10000]

Fills a database with demo data, then scores every session the way the background runner does
(gather evidence in batches of 500 with set-based queries, run the behavioural and scanner
detectors, write verdicts back). Baseline in the same run: the pure detectors alone on the same
evidence, so the ratio shows what the database round trips cost.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bench.bench_pipeline import postgres_database
from bench.help_format import HelpFormat
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.jobs.behavioral import BehavioralScoring
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.storage.repositories.behavioral import gather_evidence, site_page_count
from systemprompt_analytics.storage.schema import sessions

END = datetime(2026, 11, 20, tzinfo=UTC)


def measure(url: str, count: int) -> tuple[int, float, float]:
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, days=7, sessions=count, seed=3, end=END)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(select(sessions.c.id))]
    scoring = BehavioralScoring(engine)
    started = time.perf_counter()
    scored = len(scoring.score_sessions(ids, now=END))
    stored_rate = scored / (time.perf_counter() - started)
    with engine.connect() as conn:
        pages = site_page_count(conn, END)
        inputs = [item for s in range(0, len(ids), 500)
                  for item in gather_evidence(conn, ids[s : s + 500], pages)]  # fmt: skip
    started = time.perf_counter()
    for item in inputs:
        scoring.judge(item)
    pure_rate = len(inputs) / (time.perf_counter() - started)
    engine.dispose()
    return scored, stored_rate, pure_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--sessions", type=int, default=10_000, help="demo sessions to score")
    args = parser.parse_args()
    table = Table(title="Bot detection from stored data")
    for column in ("database", "sessions scored", "sessions/s (stored data)",
                   "sessions/s (detectors only)", "ratio"):  # fmt: skip
        table.add_column(column, justify="left" if column == "database" else "right")
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg_url:
        targets = [("SQLite", f"sqlite:///{tmp}/detect.db")]
        if pg_url:
            targets.append(("PostgreSQL", pg_url))
        for name, url in targets:
            scored, stored, pure = measure(url, args.sessions)
            table.add_row(
                name, f"{scored:,}", f"{stored:,.0f}", f"{pure:,.0f}", f"{stored / pure:.2f}×"
            )
    Console().print(table)


if __name__ == "__main__":
    main()
