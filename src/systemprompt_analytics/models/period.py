"""Report windows: parsing ``--since``/``--until`` values and the half-open period they make.

Accepted forms (all UTC): ``now``; a duration ago — ``30m``, ``24h``, ``7d``, ``2w``; a date
``YYYY-MM-DD`` (midnight UTC); an ISO 8601 date-time, with or without offset (``Z`` allowed;
a value without offset is taken as UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from systemprompt_analytics.errors import InvalidInputError

ACCEPTED_FORMS = (
    "a duration ago (30m, 24h, 7d, 2w), a date (2026-11-01), "
    "an ISO date-time (2026-11-01T08:00:00Z), or 'now'"
)

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Reports look back from --until (a previous period, windows of up to 30 days) and step
# through a period in buckets of up to a month: within these bounds that arithmetic cannot
# leave the range of datetime.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 1, 1, tzinfo=UTC)


def parse_duration(value: str) -> timedelta | None:
    """``30m``/``24h``/``7d``/``2w`` as a timedelta; None if ``value`` is not a duration."""
    match = _DURATION.match(value.strip().lower())
    if not match:
        return None
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


def parse_time(value: str, now: datetime, field: str = "time") -> datetime:
    """Parse one time flag into an aware UTC datetime, relative forms counting back from ``now``."""
    text = value.strip()
    if not text:
        raise InvalidInputError(field, f"empty value; expected {ACCEPTED_FORMS}")
    if text.lower() == "now":
        return now
    duration = parse_duration(text)
    if duration is not None:
        try:
            return now - duration
        except OverflowError:
            raise InvalidInputError(field, f"{value!r} reaches before year 1") from None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            field, f"cannot read {value!r}; expected {ACCEPTED_FORMS}"
        ) from None
    moment: datetime | None
    try:
        moment = (
            parsed.replace(tzinfo=UTC)
            if _DATE.match(text) or parsed.tzinfo is None
            else parsed.astimezone(UTC)
        )
    except OverflowError:  # an offset moving the moment past year 1 or 9999
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise InvalidInputError(
            field,
            f"{value!r} is outside the supported range "
            f"({EARLIEST.date().isoformat()} to {LATEST.date().isoformat()})",
        )
    return moment


@dataclass(frozen=True)
class Period:
    """A half-open window ``[since, until)`` in UTC."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("Period bounds must be timezone-aware")
        if self.since >= self.until:
            raise InvalidInputError(
                "--since",
                f"must be before --until (got {self.since.isoformat()} >= "
                f"{self.until.isoformat()})",
            )

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    @property
    def previous(self) -> Period:
        """The period of equal length that ends where this one starts."""
        return Period(self.since - self.length, self.since)

    def to_dict(self) -> dict[str, Any]:
        previous = self.previous
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "seconds": int(self.length.total_seconds()),
            "previous_since": previous.since.isoformat(),
            "previous_until": previous.until.isoformat(),
        }


def resolve_period(
    since: str | None, until: str | None, now: datetime, default_since: str = "24h"
) -> Period:
    """The period named by the ``--since``/``--until`` flags (defaults: ``24h`` ago until now)."""
    start = parse_time(since if since is not None else default_since, now, "--since")
    end = parse_time(until, now, "--until") if until is not None else now
    period = Period(start, end)
    try:
        period.previous  # noqa: B018 - reports compare with it: it must exist
    except OverflowError:
        raise InvalidInputError(
            "--since",
            "the period is too long: the previous period of equal length, which reports "
            "compare with, would start before year 1",
        ) from None
    return period
