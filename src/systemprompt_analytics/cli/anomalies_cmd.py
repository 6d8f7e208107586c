"""``sp-analytics anomalies …``: alerts, thresholds, an evaluation now, and backtests."""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Engine

from systemprompt_analytics.anomaly import api
from systemprompt_analytics.anomaly.backtest import OUTPUT_HEADER, backtest, parse_series
from systemprompt_analytics.anomaly.levels import AnomalyCheck, AnomalyLevel
from systemprompt_analytics.anomaly.registry import DEFAULT_DETECTOR, DETECTORS, make_detector
from systemprompt_analytics.anomaly.thresholds import (
    Threshold,
    parse_threshold_value,
    validate_metric_name,
)
from systemprompt_analytics.anomaly.wiring import anomaly_service
from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import (
    CsvOption,
    DatabaseUrlOption,
    JsonOption,
    LimitOption,
)
from systemprompt_analytics.cli.render import (
    console,
    err_console,
    print_json,
    session_label,
    write_csv,
)
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.storage.repositories.anomalies import (
    StoredAlert,
    list_alerts,
    list_thresholds,
)

T = TypeVar("T")

app = typer.Typer(
    help="Anomaly detection: alerts, thresholds, an evaluation now, backtests on a CSV series.",
    no_args_is_help=True,
)
thresholds_app = typer.Typer(
    help="The warning and critical thresholds per metric (listed without a subcommand)."
)
app.add_typer(thresholds_app, name="thresholds")

ALERT_COLUMNS = (
    "id",
    "metric",
    "subject",
    "level",
    "state",
    "value",
    "baseline",
    "detector",
    "started_at",
    "last_seen_at",
    "resolved_at",
    "message",
)
LEVEL_STYLE = {"critical": "bold red", "warning": "yellow", "normal": "green"}


def alerts_json(alerts: Iterable[StoredAlert]) -> dict[str, Any]:
    """What ``anomalies list --json`` prints (and the stats API serves)."""
    return {"alerts": [alert.to_dict() for alert in alerts]}


