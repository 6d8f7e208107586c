"""Which sessions a report counts: humans only or everyone, one source host, one channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.ingest.attribution import CHANNELS, classify_referrer
from systemprompt_analytics.reports.definitions import human_session
from systemprompt_analytics.storage.schema import sessions


def parse_channel(value: str) -> str:
    """A channel name as stored (``search``, ``social``, …); InvalidInputError otherwise."""
    channel = value.strip().lower()
    if channel not in CHANNELS:
        raise InvalidInputError("--channel", f"{value!r} is not one of {', '.join(CHANNELS)}")
    return channel


def parse_source(value: str) -> str:
    """A source host normalised as sessions store it (lower case, no ``www.``)."""
    text = value.strip()
    url = text if "//" in text else f"https://{text}"
    source = classify_referrer(url, frozenset()).source if text else None
    if source is None:
        raise InvalidInputError("--source", f"{value!r} is not a host name (e.g. google.com)")
    return source


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a traffic report counts. Bounce rate and visit duration are human
    metrics (DESIGN.md §6) and never include bots, whatever ``include_bots`` says."""

    include_bots: bool = False
    source: str | None = None
    channel: str | None = None

    def condition(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if not self.include_bots:
            parts.append(human_session())
        if self.source is not None:
            parts.append(sessions.c.referrer_source == self.source)
        if self.channel is not None:
            parts.append(sessions.c.channel == self.channel)
        return and_(true(), *parts)

    def to_dict(self) -> dict[str, Any]:
        return {"include_bots": self.include_bots, "source": self.source, "channel": self.channel}
