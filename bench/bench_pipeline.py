"""Request-pipeline benchmarks (issue 3). One command, one table, ratios against baselines:

    .venv/bin/python -m bench.bench_pipeline [--requests 20000] [--seconds 8] [--events 100000]
        [--rounds 5]

(a) pipeline cost per request — extract + classify + identify + enqueue — in µs, for a browser
    with a session cookie and a cached user agent, a cookie-less client, and an uncached
    (never seen) user agent; target ≤ 30 µs cached. In process, too: (b)'s bare app called
    directly (no server), and what the whole middleware adds to it (ASGI wrapper, pipeline,
    throttle, enqueue; no writer thread).
(b) requests/s of a trivial Starlette endpoint under uvicorn, bare and with the middleware,
    same aiohttp load generator, same run (3 s of warm-up load not counted; --rounds rounds, the
    cases interleaved in each; the ratio is the median of each round's ratio to that round's
    bare run); target ≥ 80% of bare. For comparison, the same pair for an endpoint that renders
    200 records as JSON (a small real answer; its ratio is to its own bare run).
    A bound is measured too: the middleware with its writer thread never started (requests
    are queued, nothing is written), i.e. what the request path alone keeps of the bare rate.
    And a calibration: a middleware that does nothing but arithmetic whose cost on its own is
    timed here: the share of the bare rate that so many µs of Python per request keep.
(c) batching-writer throughput (events/s) into SQLite and PostgreSQL; baseline: the same rows
    as plain multi-row INSERTs; target ≥ 20,000 events/s into PostgreSQL.

PostgreSQL: a scratch database is created at $SP_ANALYTICS_TEST_POSTGRES_URL's server and
dropped afterwards; skipped (and said so) if unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from bench.apps import ROUTES, bench_analytics, tracked
from bench.help_format import HelpFormat
from bench.spin import spin
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.detection.user_agents import load_detection_data
from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.ingest.pipeline import RequestFacts
from systemprompt_analytics.ingest.writer import BatchWriter, WriterConfig
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.migrate import current_revision, upgrade
from systemprompt_analytics.storage.schema import request_events, sessions

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = os.environ.get(
    "SP_ANALYTICS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
console = Console()
if not console.is_terminal:  # a log file: one line per table row
    console = Console(width=160)


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    name = f"spa_bench_{secrets.token_hex(4)}"
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
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- (a) pipeline cost ------------------------------------------------------------------------


def _facts(ua: str, cookie: str | None, ip: str) -> RequestFacts:
    headers = {
        "user-agent": ua,
        "accept": "text/html,application/xhtml+xml",
        "accept-language": "en-US,en;q=0.9",
        "referer": "https://www.google.com/",
    }
    if cookie:
        headers["cookie"] = f"theme=dark; {cookie}"
    return RequestFacts("GET", "/docs/getting-started", "utm_source=x", headers, ip)


def bench_pipeline_cost(requests: int, workdir: Path) -> list[tuple[str, float]]:
    settings = load_settings(database_url=f"sqlite:///{workdir / 'a.db'}", data_dir=workdir)
    analytics = Analytics(
        settings, migrate=True, writer_config=WriterConfig(max_pending=10 * requests)
    )
    pipeline = analytics.pipeline
    load_detection_data()

    def run(make: Any) -> float:
        timings = []
        for _ in range(3):
            batch = [make(i) for i in range(requests)]
            started = time.perf_counter()
            for facts in batch:
                context = pipeline.begin(facts)
                assert context is not None
                pipeline.finish(context, 200, 512, latency_ms=1.0)
            timings.append((time.perf_counter() - started) / requests * 1e6)
            analytics.writer._queue.clear()  # not measuring the database here
        return statistics.median(timings)

    first = pipeline.begin(_facts(CHROME, None, "203.0.113.7"))
    assert first is not None and first.set_cookie is not None
    cookie = first.set_cookie.split(";", 1)[0]
    results = [
        ("browser with cookie, cached UA", run(lambda i: _facts(CHROME, cookie, "203.0.113.7"))),
        ("cookie-less client, cached UA", run(lambda i: _facts(CHROME, None, "203.0.113.8"))),
        (
            "uncached UA (unique per request)",
            run(
                lambda i: _facts(
                    f"{CHROME} Build/{i}-{time.perf_counter_ns()}", None, "203.0.113.9"
                )
            ),
        ),
    ]
    analytics.writer._queue.clear()
    analytics.close()
    return results


def _scope(cookie: bytes | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", CHROME.encode()), (b"accept", b"*/*")]
    if cookie:
        headers.append((b"cookie", cookie))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/page/1", "raw_path": b"/page/1", "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip


@dataclass(frozen=True)
class InProcessCost:
    """µs per request, each the best of 5 interleaved repetitions (the least disturbed)."""

    bare_app: float  # (b)'s bare Starlette app, its ASGI call alone
    middleware: float  # what the whole middleware adds to that call
    spin: float  # the calibration middleware's arithmetic, on its own


def bench_in_process(requests: int, workdir: Path) -> InProcessCost:
    """(b)'s apps called directly (no server, no sockets), with a browser that sends its
    session cookie; throttling on, the writer thread not running (the request path alone, as
    (b)'s bound). The calibration's arithmetic is timed in the same repetitions, so that all
    three are measured at the same speed of a machine whose speed drifts."""
    settings = load_settings(database_url=f"sqlite:///{workdir / 'm.db'}", data_dir=workdir)
    analytics = bench_analytics(settings, writer_thread=False)
    writer = analytics.writer
    bare, tracked_app = Starlette(routes=ROUTES), tracked(analytics)
    cookie: list[bytes | None] = [None]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        for name, value in message.get("headers", ()):
            if name == b"set-cookie":
                cookie[0] = value.split(b";", 1)[0]

    async def per_request(app: Any) -> float:
        started = time.perf_counter()
        for _ in range(requests):
            await app(_scope(cookie[0]), receive, send)
        return (time.perf_counter() - started) / requests * 1e6

    def spin_per_call() -> float:
        started = time.perf_counter()
        for _ in range(requests):
            spin()
        return (time.perf_counter() - started) / requests * 1e6

    async def measure() -> InProcessCost:
        for _ in range(1_000):  # the session cookie, and warm caches
            await tracked_app(_scope(cookie[0]), receive, send)
        runs: dict[str, list[float]] = {"bare": [], "tracked": [], "spin": []}
        for _ in range(5):
            writer._queue.clear()
            runs["bare"].append(await per_request(bare))
            runs["tracked"].append(await per_request(tracked_app))
            runs["spin"].append(spin_per_call())
        best = {name: min(values) for name, values in runs.items()}
        return InProcessCost(best["bare"], best["tracked"] - best["bare"], best["spin"])

    try:
        return asyncio.run(measure())
    finally:
        writer._queue.clear()
        analytics.close()


# -- (b) uvicorn throughput --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def uvicorn_process(app: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A uvicorn server running ``app``: its base URL and process id."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
         "--no-access-log", "--no-proxy-headers", "--backlog", "4096"],
        cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"uvicorn {app} did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _cpu_seconds(pid: int, thread: int | None = None) -> float | None:
    """CPU time (user + system) of a process, or of one of its threads; None off Linux."""
    stat = Path(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int) -> tuple[float, float] | None:
    """(whole server process, its request thread) CPU seconds so far."""
    whole, main = _cpu_seconds(pid), _cpu_seconds(pid, pid)
    return None if whole is None or main is None else (whole, main)


async def _load(
    base: str,
    seconds: float,
    connections: int,
    path: str | None = None,
    pid: int | None = None,
    warmup: float = 3.0,
) -> tuple[float, tuple[float, float] | None]:
    """Requests per second from ``connections`` keep-alive clients hammering for ``seconds``,
    after ``warmup`` seconds of the same load (not counted): the server's one-off start-up
    work — the first anomaly evaluation's warm-up, the first scoring and rollup runs — is
    not what a long-running server pays per request."""
    done = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def worker(index: int) -> None:
            nonlocal done
            url = path or f"/page/{index}"
            jar_cookie: dict[str, str] = {}
            while time.perf_counter() < stop:
                async with session.get(
                    url, headers={"user-agent": CHROME, **jar_cookie}
                ) as response:
                    await response.read()
                    cookie = response.headers.get("set-cookie")
                    if cookie:
                        jar_cookie = {"cookie": cookie.split(";", 1)[0]}
                done += 1

        stop = time.perf_counter() + warmup
        await asyncio.gather(*(worker(i) for i in range(connections)))  # warm-up
        done = 0
        before = _server_cpu(pid) if pid is not None else None
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(*(worker(i) for i in range(connections)))
        rate = done / (time.perf_counter() - started)
        after = _server_cpu(pid) if pid is not None else None
        if before is None or after is None or not done:
            return rate, None
        # µs of server CPU per counted request: the whole process, and its request thread.
        return rate, ((after[0] - before[0]) / done * 1e6, (after[1] - before[1]) / done * 1e6)


# A bound rather than a configuration: the middleware with its writer thread never started.
WRITER_OFF = "bound: middleware, SQLite, writer thread not running"


def calibration_label(micros: float) -> str:
    return f"calibration: a middleware that only computes ({micros:.1f} µs on its own)"


@dataclass(frozen=True)
class ThroughputCase:
    label: str
    rate: float  # median requests/s over the rounds
    ratios: list[float]  # each round's rate over its baseline's rate in the same round
    server_cpu: float | None  # median µs of server CPU per request (None off Linux)
    request_thread_cpu: float | None  # ... of which on the request (event loop) thread


def _median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# (label, app, environment, path (None: /page/<n> per client), the label it is compared to)
ThroughputRun = tuple[str, str, dict[str, str], str | None, str]


def throughput_runs(
    workdir: Path, postgres_url: str | None, spin_cost: float = 0.0
) -> list[ThroughputRun]:
    """(b)'s cases, each run once per round (``spin_cost``: the calibration's µs, its label)."""
    sqlite_on = {"SP_BENCH_DATABASE_URL": f"sqlite:///{workdir / 'b.db'}"}
    runs: list[ThroughputRun] = [
        ("bare endpoint", "bench.apps:bare_app", {}, None, "bare endpoint"),
        ("with middleware, SQLite, throttling off", "bench.apps:tracked_app",
         {"SP_BENCH_DATABASE_URL": f"sqlite:///{workdir / 'b0.db'}",
          "SP_ANALYTICS_THROTTLE_ENABLED": "false"}, None, "bare endpoint"),
        ("with middleware, SQLite", "bench.apps:tracked_app", sqlite_on, None, "bare endpoint"),
        (WRITER_OFF, "bench.apps:tracked_app",
         {"SP_BENCH_DATABASE_URL": f"sqlite:///{workdir / 'b1.db'}", "SP_BENCH_WRITER_OFF": "1"},
         None, "bare endpoint"),
        (calibration_label(spin_cost), "bench.apps:spin_app", {}, None, "bare endpoint"),
    ]  # fmt: skip
    if postgres_url:
        runs.append(
            ("with middleware, PostgreSQL", "bench.apps:tracked_app",
             {"SP_BENCH_DATABASE_URL": postgres_url}, None, "bare endpoint")
        )  # fmt: skip
    json_bare = "JSON endpoint (200 records), bare"
    runs += [
        (json_bare, "bench.apps:bare_app", {}, "/api/items", json_bare),
        ("JSON endpoint, with middleware, SQLite", "bench.apps:tracked_app", sqlite_on,
         "/api/items", json_bare),
    ]  # fmt: skip
    return runs


def bench_throughput(
    seconds: float,
    workdir: Path,
    postgres_url: str | None,
    rounds: int,
    step: Callable[[str | None], None] = lambda label: None,
    spin_cost: float = 0.0,
) -> list[ThroughputCase]:
    """Each case's median requests/s over ``rounds`` rounds, and its ratios to the bare
    endpoint *of the same round*. The cases are interleaved in each round, and a ratio is taken
    within a round, so that a slow spell of the machine (which moves a whole round by ±10% on a
    shared 2-core machine) does not fall on one case alone nor on the comparison.
    ``step`` is told each run's label before it starts and None when it is over."""
    runs = throughput_runs(workdir, postgres_url, spin_cost)
    rates: dict[str, list[float]] = {label: [] for label, *_ in runs}
    cpu: dict[str, list[tuple[float, float]]] = {label: [] for label, *_ in runs}
    for round_number in range(1, rounds + 1):
        for label, app, env, path, _baseline in runs:
            step(f"(b) round {round_number}/{rounds}: {label}")
            if "SP_BENCH_DATABASE_URL" in env:
                _empty(env["SP_BENCH_DATABASE_URL"])
            env = {**env, "SP_ANALYTICS_DATA_DIR": str(workdir)}
            with uvicorn_process(app, env) as (base, pid):
                rate, used = asyncio.run(_load(base, seconds, 32, path, pid))
            step(None)
            rates[label].append(rate)
            if used is not None:
                cpu[label].append(used)
    return [
        ThroughputCase(
            label,
            statistics.median(rates[label]),
            [rate / base for rate, base in zip(rates[label], rates[baseline], strict=True)],
            _median_or_none([whole for whole, _ in cpu[label]]),
            _median_or_none([main for _, main in cpu[label]]),
        )
        for label, _app, _env, _path, baseline in runs
    ]


