"""Recomputing stored AI request costs after a price update (``sp-analytics costs reprice``).

Every request in the window whose cost was not given by the host is priced again from its
stored token counts with the installed genai-prices data, by the same rule as at ingestion
(:func:`~systemprompt_analytics.platform.costing.computed_cost`). A changed cost is written
with its new price source and version, and the owning session's ``cost_microdollars``
counter moves by the difference (synthetic requests never counted there). Rows are read in
pages along ``(requested_at, id)`` and each page is written in its own transaction, so a
long run holds no lock for long and can be stopped and run again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, literal, select, tuple_, update

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.platform.costing import StoredCost, computed_cost
from systemprompt_analytics.pricing import PriceBook, TokenUsage
from systemprompt_analytics.storage.rollups import mark_written
from systemprompt_analytics.storage.schema import ai_requests, sessions
from systemprompt_analytics.storage.types import UTCDateTime

PAGE_SIZE = 1_000
MICRODOLLARS_PER_USD = 1_000_000

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(slots=True)
class RepriceSummary:
    examined: int = 0
    repriced: int = 0  # priced before and after, at a different cost
    newly_priced: int = 0  # unpriced before, priced now
    now_unpriced: int = 0  # priced before, unknown to the installed price data now
    still_unpriced: int = 0
    unchanged: int = 0  # same cost (its price version may be brought up to date)
    change_microdollars: int = 0
    dry_run: bool = False

    @property
    def change_usd(self) -> float:
        return self.change_microdollars / MICRODOLLARS_PER_USD

    def to_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "repriced": self.repriced,
            "newly_priced": self.newly_priced,
            "now_unpriced": self.now_unpriced,
            "still_unpriced": self.still_unpriced,
            "unchanged": self.unchanged,
            "change_microdollars": self.change_microdollars,
            "change_usd": self.change_usd,
            "dry_run": self.dry_run,
        }


def _repriceable(period: Period) -> Any:
    c = ai_requests.c
    return and_(
        c.requested_at >= period.since,
        c.requested_at < period.until,
        c.is_cost_explicit.is_(False),
    )


def count_repriceable(conn: Connection, period: Period) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(ai_requests).where(_repriceable(period))
        ).scalar_one()
    )


_COLUMNS = (
    ai_requests.c.id,
    ai_requests.c.requested_at,
    ai_requests.c.provider,
    ai_requests.c.model,
    ai_requests.c.response_model,
    ai_requests.c.input_tokens,
    ai_requests.c.output_tokens,
    ai_requests.c.cache_read_tokens,
    ai_requests.c.cache_write_tokens,
    ai_requests.c.reasoning_tokens,
    ai_requests.c.cost_microdollars,
    ai_requests.c.price_source,
    ai_requests.c.price_version,
    ai_requests.c.session_id,
    ai_requests.c.is_synthetic,
)


def _page(conn: Connection, period: Period, after: tuple[Any, str] | None) -> list[Any]:
    c = ai_requests.c
    statement = select(*_COLUMNS).where(_repriceable(period))
    if after is not None:
        last = tuple_(literal(after[0], UTCDateTime()), literal(after[1]))
        statement = statement.where(tuple_(c.requested_at, c.id) > last)
    statement = statement.order_by(c.requested_at, c.id).limit(PAGE_SIZE)
    return list(conn.execute(statement))


def _price_again(book: PriceBook, row: Any) -> StoredCost:
    usage = TokenUsage(
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cache_read_tokens=row.cache_read_tokens,
        cache_write_tokens=row.cache_write_tokens,
        reasoning_tokens=row.reasoning_tokens,
    )
    return computed_cost(book, row.provider, row.model, row.response_model, usage, row.requested_at)


def _tally(summary: RepriceSummary, row: Any, cost: StoredCost) -> bool:
    """Count the row's outcome; True when its stored cost columns change."""
    old, new = row.cost_microdollars, cost.cost_microdollars
    summary.examined += 1
    if old is None and new is None:
        summary.still_unpriced += 1
    elif old is None:
        summary.newly_priced += 1
    elif new is None:
        summary.now_unpriced += 1
    elif old != new:
        summary.repriced += 1
    else:
        summary.unchanged += 1
    summary.change_microdollars += (new or 0) - (old or 0)
    source = (row.price_source, row.price_version)
    return old != new or source != (cost.price_source, cost.price_version)


_UPDATE_REQUEST = (
    update(ai_requests)
    .where(ai_requests.c.id == bindparam("request_id"))
    .values(
        cost_microdollars=bindparam("cost"),
        is_priced=bindparam("priced"),
        price_source=bindparam("source"),
        price_version=bindparam("version"),
    )
)
_MOVE_SESSION_COST = (
    update(sessions)
    .where(sessions.c.id == bindparam("session_id"))
    .values(cost_microdollars=sessions.c.cost_microdollars + bindparam("delta"))
)


def _write(conn: Connection, changes: Sequence[tuple[Any, StoredCost]]) -> None:
    conn.execute(
        _UPDATE_REQUEST,
        [
            {
                "request_id": row.id,
                "cost": cost.cost_microdollars,
                "priced": cost.is_priced,
                "source": cost.price_source,
                "version": cost.price_version,
            }
            for row, cost in changes
        ],
    )
    deltas: dict[str, int] = defaultdict(int)
    for row, cost in changes:
        if row.session_id is not None and not row.is_synthetic:
            deltas[row.session_id] += (cost.cost_microdollars or 0) - (row.cost_microdollars or 0)
    moves = [{"session_id": sid, "delta": delta} for sid, delta in deltas.items() if delta]
    if moves:
        conn.execute(_MOVE_SESSION_COST, moves)
    # The hours of rolled-up cost figures that changed: reports read them raw until recomputed.
    mark_written(
        conn, ai_requests.name, (row.requested_at for row, _ in changes), datetime.now(UTC)
    )


def reprice(
    engine: Engine,
    period: Period,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    book: PriceBook | None = None,
) -> RepriceSummary:
    """Price the window's requests again; with ``dry_run`` only count what would change."""
    book = book or PriceBook()
    summary = RepriceSummary(dry_run=dry_run)
    with engine.connect() as conn:
        total = count_repriceable(conn, period)
    if progress is not None:
        progress(0, total)
    after: tuple[Any, str] | None = None
    while True:
        with engine.begin() as conn:
            rows = _page(conn, period, after)
            if not rows:
                break
            changes = []
            for row in rows:
                cost = _price_again(book, row)
                if _tally(summary, row, cost):
                    changes.append((row, cost))
            if changes and not dry_run:
                _write(conn, changes)
        after = (rows[-1].requested_at, rows[-1].id)
        if progress is not None:
            progress(summary.examined, total)
    return summary
