"""Output helpers shared by commands: Rich tables, JSON and CSV, and number formatting."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from systemprompt_analytics.errors import InvalidInputError

console = Console()
err_console = Console(stderr=True)


SESSION_LABEL_CHARACTERS = 8


def session_label(session_id: str) -> str:
    """A session id short enough for a table column that still tells sessions apart.

    Ids begin with their start time (``identity.new_session_id``), so sessions that started
    within the same minute share their first characters; their last ones are random. The full
    id is in ``--json`` and ``--csv``."""
    if len(session_id) <= len("sess_") + SESSION_LABEL_CHARACTERS:
        return session_id
    return f"…{session_id[-SESSION_LABEL_CHARACTERS:]}"


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows with a header row; returns the number of data rows written.

    Raises :class:`InvalidInputError` naming ``--csv`` when the file cannot be written."""
    count = 0
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: "" if row.get(key) is None else row[key] for key in columns})
                count += 1
    except OSError as exc:
        raise InvalidInputError("--csv", f"cannot write {path}: {exc.strerror or exc}") from None
    return count


def fmt_int(value: float | int | None) -> str:
    return "–" if value is None else f"{int(value):,}"


def fmt_float(value: float | int | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def fmt_usd(value: float | None) -> str:
    return "–" if value is None else f"${value:,.2f}"


def fmt_change(change: float | None, unit: str = "%") -> str:
    """Direction in words and arrows, not colour alone: '▲ 12.5%', '▼ 3.0 pts', '= 0%'."""
    if change is None:
        return "n/a"
    suffix = " pts" if unit == "pts" else "%"
    if change > 0:
        return f"[green]▲ {change:,.1f}{suffix}[/]"
    if change < 0:
        return f"[red]▼ {abs(change):,.1f}{suffix}[/]"
    return f"= 0{suffix}"


def comparison_cells(
    current: float | int | None,
    previous: float | int | None,
    change: float | None,
    is_rate: bool,
    formatter: Callable[[Any], str],
) -> tuple[str, str, str]:
    """Current, previous and change cells for a figure compared with the previous period."""
    return formatter(current), formatter(previous), fmt_change(change, "pts" if is_rate else "%")
