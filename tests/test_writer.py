"""The batching writer against the real databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.ingest.writer import BatchWriter, WriterConfig
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.schema import request_events, sessions
from tests.tcp_proxy import TcpProxy

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _event(session_id: str, at: datetime, status: int = 200) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "occurred_at": at,
        "method": "GET",
        "path": "/docs",
        "status_code": status,
        "latency_ms": 3.5,
        "kind": "page",
        "response_bytes": 1024,
        "is_bot": False,
        "is_ai_crawler": False,
        "is_scanner": False,
    }


def _request(writer: BatchWriter, session_id: str, at: datetime, first: bool = False) -> bool:
    activity = SessionActivity(
        session_id,
        started_at=at,
        at=at,
        attributes={"browser": "Firefox", "landing_page": "/docs"} if first else None,
        counters={"request_count": 1, "page_view_count": 1},
    )
    return writer.submit(activity, request_events, _event(session_id, at))


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(request_events)).scalar_one()
        total = conn.execute(select(func.sum(sessions.c.request_count))).scalar_one()
    return int(events), int(total or 0)


def test_counters_times_and_attributes_are_merged(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine, WriterConfig(batch_size=3)).start()
    for i in range(10):
        _request(writer, "sess_one", T0 + timedelta(seconds=i), first=(i == 4))
    assert writer.close()
    with db_engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == "sess_one")).one()._mapping
    assert row["request_count"] == 10 and row["page_view_count"] == 10
    assert row["started_at"] == T0
    assert row["last_activity_at"] == T0 + timedelta(seconds=9)
    assert (row["browser"], row["landing_page"]) == ("Firefox", "/docs")
    assert writer.stats.written_events == 10 and writer.stats.dropped == 0


def test_concurrent_producers_lose_nothing(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine, WriterConfig(batch_size=500, flush_interval=0.05)).start()

    def produce(worker: int) -> None:
        for i in range(1_000):
            _request(writer, f"sess_w{worker}_{i % 20}", T0 + timedelta(milliseconds=i))

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writer.close()
    assert _counts(db_engine) == (4_000, 4_000)


def test_two_writers_merge_the_same_session_commutatively(db_engine: Engine) -> None:
    first = BatchWriter(db_engine, WriterConfig(batch_size=7)).start()
    second = BatchWriter(db_engine, WriterConfig(batch_size=5)).start()
    for i in range(50):
        _request(first if i % 2 else second, "sess_shared", T0 + timedelta(seconds=i), first=i == 9)
    assert first.close() and second.close()
    with db_engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == "sess_shared")).one()._mapping
    assert row["request_count"] == 50
    assert row["started_at"] == T0 and row["last_activity_at"] == T0 + timedelta(seconds=49)
    assert row["browser"] == "Firefox"


def test_full_queue_drops_new_items_and_counts_them(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine, WriterConfig(max_pending=100))  # not started: nothing drains
    accepted = sum(_request(writer, "sess_q", T0) for _ in range(150))
    assert accepted == 100
    assert writer.stats.dropped == 50
    assert writer.close()  # writes inline what was accepted
    assert _counts(db_engine) == (100, 100)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgres_outage_loses_no_event(database_url: str, db_engine: Engine) -> None:
    """Cut the network to PostgreSQL mid-load for a few seconds; every event still lands."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    engine = make_engine(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        connect_args={"connect_timeout": 2},
    )
    writer = BatchWriter(
        engine, WriterConfig(batch_size=200, flush_interval=0.05, retry_max=0.5)
    ).start()
    try:
        for i in range(3_000):
            _request(writer, f"sess_out_{i % 50}", T0 + timedelta(milliseconds=i))
            if i == 1_000:
                proxy.cut()
            if i == 2_000:
                threading.Event().wait(3.0)  # the database stays unreachable for a while
                assert writer.stats.failed_flushes > 0
                proxy.restore()
        assert writer.close(timeout=60)
    finally:
        proxy.close()
        engine.dispose()
    assert writer.stats.dropped == 0
    assert _counts(db_engine) == (3_000, 3_000)


def _deferred_entry(payload: tuple[str, datetime]) -> Any:
    session_id, at = payload
    if session_id == "sess_broken":
        raise ValueError("a bug in an expander")
    activity = SessionActivity(session_id, at, at, counters={"request_count": 1})
    return activity, request_events, _event(session_id, at)


def test_deferred_items_are_built_on_the_writer_and_merge_with_plain_ones(
    db_engine: Engine,
) -> None:
    built_on: set[str] = set()

    def expand(payload: tuple[str, datetime]) -> Any:
        built_on.add(threading.current_thread().name)
        return _deferred_entry(payload)

    writer = BatchWriter(db_engine, WriterConfig(batch_size=4, flush_interval=0.01)).start()
    for i in range(10):
        at = T0 + timedelta(seconds=i)
        if i % 2:
            assert writer.submit_deferred(expand, ("sess_mixed", at))
        else:
            _request(writer, "sess_mixed", at)
    assert writer.close()
    assert built_on == {"sp-analytics-writer"}
    assert _counts(db_engine) == (10, 10)
    with db_engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == "sess_mixed")).one()._mapping
    assert row["last_activity_at"] == T0 + timedelta(seconds=9)


