"""``sp-analytics import-log``: replay an access log through the request pipeline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption, JsonOption
from systemprompt_analytics.cli.render import console, err_console, print_json
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.ingest.log_formats import LOG_FORMATS
from systemprompt_analytics.ingest.log_import import (
    ImportSummary,
    import_records,
    looks_binary,
    parse_lines,
    session_verdicts,
    split_log,
)
from systemprompt_analytics.service import Analytics


def import_log_command(
    file: Annotated[Path, typer.Argument(help="Access log to import ('-' for standard input).")],
    log_format: Annotated[
        str,
        typer.Option(
            "--format", help="combined (Apache/nginx default), common, or jsonl (JSON lines)."
        ),
    ] = "combined",
    session_field: Annotated[
        str | None,
        typer.Option(
            "--session-field",
            help="jsonl only: the key holding a session id; lines with the same value form one "
            "session. Without it, sessions come from cookie-less identity.",
            show_default=False,
        ),
    ] = None,
    verdicts_file: Annotated[
        Path | None,
        typer.Option(
            "--verdicts",
            help="Also write one JSON line per imported session with its bot verdicts "
            "(flags, behavioural score and signals, requests, page views).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import an Apache/nginx access log or JSON lines through the request pipeline.

    Lines are replayed in timestamp order, classified (bots, AI crawlers, scanners) and grouped
    into sessions. Malformed lines (including values that cannot be stored, and times before
    2000 or more than a day ahead) are counted and the first few reported with their line
    numbers; they never stop the import.
    """
    if log_format not in LOG_FORMATS:
        raise InvalidInputError("--format", f"{log_format!r}; accepted: {', '.join(LOG_FORMATS)}")
    if session_field is not None and log_format != "jsonl":
        raise InvalidInputError("--session-field", "only applies to --format jsonl")
    if verdicts_file is not None and not verdicts_file.parent.is_dir():
        raise InvalidInputError("--verdicts", f"no such directory: {verdicts_file.parent}")
    lines = _read_lines(file)
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    analytics = Analytics(settings, engine=engine)
    summary = ImportSummary()
    try:
        records = parse_lines(lines, log_format, session_field, summary)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=json_output,
        ) as bar:
            task = bar.add_task("Importing", total=len(records))
            import_records(
                analytics, records, summary, lambda _, done, total: bar.update(task, completed=done)
            )
        if verdicts_file is not None:
            _write_verdicts(verdicts_file, session_verdicts(analytics, summary))
    finally:
        analytics.close()
        engine.dispose()
    if json_output:
        print_json(summary.to_dict())
        return
    _print_summary(summary)


def _write_verdicts(path: Path, verdicts: list[dict[str, object]]) -> None:
    try:
        with path.open("w", encoding="utf-8") as handle:
            for verdict in verdicts:
                handle.write(json.dumps(verdict) + "\n")
    except OSError as exc:
        raise InvalidInputError("--verdicts", f"cannot write {path}: {exc.strerror}") from None
    err_console.print(f"Wrote {len(verdicts):,} session verdicts to {path}")


def _read_lines(file: Path) -> list[str]:
    """The file's (or standard input's) lines, read as bytes and decoded like any log."""
    try:
        data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise InvalidInputError("FILE", f"cannot read {file}: {exc.strerror}") from None
    if looks_binary(data):
        err_console.print(
            f"Warning: {file} looks compressed or binary, not a text log "
            "(decompress it first, e.g. zcat FILE | sp-analytics import-log -)",
            highlight=False,
        )
    return split_log(data)


def _print_summary(summary: ImportSummary) -> None:
    data = summary.to_dict()
    table = Table(title="Import summary", show_header=False)
    table.add_column("What")
    table.add_column("Count", justify="right")
    for label, key in (
        ("Lines read", "lines"),
        ("Requests imported", "requests"),
        ("Skipped (health checks)", "skipped"),
        ("Malformed lines", "malformed"),
        ("Rows refused by the database", "rejected"),
        ("Sessions", "sessions"),
        ("Human sessions", "human_sessions"),
    ):
        table.add_row(label, f"{data[key]:,}")
    for category, count in data["bot_sessions_by_category"].items():  # type: ignore[attr-defined]
        table.add_row(f"Bot sessions: {category}", f"{count:,}")
    console.print(table)
    for number, message in summary.malformed_examples:
        err_console.print(f"line {number}: {message}", highlight=False)
    if summary.malformed > len(summary.malformed_examples):
        err_console.print(f"… and {summary.malformed - len(summary.malformed_examples)} more")
