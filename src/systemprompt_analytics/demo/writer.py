"""Bulk inserts of a generated :class:`Dataset`.

Rows go in chunks of a few thousand through :func:`storage.bulk.bulk_append` (an
``executemany`` of a Core INSERT on SQLite, ``COPY`` on PostgreSQL, both through the
columns' type processors), several chunks per transaction, parents before children. If
writing fails, the partly written demo data is removed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from sqlalchemy import JSON, Connection, Engine, Table

from systemprompt_analytics.demo.records import Dataset, Row
from systemprompt_analytics.storage import schema
from systemprompt_analytics.storage.bulk import bulk_append
from systemprompt_analytics.storage.maintenance import clear_activity

CHUNK_ROWS = 5_000
CHUNKS_PER_TRANSACTION = 4
PHASE = "Writing rows"

# Parents before children (foreign keys); the funnel tables follow.
TABLE_ORDER: tuple[Table, ...] = (
    schema.users,
    schema.sessions,
    schema.request_events,
    schema.client_events,
    schema.engagement_events,
    schema.fingerprint_reputation,
    schema.conversations,
    schema.conversation_messages,
    schema.agent_tasks,
    schema.tool_executions,
    schema.ai_requests,
    schema.content_items,
    schema.anomaly_alerts,
)

Progress = Callable[[str, int, int], None]


class DatasetWriter:
    """Writes datasets (or batches of one) in table order; remembers the funnel's id so
    progress rows of later batches can refer to it."""

    def __init__(self, engine: Engine, progress: Progress | None = None, expected_rows: int = 0):
        self._engine = engine
        self._progress = progress
        self._expected = expected_rows
        self._funnel_id: int | None = None
        names = [table.name for table in TABLE_ORDER]
        names += [schema.funnels.name, schema.funnel_steps.name, schema.funnel_progress.name]
        self.counts: dict[str, int] = dict.fromkeys(names, 0)

    @property
    def written(self) -> int:
        return sum(self.counts.values())

    def write(self, data: Dataset) -> None:
        for table in TABLE_ORDER:
            self._write_table(table, data.rows.get(table.name, []))
        if data.funnel is not None:
            with self._engine.begin() as conn:
                result = conn.execute(schema.funnels.insert(), [data.funnel])
                key = result.inserted_primary_key
                if not key or key[0] is None:  # pragma: no cover - both dialects return it
                    raise RuntimeError("the database did not return the new funnel's id")
                self._funnel_id = int(key[0])
            self._advance(schema.funnels.name, 1)
            steps = [{**step, "funnel_id": self._funnel_id} for step in data.funnel_steps]
            self._write_table(schema.funnel_steps, steps)
        if data.funnel_progress:
            if self._funnel_id is None:
                raise RuntimeError("funnel progress written before its funnel")
            rows = [{**row, "funnel_id": self._funnel_id} for row in data.funnel_progress]
            self._write_table(schema.funnel_progress, rows)

    def finish(self) -> None:
        """Report writing as complete (the expected total was an estimate)."""
        if self._progress is not None:
            self._progress(PHASE, self.written, self.written)

    def _write_table(self, table: Table, rows: Sequence[Row]) -> None:
        for group in _batches(rows, CHUNK_ROWS * CHUNKS_PER_TRANSACTION):
            with self._engine.begin() as conn:
                for chunk in _batches(group, CHUNK_ROWS):
                    insert_rows(conn, table, chunk)
            self._advance(table.name, len(group))

    def _advance(self, table_name: str, rows: int) -> None:
        self.counts[table_name] = self.counts.get(table_name, 0) + rows
        if self._progress is not None:
            written = self.written
            self._progress(PHASE, written, max(self._expected, written))


def write_batches(
    engine: Engine,
    batches: Iterable[Dataset],
    progress: Progress | None = None,
    expected_rows: int = 0,
) -> dict[str, int]:
    """Write each batch as it comes; rows per table. On failure, delete what was written
    (the demo expects empty activity tables) and re-raise."""
    writer = DatasetWriter(engine, progress, expected_rows)
    try:
        for batch in batches:
            writer.write(batch)
    except BaseException:
        with engine.begin() as conn:
            clear_activity(conn)
        raise
    writer.finish()
    return writer.counts


def insert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Append ``rows`` to ``table``.

    A Python ``None`` in a JSON column would be stored as JSON ``null``; such keys are left
    out instead so the column is SQL NULL. Rows are grouped by the keys they keep, since one
    bulk append needs the same keys in every row.
    """
    if not rows:
        return
    json_columns = [column.name for column in table.columns if isinstance(column.type, JSON)]
    if not json_columns:
        bulk_append(conn, table, rows)
        return
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        nulls = [name for name in json_columns if name in row and row[name] is None]
        if nulls:
            row = {key: value for key, value in row.items() if key not in nulls}
        groups.setdefault(tuple(nulls), []).append(row)
    for group in groups.values():
        bulk_append(conn, table, group)


def _batches(rows: Sequence[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