def test_a_failing_expander_drops_its_item_only(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine, WriterConfig(batch_size=100))  # one batch, written inline
    for i in range(5):
        name = "sess_broken" if i == 2 else "sess_fine"
        assert writer.submit_deferred(_deferred_entry, (name, T0 + timedelta(seconds=i)))
    assert writer.close()
    assert writer.stats.dropped == 1
    assert writer.pending == 0
    assert _counts(db_engine) == (4, 4)


def test_deferred_items_count_against_the_bound(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine, WriterConfig(max_pending=3))
    accepted = [writer.submit_deferred(_deferred_entry, ("sess_b", T0)) for _ in range(5)]
    assert accepted == [True, True, True, False, False]
    assert writer.stats.dropped == 2
    assert writer.close()
    assert _counts(db_engine) == (3, 3)


def test_a_value_the_database_refuses_costs_only_its_own_row(db_engine: Engine) -> None:
    """A lone surrogate (no encoding can store it) and an integer no column can hold: the
    batch is written in parts, only those two rows are left out (counted), nothing is retried
    forever and later batches are written as usual."""
    told: list[int] = []
    writer = BatchWriter(
        db_engine,
        WriterConfig(batch_size=50, flush_interval=0.01),
        listeners=[lambda batch: told.append(len(batch.rows.get(request_events, [])))],
    ).start()
    for i in range(20):
        at = T0 + timedelta(seconds=i)
        activity = SessionActivity(f"sess_v{i % 3}", at, at, counters={"request_count": 1})
        event = _event(f"sess_v{i % 3}", at)
        if i == 7:
            event["path"] = "/caf\udcff"
        if i == 11:
            event["status_code"] = 2**64
        assert writer.submit(activity, request_events, event)
    bad_session = SessionActivity("sess_bad", T0, T0, {"browser": "\ud800"}, {"request_count": 1})
    assert writer.submit(bad_session)
    assert writer.flush(timeout=30), "a refused value must not hold up the batch"
    for i in range(5):
        _request(writer, "sess_after", T0 + timedelta(minutes=1, seconds=i))
    assert writer.close(timeout=30)
    assert writer.stats.rejected == 3  # two event rows and one session row
    assert writer.stats.dropped == 0
    assert _counts(db_engine) == (18 + 5, 20 + 5)
    assert sum(told) == 18 + 5  # listeners hear of the rows that were stored, only
    with db_engine.connect() as conn:
        stored = set(conn.execute(select(sessions.c.id)).scalars())
        paths = set(conn.execute(select(request_events.c.path)).scalars())
    assert stored == {"sess_v0", "sess_v1", "sess_v2", "sess_after"}
    assert paths == {"/docs"}


def test_an_unreachable_database_is_not_taken_for_bad_data(db_engine: Engine) -> None:
    from systemprompt_analytics.ingest.write_errors import is_data_error

    dead = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 1}
    )
    try:
        with pytest.raises(Exception) as unreachable:
            dead.connect()
    finally:
        dead.dispose()
    assert not is_data_error(unreachable.value, dead)
    with pytest.raises(Exception) as refused, db_engine.begin() as conn:
        conn.execute(request_events.insert(), [{**_event("sess_x", T0), "status_code": 2**64}])
    assert is_data_error(refused.value, db_engine)


def test_a_connection_lost_while_writing_in_parts_writes_nothing_twice(db_engine: Engine) -> None:
    """The database refuses one session row, so the batch is written in parts; the connection
    then fails (injected at the first session statement after a part was committed) and the
    retry goes on where it stopped: every counter lands once, not twice."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    seen = {"commits": 0, "injected": 0}

    def count_commit(conn: Any) -> None:
        seen["commits"] += 1

    def fail_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "INSERT INTO sessions" in statement and seen["commits"] and not seen["injected"]:
            seen["injected"] += 1
            raise OperationalError(statement, None, ConnectionError("injected: link down"))

    event.listen(db_engine, "commit", count_commit)
    event.listen(db_engine, "before_cursor_execute", fail_once)
    try:
        writer = BatchWriter(
            db_engine, WriterConfig(batch_size=100, flush_interval=0.01, retry_initial=0.01)
        ).start()
        for i in range(12):
            at = T0 + timedelta(seconds=i)
            _request(writer, f"sess_p{i % 4}", at)
        writer.submit(SessionActivity("sess_bad", T0, T0, {"browser": "\ud800"}))
        assert writer.close(timeout=30)
    finally:
        event.remove(db_engine, "before_cursor_execute", fail_once)
        event.remove(db_engine, "commit", count_commit)
    assert seen["injected"] == 1
    assert writer.stats.failed_flushes == 1 and writer.stats.rejected == 1
    assert _counts(db_engine) == (12, 12)
    with db_engine.connect() as conn:
        per_session = dict(conn.execute(select(sessions.c.id, sessions.c.request_count)).all())
    assert per_session == {f"sess_p{i}": 3 for i in range(4)}


def test_a_systematic_refusal_is_counted_in_full_but_logged_briefly(
    db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    writer = BatchWriter(db_engine, WriterConfig(batch_size=100))  # one batch, written inline
    for i in range(20):
        writer.submit(table=request_events, row={**_event("sess_s", T0), "status_code": 2**64 + i})
    with caplog.at_level("ERROR", logger="systemprompt_analytics.ingest.writer"):
        assert writer.close()
    assert writer.stats.rejected == 20 and writer.stats.written_events == 0
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 6
    assert messages[-1] == "analytics writer: 15 more rows of the batch refused and left out"
