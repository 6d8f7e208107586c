"""The query parameters of the stats API, declared once: the CLI's flags under their names
(``--group-by`` is ``group_by``), with the same defaults at each endpoint and the same checks.

Values of the choice parameters (``group_by``, ``by``, ``sort``) are accepted in any case, as
the CLI accepts them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator

from systemprompt_analytics.cli.ai_options import BreakdownBy
from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.cli.traffic_reports_cmd import GeoBy
from systemprompt_analytics.ingest.attribution import CHANNELS
from systemprompt_analytics.models.period import ACCEPTED_FORMS
from systemprompt_analytics.reports.ai_figures import MAX_LIMIT
from systemprompt_analytics.reports.conversations import ConversationOrder
from systemprompt_analytics.reports.users import UserRanking


def _lowercase(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _printable(value: str | None) -> str | None:
    if value is not None and any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value


# For names and ids compared in SQL: PostgreSQL refuses a NUL in text, and no stored name
# holds a control character (a CLI argument cannot carry a NUL at all).
Printable = AfterValidator(_printable)


Since = Annotated[str, Query(description=f"Start of the period (inclusive): {ACCEPTED_FORMS}.")]
Until = Annotated[str, Query(description="End of the period (exclusive), same forms as since.")]
WideningSince = Annotated[
    str | None,
    Query(
        description=f"Start of the period (inclusive): {ACCEPTED_FORMS}. Without it: the last "
        "24 h, widened to the last 7 d and then 30 d while it holds no AI request (the "
        "response's window says which was used).",
    ),
]
OptionalUntil = Annotated[
    str | None,
    Query(description="End of the period (exclusive), same forms as since. Default: now."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Maximum number of rows to return.")]
Bucket = Annotated[
    GroupBy,
    BeforeValidator(_lowercase),
    Query(description="Trend bucket, in UTC: hour, day, week (ISO, from Monday) or month."),
]
AutoBucket = Annotated[
    GroupBy | None,
    BeforeValidator(_lowercase),
    Query(
        description="Trend bucket, in UTC: hour, day, week or month. Default: hour for "
        "windows up to 2 days, day up to 90 days, month beyond.",
    ),
]
IncludeBots = Annotated[
    bool,
    Query(
        description="Count bot sessions too (default: human sessions only). Bounce rate and "
        "visit duration stay human-only.",
    ),
]
IncludeSynthetic = Annotated[
    bool,
    Query(description="Also count synthetic (evaluation) AI requests, excluded by default."),
]
Source = Annotated[
    str | None,
    Query(description="Only sessions from this source host (e.g. google.com)."),
]
Channel = Annotated[
    str | None,
    Query(description=f"Only sessions of this channel: {', '.join(CHANNELS)}."),
]
PagePath = Annotated[str | None, Query(description="Only this page (a path such as /docs).")]
GeoBreakdown = Annotated[
    GeoBy,
    BeforeValidator(_lowercase),
    Query(description="country, region or city (within its country)."),
]
CostDimension = Annotated[
    BreakdownBy,
    BeforeValidator(_lowercase),
    Query(
        description="Group cost by model (with its provider), provider, agent or user; "
        "requests without an agent or user form the 'unattributed' row.",
    ),
]
UserOrder = Annotated[
    UserRanking,
    BeforeValidator(_lowercase),
    Query(description="Rank by AI requests or by AI cost."),
]
ConversationSort = Annotated[
    ConversationOrder,
    BeforeValidator(_lowercase),
    Query(description="recent (latest started first) or messages (longest first)."),
]
