"""Importing a 100,000-line combined log (issue 3): time, and the summary checked against the file.

    .venv/bin/python -m bench.bench_import_log [--lines 100000]

The log is synthetic with known contents (tests/logsynth.py): clients in bursts, a quarter of
them bots of four categories, one malformed line in 997. Runs the real CLI (``import-log
--json``) into SQLite and PostgreSQL and compares every summary count with the truth.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tests.logsynth import combined_log

from bench.bench_pipeline import postgres_database
from bench.help_format import HelpFormat
from systemprompt_analytics.cli.app import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the generated log")
    args = parser.parse_args()
    log = combined_log(args.lines, seed=5)
    kinds = list(log.visitors.values())
    truth = {
        "lines": len(log.lines),
        "requests": log.requests,
        "malformed": log.malformed,
        "sessions": len(log.visitors),
        "human_sessions": kinds.count("human"),
    }
    table = Table(title=f"import-log, {len(log.lines):,}-line combined log")
    for column in ("database", "seconds", "lines/s", "summary matches the file"):
        table.add_column(column, justify="left" if column == "database" else "right")
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg_url:
        path = Path(tmp) / "access.log"
        path.write_text("\n".join(log.lines) + "\n")
        # The CLI keeps a generated secret key in its data directory: the scratch one, not the
        # user's (~/.local/share/systemprompt-analytics).
        os.environ["SP_ANALYTICS_DATA_DIR"] = str(Path(tmp) / "data")
        targets = [("SQLite", f"sqlite:///{tmp}/import.db")]
        if pg_url:
            targets.append(("PostgreSQL", pg_url))
        for name, url in targets:
            with contextlib.redirect_stdout(io.StringIO()):
                run(["migrate", "--database-url", url])
            out = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = run(["import-log", str(path), "--json", "--database-url", url])
            seconds = time.perf_counter() - started
            summary = json.loads(out.getvalue()) if code == 0 else {}
            mismatches = [key for key, value in truth.items() if summary.get(key) != value]
            by_category = summary.get("bot_sessions_by_category", {})
            for category in ("search", "ai_crawler", "scanner", "http_library"):
                if by_category.get(category, 0) != kinds.count(category):
                    mismatches.append(f"bots:{category}")
            verdict = "yes" if code == 0 and not mismatches else f"NO: {', '.join(mismatches)}"
            table.add_row(name, f"{seconds:.1f}", f"{len(log.lines) / seconds:,.0f}", verdict)
    Console().print(table)
    bots = {kind: kinds.count(kind) for kind in sorted(set(kinds)) if kind != "human"}
    Console().print(f"Expected: {truth}; bot sessions {bots}")


if __name__ == "__main__":
    main()
