"""Collector benchmark (issue 5): events/s accepted over HTTP, batches of 50, into PostgreSQL.

    .venv/bin/python -m bench.bench_collector [--seconds 10] [--connections 16] [--batch 50]

The same aiohttp load generator posts ``{"events": [...]}`` batches (page views, engagement,
link clicks, custom events; every event with a unique id) first to a baseline FastAPI endpoint
that only parses the JSON, then to the real collector router under uvicorn storing into a
scratch PostgreSQL database (and SQLite for comparison). After uvicorn shuts down (its lifespan
flushes the writer) the rows are counted: stored must equal accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from bench.bench_pipeline import postgres_database, uvicorn_process
from bench.help_format import HelpFormat
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.schema import client_events, engagement_events

console = Console()
PAGES = ("/", "/pricing", "/docs/getting-started", "/blog/agents", "/docs/api")


def _event(serial: int) -> dict[str, Any]:
    path = PAGES[serial % len(PAGES)]
    common = {"id": f"bench-{serial:012d}", "url": f"https://example.com{path}"}
    match serial % 5:
        case 0 | 1:
            return {"type": "page_view", **common, "title": "Example", "referrer": ""}
        case 2:
            return {"type": "engagement", **common, "time_on_page_ms": 41_000,
                    "visible_ms": 40_000, "engaged_ms": 35_500, "scroll_depth": 72,
                    "clicks": 3, "rage_clicks": 0, "dead_clicks": 1,
                    "first_interaction_ms": 1_800, "reading_pattern": "read"}  # fmt: skip
        case 3:
            return {"type": "link_click", **common, "target": "https://github.com/x"}
        case _:
            return {"type": "custom", "id": common["id"], "name": "copy_snippet",
                    "props": {"lang": "python", "block": serial % 7}}  # fmt: skip


async def _load(base: str, seconds: float, connections: int, batch: int) -> tuple[int, int]:
    """(events accepted, batches sent) while ``connections`` clients post for ``seconds``."""
    serials = itertools.count()
    accepted = sent = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def client() -> None:
            nonlocal accepted, sent
            while time.perf_counter() < stop:
                body = json.dumps({"events": [_event(next(serials)) for _ in range(batch)]})
                async with session.post(
                    "/api/v1/collect", data=body, headers={"content-type": "application/json"}
                ) as response:
                    answer = await response.json()
                    if response.status != 202 or answer["rejected"]:
                        raise RuntimeError(f"collector answered {response.status}: {answer}")
                    accepted += answer["accepted"]
                    sent += 1

        stop = time.perf_counter() + seconds
        await asyncio.gather(*(client() for _ in range(connections)))
    return accepted, sent


def _stored(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = sum(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (client_events, engagement_events)
        )
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--batch", type=int, default=50, help="events per posted batch")
    args = parser.parse_args()

    table = Table(title=f"Collector: batches of {args.batch} events over HTTP")
    for column in ("case", "events/s", "ratio", "accepted", "stored", "stored = accepted"):
        table.add_column(column, justify="left" if column == "case" else "right")
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg_url:
        workdir = Path(tmp)
        env = {"SP_ANALYTICS_DATA_DIR": str(workdir)}
        runs: list[tuple[str, str, str | None]] = [
            ("baseline: parse JSON, answer 202", "bench.collector_app:baseline_app", None)
        ]
        if pg_url:
            runs.append(("collector → PostgreSQL", "bench.collector_app:collector_app", pg_url))
        sqlite_url = f"sqlite:///{workdir / 'collector.db'}"
        runs.append(("collector → SQLite", "bench.collector_app:collector_app", sqlite_url))
        baseline = 0.0
        for label, app, url in runs:
            run_env = {**env, "SP_BENCH_DATABASE_URL": url} if url else env
            with uvicorn_process(app, run_env) as (base, _pid):
                started = time.perf_counter()
                accepted, _ = asyncio.run(_load(base, args.seconds, args.connections, args.batch))
                rate = accepted / (time.perf_counter() - started)
            # uvicorn has exited here: its lifespan shutdown flushed the writer.
            stored = _stored(url) if url else accepted
            baseline = baseline or rate
            same = "yes" if stored == accepted else "NO"
            stored_text = f"{stored:,}" if url else "—"
            ratio = f"{rate / baseline:.2f}×"
            table.add_row(label, f"{rate:,.0f}", ratio, f"{accepted:,}", stored_text, same)
    console.print(table)
    console.print("ratio: against the baseline endpoint that parses the same bodies.")


if __name__ == "__main__":
    main()