@app.command("list")
def list_command(
    active: Annotated[
        bool, typer.Option("--active", help="Only pending and firing alerts.")
    ] = False,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
    csv_file: CsvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Anomaly alerts, newest first: metric, subject, level, state, value, baseline."""
    found = alerts_json(
        context.read(database_url, lambda conn: list_alerts(conn, active_only=active, limit=limit))
    )
    rows = found["alerts"]
    if csv_file is not None:
        write_csv(csv_file, ALERT_COLUMNS, rows)
        err_console.print(f"Wrote {len(rows)} rows to {csv_file}")
    if json_output:
        print_json(found)
        return
    title = "Active anomaly alerts" if active else "Anomaly alerts"
    table = Table(title=f"{title} ({len(rows)})")
    for column in ("Id", "Metric", "Subject", "Level", "State", "Value", "Baseline", "Started",
                   "Resolved", "Message"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]), row["metric"], _short(row["subject"]), _level(row["level"]),
            row["state"], _number(row["value"]), _number(row["baseline"]),
            _minute(row["started_at"]), _minute(row["resolved_at"]), row["message"] or "",
        )  # fmt: skip
    console.print(table)


@thresholds_app.callback(invoke_without_command=True)
def thresholds_command(
    ctx: typer.Context,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List every metric's warning and critical thresholds."""
    if ctx.invoked_subcommand is not None:
        return
    thresholds = context.read(database_url, list_thresholds)
    rows = [_threshold_row(item) for item in thresholds]
    if json_output:
        print_json({"thresholds": rows})
        return
    table = Table(title=f"Anomaly thresholds ({len(rows)})")
    for column in ("Metric", "Warning", "Critical", "Description"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["metric"], f"{row['warning']:g}", f"{row['critical']:g}", row["description"] or ""
        )
    console.print(table)


@thresholds_app.command("set")
def set_command(
    name: Annotated[str, typer.Argument(help="Metric name, e.g. requests_per_minute.")],
    warn: Annotated[str, typer.Argument(metavar="WARN", help="Warning threshold (inclusive).")],
    crit: Annotated[str, typer.Argument(metavar="CRIT", help="Critical threshold (inclusive).")],
    description: Annotated[
        str | None, typer.Option("--description", help="What the metric measures.")
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create or change a metric's thresholds (warning must not be above critical)."""
    warning = parse_threshold_value("WARN", warn)
    critical = parse_threshold_value("CRIT", crit)
    threshold = Threshold(validate_metric_name(name), warning, critical, description)
    _with_engine(
        database_url,
        lambda engine: api.set_threshold(engine, name, warning, critical, description),
    )
    console.print(
        f"{threshold.metric_name}: warning at {threshold.warning:g}, "
        f"critical at {threshold.critical:g}."
    )


@thresholds_app.command("delete")
def delete_command(
    name: Annotated[str, typer.Argument(help="Metric name whose thresholds to delete.")],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Delete a metric's thresholds (its threshold checks stop)."""
    _with_engine(database_url, lambda engine: api.delete_threshold(engine, name))
    console.print(f"Deleted the thresholds of {name}.")


def _with_engine(database_url: str | None, work: Callable[[Engine], T]) -> T:
    engine = context.open_engine(context.settings(database_url))
    try:
        return work(engine)
    finally:
        engine.dispose()


@app.command("check")
def check_command(
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Also update alerts and deliver them, as the app's every-minute job does "
            "(for running from cron when no app runs the job).",
        ),
    ] = False,
    json_output: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Evaluate every metric once now (the last complete minute) and print the checks."""
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    try:
        service = anomaly_service(engine, settings)
        result = service.evaluate(record=record)
        for notifier in service.notifiers:
            flush = getattr(notifier, "flush", None)
            if flush is not None:
                flush()
    finally:
        engine.dispose()
    rows = [_check_row(check) for check in result.checks]
    if json_output:
        print_json(
            {
                "at": result.at.isoformat(),
                "skipped": result.skipped,
                "message": result.message,
                "checks": rows,
                "transitions": [
                    {
                        "transition": t.value,
                        "metric": s.metric,
                        "subject": s.subject,
                        "level": s.level.value,
                    }
                    for t, s in result.transitions
                ],
            }
        )
        return
    if result.skipped:
        err_console.print(f"[yellow]{result.message}[/]")
        return
    table = Table(title=f"Anomaly checks for the minute before {result.at:%Y-%m-%d %H:%M} UTC")
    for column in ("Metric", "Subject", "Detector", "Value", "Expected / limit", "Score", "Level",
                   "Message"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["metric"], _short(row["subject"]), row["detector"], _number(row["value"]),
            _number(row["baseline"]), f"{row['score']:.2f}", _level(row["level"]), row["message"],
        )  # fmt: skip
    console.print(table)
    for transition, state in result.transitions:
        console.print(f"{transition.value}: {state.metric} [{state.subject}] {state.message}")


@app.command("backtest")
def backtest_command(
    input_file: Annotated[
        Path,
        typer.Option(
            "--input",
            help="CSV with the header timestamp,value: ISO timestamps in time order, numbers.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    detector: Annotated[
        str,
        typer.Option(
            "--detector", help=f"Detector: {', '.join(DETECTORS)} (default {DEFAULT_DETECTOR})."
        ),
    ] = DEFAULT_DETECTOR,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write timestamp,value,score,level here (default: standard output).",
            dir_okay=False,
            writable=True,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score a CSV series row by row, each row only against the rows before it."""
    streaming = make_detector(detector)
    with input_file.open(encoding="utf-8", newline="") as handle:
        try:
            points = list(parse_series(handle, f"{input_file}"))
        except UnicodeDecodeError as exc:
            raise InvalidInputError("--input", f"{input_file} is not UTF-8 text: {exc}") from None
    started = time.perf_counter()
    scored = list(backtest(points, streaming))
    elapsed = time.perf_counter() - started
    if output is None:
        _write_scores(sys.stdout, scored)
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            _write_scores(handle, scored)
    levels = {level: sum(1 for item in scored if item.level is level) for level in AnomalyLevel}
    rate = len(scored) / elapsed if elapsed > 0 else float("inf")
    err_console.print(
        f"{len(scored)} rows scored by {detector} in {elapsed:.2f}s ({rate:,.0f} rows/s): "
        f"{levels[AnomalyLevel.WARNING]} warning, {levels[AnomalyLevel.CRITICAL]} critical"
        + (f"; wrote {output}" if output is not None else "")
    )


def _write_scores(handle: TextIO, scored: list[Any]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    writer.writerows(item.row() for item in scored)


def _threshold_row(item: Threshold) -> dict[str, Any]:
    return {
        "metric": item.metric_name,
        "warning": item.warning,
        "critical": item.critical,
        "description": item.description,
    }


def _check_row(check: AnomalyCheck) -> dict[str, Any]:
    return {
        "metric": check.metric,
        "subject": check.subject,
        "detector": check.detector,
        "value": check.value,
        "baseline": check.baseline,
        "score": check.score,
        "level": check.level.value,
        "message": check.message,
    }


def _level(level: str) -> str:
    return f"[{LEVEL_STYLE.get(level, '')}]{level}[/]"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.4g}"


def _minute(value: str | None) -> str:
    return "–" if value is None else value[:16].replace("T", " ")


def _short(subject: str) -> str:
    """Fingerprint subjects are long hashes: their first 12 characters; session ids their
    label (their first characters are the start time, shared by sessions of the same minute);
    addresses whole."""
    kind, _, ident = subject.partition(":")
    if kind == "fingerprint":
        return f"{kind}:{ident[:12]}"
    if kind == "session":
        return f"{kind}:{session_label(ident)}"
    return subject
