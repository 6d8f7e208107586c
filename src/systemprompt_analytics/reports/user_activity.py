"""Active users and visitors of several windows at once, exact, from the ``session_people``
rollup (storage/rollups/platform_specs.py).

**Active users** of a window are the distinct users of human sessions active in it: started
before its end and last active at or after its start (reports/definitions.py). Since a
session's last activity is never before its start, such a session either started in the
window or started before it and was still active at its start. So the active users are

- the users of the sessions *started* in the window: key sets, unioned over any window; and
- the users *carried over* at its start: sessions started up to the longest session length
  before it and last active at or after it. The rollup keeps, per start hour, how many hour
  boundaries its sessions last across (``hours_active``): an hourly bucket starting at ``B``
  with ``hours_active = N`` holds sessions last active in hour ``B + N h``, which tells
  whether they are still active at the window's start — except in the hour holding a ragged
  start, whose sessions are read raw (as are the hours not rolled up, or dirty).

**Visitors** of a window: the distinct visitor hashes of human sessions started in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.definitions import LONGEST_SESSION, human_session
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.rollups.state import HOUR, ceil_hour, floor_hour
from systemprompt_analytics.storage.rollups.values import key_of, unpack_keys
from systemprompt_analytics.storage.schema import sessions

ROLLUP = "session_people"
Range = tuple[datetime, datetime]


@dataclass(frozen=True)
class People:
    active_users: int
    visitors: int


def _within(column: Any, ranges: Iterable[Range]) -> ColumnElement[bool]:
    return or_(*(and_(column >= start, column < end) for start, end in ranges))


def _by_stretch(found: Mapping[tuple[Any, ...], set[int]]) -> dict[int, set[int]]:
    """Key sets of :meth:`RollupReader.distinct` (no keys, no ``when``) by stretch index."""
    return {group[0]: keys for group, keys in found.items()}


def carried_over(source: RollupReader, since: datetime) -> set[int]:
    """Users (keys) of the human sessions that started before ``since`` and were last
    active at or after it."""
    spec = source.spec(ROLLUP)
    plan = source.plan(ROLLUP, [since - LONGEST_SESSION, since], days=False)
    found: set[int] = set()
    raw: list[Range] = list(plan.raw)
    if plan.hourly:
        table = spec.hourly
        statement = select(table.c.bucket_at, table.c.hours_active, table.c.user_keys).where(
            _within(table.c.bucket_at, plan.hourly),
            table.c.hours_active > 0,  # the others ended in their start hour, before ``since``
            table.c.user_keys.is_not(None),
        )
        for bucket, hours, blob in source.conn.execute(statement):
            last_hour = bucket + hours * HOUR
            if last_hour >= ceil_hour(since):
                found.update(unpack_keys(blob))
            elif last_hour == floor_hour(since) != since:
                raw.append((bucket, bucket + HOUR))  # last active in the hour of ``since``
    if raw:
        s = sessions.c
        raw_users = select(s.user_id).where(
            _within(s.started_at, raw),
            human_session(),
            s.user_id.is_not(None),
            s.last_activity_at >= since,
        )
        found.update(key_of(user) for (user,) in source.conn.execute(raw_users))
    return found


def _union_sizes(
    sets: dict[int, set[int]],
    windows: Mapping[str, tuple[int, int]],
    extra: Mapping[str, set[int]] | None = None,
) -> dict[str, int]:
    """The size of each window's union of stretch sets (``windows``: first and last stretch
    index, inclusive), with the window's ``extra`` keys. Windows ending at the same stretch
    grow one union from the latest stretch back, so each set is added once per end; the set
    of a stretch that no other window needs is grown in place (``sets`` may change)."""
    sizes: dict[str, int] = {}
    by_end: dict[int, list[tuple[int, str]]] = {}
    users_of: dict[int, int] = {}
    for name, (first, last) in windows.items():
        by_end.setdefault(last, []).append((first, name))
        for index in range(first, last + 1):
            users_of[index] = users_of.get(index, 0) + 1
    for last, starts in by_end.items():
        own = users_of[last] == len(starts)
        union = sets.setdefault(last, set()) if own else set(sets.get(last, ()))
        added = last
        for first, name in sorted(starts, reverse=True):
            while added > first:
                added -= 1
                union |= sets.get(added, set())
            more = extra.get(name, set()) if extra else set()
            sizes[name] = len(union) + len(more - union)
    return sizes


def people_in(
    source: RollupReader, periods: Mapping[str, Period], *, visitors: bool = True
) -> dict[str, People]:
    """Active users and visitors (0 unless ``visitors``) of each named period."""
    boundaries: Sequence[datetime] = sorted(
        {period.since for period in periods.values()}
        | {period.until for period in periods.values()}
    )
    stretches = list(pairwise(boundaries))
    windows = {
        name: (
            min(i for i, (start, _) in enumerate(stretches) if start == period.since),
            max(i for i, (_, end) in enumerate(stretches) if end == period.until),
        )
        for name, period in periods.items()
        if period.since < period.until
    }
    users = _by_stretch(source.distinct(ROLLUP, "user_keys", boundaries))
    seen_by_stretch = (
        _by_stretch(source.distinct(ROLLUP, "visitor_keys", boundaries)) if visitors else {}
    )
    carried: dict[datetime, set[int]] = {}
    for name in windows:
        since = periods[name].since
        if since not in carried:
            carried[since] = carried_over(source, since)
    active = _union_sizes(users, windows, {name: carried[periods[name].since] for name in windows})
    seen = _union_sizes(seen_by_stretch, windows) if visitors else {}
    return {name: People(active.get(name, 0), seen.get(name, 0)) for name in periods}
