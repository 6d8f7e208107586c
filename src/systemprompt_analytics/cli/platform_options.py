"""Options of the platform reports (agents, tools, conversations, users, activity): the
synthetic-request switch, and the seconds format of their durations."""

from __future__ import annotations

from typing import Annotated

import typer

from systemprompt_analytics.cli.render import fmt_float

IncludeSyntheticOption = Annotated[
    bool,
    typer.Option(
        "--include-synthetic",
        help="Count synthetic (evaluation) AI requests too; they are left out by default.",
    ),
]


def fmt_seconds(milliseconds: float | int | None) -> str:
    """A duration in milliseconds shown in seconds."""
    return fmt_float(None if milliseconds is None else milliseconds / 1000.0)
