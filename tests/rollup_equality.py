"""Shared by the tests that compare rollup-backed reports with raw ones: the demo dataset's end
and windows, a report's JSON, the reports that differ, and the rollup tables' rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.schema import metadata

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 4
# Whole days (daily buckets), a ragged window (daily, hourly and raw rows), hours only.
WINDOWS = {
    "whole days": Period(datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
    "ragged": Period(END - timedelta(days=2, minutes=17), END - timedelta(minutes=13)),
    "hours": Period(END - timedelta(hours=30), END - timedelta(hours=3)),
}

Report = Callable[[Connection, Period, bool], Any]


def report_json(report: Any) -> str:
    found = report.to_dict() if hasattr(report, "to_dict") else report
    return json.dumps(found, default=str, sort_keys=True)


def differences(
    engine: Engine, reports: Mapping[str, Report], windows: Mapping[str, Period] = WINDOWS
) -> list[str]:
    """The reports and windows whose rollup-backed JSON differs from the raw one."""
    different = []
    with engine.connect() as conn:
        for window, period in windows.items():
            for name, report in reports.items():
                with_rollups = report_json(report(conn, period, True))
                if with_rollups != report_json(report(conn, period, False)):
                    different.append(f"{name} ({window})")
    return different


def rollup_rows(engine: Engine, rollups: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Every row of the hourly and daily tables of ``rollups`` (all rollups when None)."""
    if rollups is None:
        names = [
            table.name
            for table in metadata.sorted_tables
            if table.name.startswith("rollup_") and table.name.endswith(("_hourly", "_daily"))
        ]
    else:
        names = [f"rollup_{rollup}_{tier}" for rollup in rollups for tier in ("hourly", "daily")]
    with engine.connect() as conn:
        return {
            name: sorted(
                json.dumps([repr(value) for value in row], default=str)
                for row in conn.execute(select(metadata.tables[name]))
            )
            for name in names
        }
