"""Options, formats and by-model CSV rows shared by the ``costs`` and ``requests`` commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import ACCEPTED_FORMS
from systemprompt_analytics.reports.ai_figures import MICRODOLLARS_PER_USD
from systemprompt_analytics.reports.requests_filter import RequestFilter, parse_filter_value

DefaultWindowSinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help=f"Start of the period (inclusive): {ACCEPTED_FORMS}. Without it: the last 24 h, "
        "widened to the last 7 d and then 30 d while it holds no AI request (the output says "
        "which window was used).",
        show_default=False,
    ),
]
OptionalUntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="End of the period (exclusive), same forms as --since. Default: now.",
        show_default=False,
    ),
]
IncludeSyntheticOption = Annotated[
    bool,
    typer.Option(
        "--include-synthetic",
        help="Also count synthetic (evaluation) AI requests, which are excluded by default.",
    ),
]
AutoGroupByOption = Annotated[
    GroupBy | None,
    typer.Option(
        "--group-by",
        help="Trend bucket, in UTC: hour, day, week (ISO, from Monday) or month. Default: hour "
        "for windows up to 2 days, day up to 90 days, month beyond.",
        case_sensitive=False,
        show_default=False,
    ),
]


class BreakdownBy(StrEnum):
    model = "model"
    provider = "provider"
    agent = "agent"
    user = "user"


ByOption = Annotated[
    BreakdownBy,
    typer.Option(
        "--by",
        help="Group cost by model (with its provider), provider, agent or user; requests "
        "without an agent or user form the 'unattributed' row.",
        case_sensitive=False,
    ),
]


def _filter_option(flag: str, what: str) -> Any:
    return typer.Option(
        flag, help=f"Only requests of this {what} (exact match).", show_default=False
    )


ProviderOption = Annotated[str | None, _filter_option("--provider", "provider (e.g. openai)")]
ModelOption = Annotated[str | None, _filter_option("--model", "model (e.g. gpt-4o)")]
StatusOption = Annotated[
    str | None, _filter_option("--status", "status (success, error, timeout, canceled)")
]
UserOption = Annotated[str | None, _filter_option("--user", "user id")]
SessionOption = Annotated[str | None, _filter_option("--session", "session id")]


def request_filter(
    include_synthetic: bool,
    *,
    provider: str | None = None,
    model: str | None = None,
    status: str | None = None,
    user: str | None = None,
    session: str | None = None,
) -> RequestFilter:
    """The filter the flags name; InvalidInputError naming the flag for a bad value."""

    def parsed(name: str, value: str | None, flag: str) -> str | None:
        return None if value is None else parse_filter_value(name, value, flag)

    return RequestFilter(
        include_synthetic=include_synthetic,
        provider=parsed("provider", provider, "--provider"),
        model=parsed("model", model, "--model"),
        status=parsed("status", status, "--status"),
        user_id=parsed("user_id", user, "--user"),
        session_id=parsed("session_id", session, "--session"),
    )


def fmt_money(microdollars: int | None) -> str:
    """USD from microdollars, with enough decimals for small amounts; an unknown cost (all
    requests unpriced) shows as 'unpriced', never as $0."""
    if microdollars is None:
        return "unpriced"
    usd = microdollars / MICRODOLLARS_PER_USD
    if microdollars == 0 or abs(usd) >= 1:
        return f"${usd:,.2f}"
    return f"${usd:,.4f}"


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def row_typed(
    rows: Sequence[Mapping[str, Any]], rest: Mapping[str, Any], total: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A by-model list as CSV rows: each model, the rest beyond the limit and the total, each
    marked in ``row_type``."""
    return [
        *({"row_type": "model", **row} for row in rows),
        {"row_type": "rest", **rest},
        {"row_type": "total", **total},
    ]
