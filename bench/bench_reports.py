"""Report benchmark (issue 6): every report over a 30-day window of a large dataset.

    .venv/bin/python -m bench.bench_reports [--sessions 1000000] [--scale 1.0] [--runs 5]
                                            [--sqlite] [--sqlite-scale S] [--only REGEX]

Generates (``bench/report_dataset.py``) 1,000,000 sessions, 5,000,000 request events,
2,000,000 AI requests and 500,000 tool executions with proportionate users, tasks,
conversations, messages, tracker events and funnel progress over 90 days — at ``--scale``
(or ``--sessions``) of that — into a scratch PostgreSQL database (COPY), runs ``VACUUM
ANALYZE``, builds the rollups (``sp-analytics rollups rebuild``), then times each CLI report's
query function with the CLI's defaults for the 30 days before the dataset's end: median and
max of ``--runs`` runs against the 300 ms target. ``--sqlite`` does the same on a SQLite file
(at ``--sqlite-scale``, default the same scale). A baseline row per database counts the
window's request events.

``--database-url`` times an existing benchmark database instead of generating one (e.g. one
kept with ``--keep``).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.bench_pipeline import POSTGRES_ADMIN
from bench.help_format import HelpFormat
from bench.report_cases import CASES, Context
from bench.report_dataset import COLUMNS, END, FUNNEL_STEPS, DatasetSize, generate
from bench.report_sinks import PostgresSink, SqliteSink
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.storage.rollups import rebuild_rollups
from systemprompt_analytics.storage.schema import (
    engagement_events,
    funnel_steps,
    funnels,
    request_events,
)

TARGET_MS = 300.0
WINDOW = timedelta(days=30)
FUNNEL_NAME = "signup"
console = Console(width=150)


@dataclass(frozen=True)
class Timing:
    median_ms: float
    max_ms: float


@dataclass
class DatabaseRun:
    label: str
    size: DatasetSize
    load_seconds: float
    rollup_seconds: float
    rows: dict[str, int]
    timings: dict[str, Timing]


def _create_funnel(engine: Engine) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        funnel_id = int(
            conn.execute(
                funnels.insert()
                .values(name=FUNNEL_NAME, created_at=now, updated_at=now)
                .returning(funnels.c.id)
            ).scalar_one()
        )
        conn.execute(
            funnel_steps.insert(),
            [
                {"funnel_id": funnel_id, "step_order": order, "name": name,
                 "matcher_type": kind, "matcher_value": value}
                for order, (name, kind, value) in enumerate(FUNNEL_STEPS)
            ],
        )  # fmt: skip
    return funnel_id


def load_postgres(engine: Engine, size: DatasetSize, seed: int) -> dict[str, int]:
    funnel_id = _create_funnel(engine)
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True
        # Messages may arrive before their conversation (tables are flushed independently).
        driver.execute("SET session_replication_role = replica")
        sink = PostgresSink(driver, COLUMNS)
        generate(size, seed, sink, funnel_id)
        counts = sink.close()
        driver.execute("SET session_replication_role = DEFAULT")
        driver.execute("VACUUM ANALYZE")
        driver.autocommit = False
    finally:
        raw.close()
    engine.dispose()
    return counts


def load_sqlite(engine: Engine, path: Path, size: DatasetSize, seed: int) -> dict[str, int]:
    import sqlite3

    funnel_id = _create_funnel(engine)
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        sink = SqliteSink(connection, COLUMNS)
        generate(size, seed, sink, funnel_id)
        counts = sink.close()
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return counts


def _context(engine: Engine, end: datetime) -> Context:
    with engine.connect() as conn:
        session_id = conn.execute(
            select(engagement_events.c.session_id)
            .where(engagement_events.c.occurred_at >= end - timedelta(days=1))
            .limit(1)
        ).scalar_one()
    return Context(
        period=Period(end - WINDOW, end),
        now=end,
        agent="agent-research",
        tool="github.search_items",
        session_id=session_id,
        funnel=FUNNEL_NAME,
    )


def _time(engine: Engine, work: Any, runs: int) -> Timing:
    samples = []
    with engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            work(conn)
            samples.append((time.perf_counter() - started) * 1000.0)
            conn.rollback()
    return Timing(statistics.median(samples), max(samples))


def time_reports(engine: Engine, runs: int, only: re.Pattern[str] | None) -> dict[str, Timing]:
    ctx = _context(engine, END)
    period = ctx.period
    timings: dict[str, Timing] = {}

    def baseline(conn: Any) -> int:
        r = request_events.c
        window = (r.occurred_at >= period.since, r.occurred_at < period.until)
        return int(conn.execute(select(func.count()).where(*window)).scalar_one())

    timings["baseline: count(*) request_events in window"] = _time(engine, baseline, runs)
    for name, case in CASES.items():
        if only is not None and not only.search(name):
            continue
        timings[name] = _time(engine, lambda conn, case=case: case(conn, ctx), runs)
        console.print(f"  {name}: {timings[name].median_ms:,.1f} ms", highlight=False)
    return timings


def _rebuild(engine: Engine) -> float:
    started = time.perf_counter()
    rebuild_rollups(engine, datetime.now(UTC))
    return time.perf_counter() - started


def run_postgres(size: DatasetSize, args: argparse.Namespace) -> DatabaseRun | None:
    if args.database_url and args.database_url.startswith("postgres"):
        engine = make_engine(args.database_url)
        rows = _row_counts(engine)
        rollup_seconds = _rebuild(engine) if args.rebuild else 0.0
        return DatabaseRun("PostgreSQL", size, 0.0, rollup_seconds, rows,
                           time_reports(engine, args.runs, args.only))  # fmt: skip
    with postgres_database(keep=args.keep) as url:
        if url is None:
            return None
        engine = make_engine(url)
        upgrade(engine)
        console.print(f"PostgreSQL: generating {size.sessions:,} sessions into {url} …")
        started = time.perf_counter()
        rows = load_postgres(engine, size, args.seed)
        load_seconds = time.perf_counter() - started
        console.print(f"  loaded in {load_seconds:,.0f} s; building rollups …")
        rollup_seconds = _rebuild(engine)
        timings = time_reports(engine, args.runs, args.only)
        engine.dispose()
        return DatabaseRun("PostgreSQL", size, load_seconds, rollup_seconds, rows, timings)


def run_sqlite(size: DatasetSize, args: argparse.Namespace) -> DatabaseRun:
    if args.database_url and args.database_url.startswith("sqlite"):
        engine = make_engine(args.database_url)
        rows = _row_counts(engine)
        rollup_seconds = _rebuild(engine) if args.rebuild else 0.0
        return DatabaseRun("SQLite", size, 0.0, rollup_seconds, rows,
                           time_reports(engine, args.runs, args.only))  # fmt: skip
    with _sqlite_file(args.keep) as path:
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        console.print(f"SQLite: generating {size.sessions:,} sessions into {path} …")
        started = time.perf_counter()
        rows = load_sqlite(engine, path, size, args.seed)
        load_seconds = time.perf_counter() - started
        engine = make_engine(f"sqlite:///{path}")
        console.print(f"  loaded in {load_seconds:,.0f} s; building rollups …")
        rollup_seconds = _rebuild(engine)
        timings = time_reports(engine, args.runs, args.only)
        engine.dispose()
        return DatabaseRun("SQLite", size, load_seconds, rollup_seconds, rows, timings)


@contextmanager
def postgres_database(keep: bool) -> Iterator[str | None]:
    """A scratch database on the test server (as ``bench_pipeline``), dropped unless kept."""
    name = f"spa_bench_reports_{secrets.token_hex(4)}"
    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        console.print(f"[yellow]PostgreSQL unreachable, skipping its rows: {exc}[/]")
        yield None
        return
    try:
        yield make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            console.print(f"kept PostgreSQL database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _sqlite_file(keep: bool) -> Iterator[Path]:
    directory = tempfile.mkdtemp(prefix="spa_bench_")
    path = Path(directory) / "reports.db"
    try:
        yield path
    finally:
        if keep:
            console.print(f"kept {path}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            Path(directory).rmdir()


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in COLUMNS
        }


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (2 cores)"


def _describe(run: DatabaseRun) -> str:
    rows = run.rows
    return (
        f"{run.label}: {rows.get('sessions', 0):,} sessions, "
        f"{rows.get('request_events', 0):,} request events, "
        f"{rows.get('ai_requests', 0):,} AI requests, "
        f"{rows.get('tool_executions', 0):,} tool executions"
        + (f"; generated and loaded in {run.load_seconds:,.0f} s" if run.load_seconds else "")
        + (f"; rollups rebuilt in {run.rollup_seconds:,.1f} s" if run.rollup_seconds else "")
    )


def render(runs: list[DatabaseRun], runs_per_report: int, load_before: str) -> None:
    sizes = "; ".join(f"{run.label} at {run.rows.get('sessions', 0):,} sessions" for run in runs)
    table = Table(
        title="Reports over the last 30 days of a 90-day dataset — median / max of "
        f"{runs_per_report} runs ({sizes})",
        caption="\n".join(_describe(run) for run in runs)
        + f"\nbefore: {load_before}; after: {_load_average()}",
    )
    table.add_column("report")
    for run in runs:
        table.add_column(f"{run.label} median", justify="right")
        table.add_column(f"{run.label} max", justify="right")
        table.add_column("× target", justify="right")
    table.add_column("target", justify="right")
    names = list(dict.fromkeys(name for run in runs for name in run.timings))
    for name in names:
        cells = [name]
        for run in runs:
            timing = run.timings.get(name)
            if timing is None:
                cells += ["–", "–", "–"]
                continue
            ratio = timing.median_ms / TARGET_MS
            mark = "" if ratio <= 1.0 or name.startswith("baseline") else " ✗"
            cells += [f"{timing.median_ms:,.1f} ms", f"{timing.max_ms:,.1f} ms",
                      f"{ratio:.2f}×{mark}"]  # fmt: skip
        cells.append("" if name.startswith("baseline") else "≤ 300 ms")
        table.add_row(*cells)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--sessions", type=int, help="sessions to generate (sets --scale)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 sessions")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each report")
    parser.add_argument("--sqlite", action="store_true", help="also time SQLite")
    parser.add_argument("--sqlite-scale", type=float, help="scale of the SQLite dataset")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--only", type=re.compile, help="time only reports matching this")
    parser.add_argument("--seed", type=int, default=6, help="seed of the generated dataset")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--database-url", help="time this existing benchmark database")
    parser.add_argument("--rebuild", action="store_true", help="with --database-url: rebuild "
                        "the rollups first")  # fmt: skip
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    scale = args.sessions / 1_000_000 if args.sessions else args.scale
    if scale <= 0:
        parser.error("--scale (or --sessions) must be positive")
    load_before = _load_average()
    results = []
    use_sqlite_only = args.no_postgres or (
        args.database_url is not None and args.database_url.startswith("sqlite")
    )
    if not use_sqlite_only:
        found = run_postgres(DatasetSize.scaled(scale), args)
        if found is not None:
            results.append(found)
    if args.sqlite or use_sqlite_only:
        results.append(run_sqlite(DatasetSize.scaled(args.sqlite_scale or scale), args))
    render(results, args.runs, load_before)


if __name__ == "__main__":
    main()
