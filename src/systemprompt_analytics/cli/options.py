"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from systemprompt_analytics.models.period import ACCEPTED_FORMS

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database to use instead of SP_ANALYTICS_DATABASE_URL "
        "(sqlite:///PATH or postgresql://USER@HOST/DB).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str,
    typer.Option("--since", help=f"Start of the period (inclusive): {ACCEPTED_FORMS}."),
]
UntilOption = Annotated[
    str,
    typer.Option("--until", help="End of the period (exclusive), same forms as --since."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of tables.")
]
CsvOption = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        help="Also write the figures to this CSV file (with a header row).",
        dir_okay=False,
        writable=True,
        show_default=False,
    ),
]


class GroupBy(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


GroupByOption = Annotated[
    GroupBy,
    typer.Option(
        "--group-by",
        help="Trend bucket, in UTC: hour, day, week (ISO, from Monday) or month.",
        case_sensitive=False,
    ),
]
LimitOption = Annotated[
    int, typer.Option("--limit", min=1, max=10_000, help="Maximum number of rows to show.")
]