def _empty(url: str) -> None:
    """Every run starts from an empty database, so that every round measures the same thing.
    A server's background jobs (fingerprint reputation and the first anomaly evaluation run at
    start-up; bot scoring) work on what is stored, so on a database that kept earlier runs'
    data their work can spill into the measured seconds (seen: a jobs thread at 15–17 µs per
    request in two of three runs on a file holding earlier runs' data)."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        if current_revision(engine) is not None:
            with engine.begin() as conn:
                clear_activity(conn)
    finally:
        engine.dispose()


# -- (c) writer throughput ---------------------------------------------------------------------


def _events(count: int, burst: int) -> list[tuple[SessionActivity, dict[str, Any]]]:
    """Events where each session sends ``burst`` consecutive requests (a page load and its
    API calls) and then is not seen again for a long while; ``burst=1`` is the worst case for
    the writer: every event touches a different session."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for i in range(count):
        session_id = f"sess_{i // burst:032x}"
        at = start + timedelta(milliseconds=i)
        activity = SessionActivity(
            session_id, at, at, counters={"request_count": 1, "page_view_count": 1}
        )
        row = {
            "session_id": session_id, "occurred_at": at, "method": "GET",
            "path": f"/docs/{i % 60}", "status_code": 200, "latency_ms": 2.5, "kind": "page",
            "response_bytes": 2048, "is_bot": False, "is_ai_crawler": False, "is_scanner": False,
        }  # fmt: skip
        items.append((activity, row))
    return items


