"""Options of the traffic and content reports: which sessions count, which page, and the
trend direction those reports show."""

from __future__ import annotations

from typing import Annotated

import typer

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.ingest.attribution import CHANNELS
from systemprompt_analytics.models.content import normalise_path
from systemprompt_analytics.reports.filters import SessionFilter, parse_channel, parse_source

IncludeBotsOption = Annotated[
    bool,
    typer.Option(
        "--include-bots",
        help="Count bot sessions too (default: human sessions only). Bounce rate and visit "
        "duration stay human-only.",
    ),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="Only sessions from this source host (e.g. google.com, news.ycombinator.com).",
        show_default=False,
    ),
]
ChannelOption = Annotated[
    str | None,
    typer.Option(
        "--channel",
        help=f"Only sessions of this channel: {', '.join(CHANNELS)}.",
        show_default=False,
    ),
]
PathOption = Annotated[
    str | None,
    typer.Option("--path", help="Only this page (a path such as /docs).", show_default=False),
]


def session_filter(include_bots: bool, source: str | None, channel: str | None) -> SessionFilter:
    return SessionFilter(
        include_bots=include_bots,
        source=None if source is None else parse_source(source),
        channel=None if channel is None else parse_channel(channel),
    )


def path_option(value: str | None, flag: str) -> str | None:
    """A page flag as a normalised path; InvalidInputError naming ``flag`` otherwise."""
    if value is None:
        return None
    try:
        return normalise_path(value)
    except ValueError as exc:
        raise InvalidInputError(flag, str(exc)) from None


def fmt_trend(direction: str | None) -> str:
    """Direction in words and arrows, not colour alone."""
    if direction == "up":
        return "[green]▲ up[/]"
    if direction == "down":
        return "[red]▼ down[/]"
    return "= flat" if direction == "flat" else "n/a"
