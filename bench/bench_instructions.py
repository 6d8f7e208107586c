"""Instructions per request of the uvicorn benchmark apps, counted by valgrind's callgrind:

    .venv/bin/python -m bench.bench_instructions [--requests 1000]

Requests per second on a shared 2-core virtual machine move by ±10% from one run to the next
(other tenants, CPU steal); instruction counts do not. This runs the same apps as
``bench_pipeline`` (b) — the bare endpoint, and the endpoint with the middleware — under
callgrind, sends ``--requests`` keep-alive requests one after another after 300 warm-up
requests (instrumentation off until then, so start-up and the warm-up are not counted), and
prints each thread's instructions per request with ratios against the bare endpoint.

What it does not show: cache misses, and the time the request thread waits for the GIL while
the writer thread holds it. At callgrind's speed (about 1/50 of normal) each of the writer's
flushes carries far fewer requests than under real load, so its per-flush costs weigh more per
request than they would there; the request thread's figure is the one to compare.
Needs ``valgrind`` (Debian: ``apt-get install valgrind``); PostgreSQL is not used.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.bench_pipeline import CHROME, ROOT, _free_port
from bench.help_format import HelpFormat

console = Console()
# A session cookie as the tracked app sends it, for the bare endpoint's second row: the cost of
# parsing the header itself, which a client sends only because the middleware set it.
SAMPLE_COOKIE = (
    "sp_sid=v1.sess_0123456789abcdef0123456789abcdef.1764300000.1764300000.AAAAAAAAAAAAAAAAAAAAAA"
)


@contextlib.contextmanager
def callgrind_server(app: str, workdir: Path, env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """uvicorn serving ``app`` under callgrind; yields (pid, port). Output: workdir/cg.out*."""
    port = _free_port()
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
         f"--callgrind-out-file={workdir / 'cg.out'}", sys.executable, "-m", "uvicorn", app,
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"uvicorn {app} did not start under callgrind")
            time.sleep(0.5)
        yield process.pid, port
    finally:
        process.terminate()
        process.wait(timeout=600)


def _send(port: int, count: int, cookie: str | None) -> str | None:
    """``count`` requests on one keep-alive connection, following Set-Cookie like a browser."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for index in range(count):
        headers = {"User-Agent": CHROME, **({"Cookie": cookie} if cookie else {})}
        connection.request("GET", f"/page/{index % 32}", headers=headers)
        response = connection.getresponse()
        response.read()
        sent = response.getheader("set-cookie")
        if sent:
            cookie = sent.split(";", 1)[0]
    connection.close()
    return cookie


def _instructions(path: Path) -> int:
    with path.open() as lines:
        return max(
            (int(line.split()[1]) for line in lines if line.startswith(("totals:", "summary:"))),
            default=0,
        )


def measure(app: str, requests: int, cookie: str | None, env: dict[str, str]) -> list[int]:
    """Instructions per request of each thread that ran any (the request thread first)."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {"SP_ANALYTICS_DATA_DIR": tmp, **env}
        with callgrind_server(app, workdir, env) as (pid, port):
            cookie = _send(port, 300, cookie)
            time.sleep(1.0)
            subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True,
                           capture_output=True)  # fmt: skip
            _send(port, requests, cookie)
            time.sleep(1.5)  # the writer flushes what these requests queued
            subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True,
                           capture_output=True)  # fmt: skip
        counts = [_instructions(path) for path in sorted(workdir.glob("cg.out-*"))]
    return [count // requests for count in counts if count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument(
        "--requests", type=int, default=1_000, help="counted requests per app, after the warm-up"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        console.print("[red]valgrind is not installed (Debian: apt-get install valgrind)[/]")
        raise SystemExit(2)
    with tempfile.TemporaryDirectory() as tmp:
        tracked = {"SP_BENCH_DATABASE_URL": f"sqlite:///{Path(tmp) / 'b.db'}"}
        cases = [
            ("bare endpoint", "bench.apps:bare_app", None, {}),
            ("bare endpoint, client sends a session cookie", "bench.apps:bare_app",
             SAMPLE_COOKIE, {}),
            ("with middleware, SQLite, throttling off", "bench.apps:tracked_app", None,
             {**tracked, "SP_ANALYTICS_THROTTLE_ENABLED": "false"}),
            ("with middleware, SQLite", "bench.apps:tracked_app", None, tracked),
        ]  # fmt: skip
        table = Table(title=f"Instructions per request (callgrind, {args.requests:,} requests)")
        for column in ("case", "request thread", "ratio", "other threads", "all threads"):
            table.add_column(column, justify="left" if column == "case" else "right")
        bare = 0
        for label, app, cookie, env in cases:
            counts = measure(app, args.requests, cookie, env)
            main_thread, others = counts[0], sum(counts[1:])
            bare = bare or main_thread
            table.add_row(label, f"{main_thread:,}", f"{main_thread / bare:.2f}×",
                          f"{others:,}", f"{main_thread + others:,}")  # fmt: skip
    console.print(table)
    console.print(
        "ratio: request thread against the bare endpoint's. Other threads: the batching writer "
        "and the periodic jobs (their per-flush costs weigh more here than under real load)."
    )


if __name__ == "__main__":
    main()