def bench_writer(url: str, events: int, burst: int) -> tuple[float, float]:
    """(batching writer events/s, plain multi-row INSERT events/s) on a fresh schema."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(request_events.delete())
        conn.execute(sessions.delete())
    items = _events(events, burst)
    writer = BatchWriter(engine, WriterConfig(batch_size=5_000, max_pending=events + 1)).start()
    started = time.perf_counter()
    for activity, row in items:
        writer.submit(activity, request_events, row)
    assert writer.close(timeout=600)
    writer_rate = events / (time.perf_counter() - started)
    with engine.begin() as conn:
        conn.execute(request_events.delete())
    rows = [row for _, row in items]
    started = time.perf_counter()
    with engine.begin() as conn:
        for offset in range(0, len(rows), 5_000):
            conn.execute(request_events.insert(), rows[offset : offset + 5_000])
    insert_rate = events / (time.perf_counter() - started)
    engine.dispose()
    return writer_rate, insert_rate


def _paired(ratios: list[float]) -> str:
    median = statistics.median(ratios)
    if len(ratios) < 2:
        return f"{median:.2f}×"
    return f"{median:.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument(
        "--requests", type=int, default=20_000, help="(a): requests per timed repetition"
    )
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="(b): seconds of counted load per uvicorn run"
    )
    parser.add_argument(
        "--events", type=int, default=100_000, help="(c): events written per database and shape"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="(b): uvicorn runs per case, interleaved; the ratio is the median of per-round ratios",
    )
    args = parser.parse_args()

    table = Table(title="Request pipeline benchmarks")
    for column in ("bench", "case", "result", "ratio", "target"):
        table.add_column(column, justify="right" if column in ("result", "ratio") else "left")
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg_url:
        workdir = Path(tmp)
        databases = [("SQLite", f"sqlite:///{workdir / 'c.db'}")]
        if pg_url:
            databases.append(("PostgreSQL", pg_url))
        # One step for (a), one per uvicorn run of (b), two writer runs per database for (c).
        steps = 1 + len(throughput_runs(workdir, pg_url)) * args.rounds + 2 * len(databases)
        with Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("(a) pipeline cost", total=steps)

            def step(label: str | None) -> None:
                if label is None:
                    progress.advance(task)
                else:
                    progress.update(task, description=label)

            costs = bench_pipeline_cost(args.requests, workdir)
            cached = costs[0][1]
            for label, micros in costs:
                table.add_row("(a) pipeline", label, f"{micros:.1f} µs", f"{micros / cached:.2f}×",
                              "≤ 30 µs cached" if label.endswith("cached UA") else "")  # fmt: skip
            in_process = bench_in_process(args.requests, workdir)
            bare_call = in_process.bare_app
            for label, micros in (
                ("(b)'s bare app, its ASGI call alone", bare_call),
                ("what the whole middleware adds (throttling on, no writer)",
                 in_process.middleware),
                ("calibration middleware's arithmetic", in_process.spin),
            ):  # fmt: skip
                table.add_row("(a) in process", label, f"{micros:.1f} µs",
                              f"{micros / bare_call:.2f}× bare app", "")  # fmt: skip
            progress.advance(task)
            spin_cost = in_process.spin
            cases = bench_throughput(args.seconds, workdir, pg_url, args.rounds, step, spin_cost)
            for case in cases:
                target = "≥ 0.80× bare" if case.label.startswith("with middleware") else ""
                result = f"{case.rate:,.0f} req/s"
                if case.server_cpu is not None and case.request_thread_cpu is not None:
                    result += f"\n{case.server_cpu:.0f} µs CPU ({case.request_thread_cpu:.0f})"
                table.add_row("(b) uvicorn", case.label, result, _paired(case.ratios), target)
            for name, url in databases:
                for burst, shape in ((4, "4 requests per session"), (1, "1 per session, worst")):
                    progress.update(task, description=f"(c) writer: {name}, {shape}")
                    writer_rate, insert_rate = bench_writer(url, args.events, burst)
                    progress.advance(task)
                    table.add_row("(c) writer", f"{name}, {shape}: batching writer",
                                  f"{writer_rate:,.0f} ev/s", f"{writer_rate / insert_rate:.2f}×",
                                  "≥ 20,000 ev/s" if name == "PostgreSQL" else "")  # fmt: skip
                table.add_row("(c) writer", f"{name}: plain INSERT of events (baseline)",
                              f"{insert_rate:,.0f} ev/s", "1.00×", "")  # fmt: skip
    console.print(table)
    console.print(
        "(a) ratio: against the cached-UA cookie case. (b) ratio: the median over rounds of "
        "the case's rate over the bare endpoint's rate in the same round (lowest–highest "
        "round in brackets; the JSON endpoint against the bare JSON endpoint); result: the "
        "median rate, and the server's median CPU time per request (its request thread's in "
        "brackets) where /proc tells it. The bound runs the middleware with requests queued "
        "but no writer thread taking them: what the request path alone keeps. The calibration "
        "runs a middleware that does nothing but arithmetic, timed on its own in this process: "
        "the share of the bare rate that so much Python per request keeps on this machine. "
        "(c) ratio: the writer (session merge + COPY/executemany) against plain INSERTs of the "
        "events alone."
    )


if __name__ == "__main__":
    main()
