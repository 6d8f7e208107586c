"""FunnelService on SQLite and PostgreSQL: live matching through a real Analytics and writer,
concurrent ingestion, rebuild == incremental, conversions, definitions and their cache."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.funnels.definition import Funnel, funnel_from_cli, parse_yaml
from systemprompt_analytics.funnels.matcher import Activity
from systemprompt_analytics.funnels.service import FunnelService
from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.ingest.writer import BatchWriter, WriterConfig
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.repositories.funnels import (
    claim_progress,
    lock_funnel,
    lock_progress,
)
from systemprompt_analytics.storage.schema import (
    client_events,
    funnel_progress,
    funnel_steps,
    funnels,
    request_events,
    sessions,
)

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
STEPS = ["Home=url_exact:/", "Pricing=url_prefix:/pricing", "Signup=event:signup"]
_event_ids = itertools.count(1)


def signup_funnel(mode: str = "ordered", unit: str = "session", window: str = "24h") -> Funnel:
    return funnel_from_cli("Signup", STEPS, mode=mode, unit=unit, window=window)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _session_activity(session: str, at: datetime, visitor: str | None) -> SessionActivity:
    return SessionActivity(session, at, at, attributes={"visitor_hash": visitor},
                           counters={"request_count": 1})  # fmt: skip


def request_row(session: str, at: datetime, path: str, kind: str = "page") -> dict[str, Any]:
    return {
        "occurred_at": at, "session_id": session, "method": "GET", "path": path,
        "status_code": 200, "latency_ms": 5.0, "kind": kind, "response_bytes": 100,
        "is_bot": False, "is_ai_crawler": False, "is_scanner": False,
    }  # fmt: skip


def client_row(
    session: str,
    at: datetime,
    event_type: str,
    *,
    name: str | None = None,
    path: str | None = "/",
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "client_event_id": f"ce-{next(_event_ids)}", "session_id": session, "occurred_at": at,
        "received_at": at, "event_type": event_type, "name": name, "path": path,
        "target_url": None, "properties": properties, "schema_version": 1,
    }  # fmt: skip


def submit(writer: BatchWriter, activity: Activity, visitor: str | None = None) -> None:
    """Store one activity as the pipeline / collector would: its row plus session activity."""
    row: dict[str, Any]
    if activity.kind == "page":
        table, row = (
            request_events,
            request_row(activity.session_id, activity.at, activity.path or "/"),
        )
    else:
        table = client_events
        row = client_row(activity.session_id, activity.at, "conversion", name=activity.name,
                         properties=dict(activity.properties or {}))  # fmt: skip
    assert writer.submit(_session_activity(activity.session_id, activity.at, visitor), table, row)


def page(seconds: float, path: str, session: str = "sess_a") -> Activity:
    return Activity(t(seconds), "page", session, path=path)


def signup(seconds: float, session: str = "sess_a", **properties: Any) -> Activity:
    return Activity(t(seconds), "event", session, name="signup", properties=properties or None)


def progress_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(funnel_progress).order_by(funnel_progress.c.unit_key)).all()
    return {
        row.unit_key: {
            key: value for key, value in row._mapping.items() if key not in ("id", "funnel_id")
        }
        for row in rows
    }


def converted(engine: Engine) -> dict[str, datetime | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(sessions.c.id, sessions.c.converted_at)).all())


def iso(*seconds: float) -> list[str]:
    return [t(value).isoformat() for value in seconds]


@pytest.fixture
def analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Analytics]:
    settings_ = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    instance = Analytics(settings_, engine=db_engine, writer_config=WriterConfig(batch_size=3))
    yield instance
    instance.close()


# --------------------------------------------------------------------------------------
# Live matching through the facade and its writer
# --------------------------------------------------------------------------------------
def test_live_ingest_matches_steps_and_marks_the_session_converted(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.funnels.create(signup_funnel())
    writer = analytics.start().writer
    # A page load is a server request and, a moment later, the tracker's page_view.
    submit(writer, page(0, "/"))
    assert writer.submit(
        _session_activity("sess_a", t(0.4), None), client_events,
        client_row("sess_a", t(0.4), "page_view", path="/"),
    )  # fmt: skip
    for activity in (page(5, "/docs"), page(9, "/pricing/compare"), page(12, "/pricing"),
                     page(30, "/", "sess_b"), page(31, "/pricing", "sess_c"),
                     signup(40), page(41, "/dashboard")):  # fmt: skip
        submit(writer, activity)
    assert analytics.flush()
    rows = progress_rows(db_engine)
    assert set(rows) == {"sess_a", "sess_b"}  # sess_c never entered step 1
    done = rows["sess_a"]
    assert done["step_timestamps"] == iso(0, 9, 40)
    assert (done["current_step"], done["session_id"], done["attempt_timestamps"]) == (
        2, "sess_a", None,
    )  # fmt: skip
    assert (done["started_at"], done["updated_at"], done["completed_at"]) == (t(0), t(40), t(40))
    assert rows["sess_b"]["current_step"] == 0 and rows["sess_b"]["completed_at"] is None
    assert converted(db_engine) == {"sess_a": t(40), "sess_b": None, "sess_c": None}


def test_a_visitor_funnel_spans_the_visitor_sessions(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.funnels.create(signup_funnel(unit="visitor"))
    writer = analytics.start().writer
    submit(writer, page(0, "/", "sess_1"), visitor="v1")
    submit(writer, page(600, "/pricing", "sess_2"), visitor="v1")
    submit(writer, page(601, "/", "sess_3"), visitor=None)  # no visitor hash: not counted
    assert analytics.flush()
    submit(writer, signup(900, "sess_2"), visitor="v1")
    assert analytics.flush()
    (row,) = progress_rows(db_engine).values()
    assert (row["unit_key"], row["session_id"], row["step_timestamps"]) == (
        "v1", "sess_2", iso(0, 600, 900),
    )  # fmt: skip
    assert converted(db_engine)["sess_2"] == t(900)
    assert converted(db_engine)["sess_1"] is None


def test_definitions_are_cached_between_batches(db_engine: Engine) -> None:
    clock = [0.0]
    service = FunnelService(db_engine, refresh_seconds=10, clock=lambda: clock[0])

    def write(activity: Activity) -> None:
        writer = BatchWriter(db_engine, listeners=[service.on_flush])
        submit(writer, activity)
        assert writer.close()

    write(page(0, "/", "sess_x"))  # loads the definitions: none
    FunnelService(db_engine).create(signup_funnel(), backfill=False)  # another process
    write(page(1, "/"))
    assert progress_rows(db_engine) == {}  # the cached "no funnels" still holds
    clock[0] = 10.0
    write(page(2, "/"))
    assert progress_rows(db_engine)["sess_a"]["step_timestamps"] == iso(2)
    assert service.failed_batches == 0


def test_a_changed_or_deleted_definition_is_seen_at_once(db_engine: Engine) -> None:
    live = FunnelService(db_engine, refresh_seconds=3600)
    admin = FunnelService(db_engine)
    admin.create(signup_funnel())
    assert live.ingest([page(0, "/")]) == 1  # loads and caches the definition
    changed = funnel_from_cli("Signup", ["Docs=url_prefix:/docs", "Home=url_exact:/"])
    (outcome,) = admin.apply([changed])
    assert outcome.action == "updated" and outcome.rebuilt is not None
    assert live.ingest([page(10, "/docs"), page(11, "/")]) == 1  # the new steps, not the cache
    assert progress_rows(db_engine)["sess_a"]["step_timestamps"] == iso(10, 11)
    admin.delete("Signup")
    assert live.ingest([page(20, "/docs")]) == 0
    assert progress_rows(db_engine) == {}


# --------------------------------------------------------------------------------------
# Concurrency: one row per funnel and unit, no lost update
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["ordered", "strict"])
@pytest.mark.parametrize("existing", [False, True], ids=["new-rows", "existing-rows"])
def test_concurrent_ingestion_by_two_engines_ends_with_one_correct_row(
    db_engine: Engine, database_url: str, mode: str, existing: bool
) -> None:
    """Threads on two engines (two processes, as far as the database can tell) ingest
    overlapping prefixes of every unit's path at once. Whatever order they commit in, the
    longest prefix wins, so each unit must end with exactly one, completed, row. With
    ``existing`` the units' rows are already stored, so only the row locks keep one
    transaction from overwriting another's progress (a lost update)."""
    other = make_engine(database_url)
    try:
        services = [FunnelService(db_engine), FunnelService(other)]
        services[0].create(signup_funnel(mode=mode))
        units = [f"sess_{index:02d}" for index in range(40)]
        path = [(0, "/"), (10, "/pricing")]

        def prefix(length: int) -> list[Activity]:
            found = []
            for unit in units:
                found += [page(seconds, where, unit) for seconds, where in path[:length]]
                if length == 3:
                    found.append(signup(20, unit))
            return found

        if existing:
            services[0].ingest(prefix(1))
        lengths = [2, 3] * 4 if existing else [1, 2, 3] * 2
        start = threading.Barrier(len(lengths))
        errors: list[BaseException] = []

        def work(service: FunnelService, length: int) -> None:
            try:
                start.wait()
                service.ingest(prefix(length))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(services[index % 2], length))
            for index, length in enumerate(lengths)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        rows = progress_rows(db_engine)
        assert sorted(rows) == units
        for row in rows.values():
            assert row["step_timestamps"] == iso(0, 10, 20), row
            assert row["completed_at"] == t(20)
        with db_engine.connect() as conn:
            count = conn.execute(select(funnel_progress.c.id)).all()
        assert len(count) == len(units)
    finally:
        other.dispose()


def _impatient(engine: Engine) -> Any:
    """A connection that gives up on a lock after 200 ms instead of waiting."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA busy_timeout=200")
    else:
        conn.exec_driver_sql("SET lock_timeout = '200ms'")
    conn.commit()
    return conn


@pytest.mark.parametrize("exclusive", [False, True], ids=["ingest", "rebuild"])
def test_a_unit_being_matched_is_locked_against_other_transactions(
    db_engine: Engine, database_url: str, exclusive: bool
) -> None:
    """While one transaction holds a unit's progress (ingestion), or the whole funnel (a
    rebuild or a change of definition), another cannot read that unit to update it."""
    service = FunnelService(db_engine)
    funnel_id = service.create(signup_funnel()).stored.id
    service.ingest([page(0, "/")])
    other = make_engine(database_url)
    try:
        with db_engine.begin() as first:
            assert lock_funnel(first, funnel_id, exclusive=exclusive) is not None
            claim_progress(first, funnel_id, ["sess_a"], t(0))
            assert set(lock_progress(first, funnel_id, ["sess_a"])) == {"sess_a"}
            second = _impatient(other)
            try:
                with pytest.raises(OperationalError), second.begin():
                    lock_funnel(second, funnel_id, exclusive=False)
                    claim_progress(second, funnel_id, ["sess_a"], t(0))
                    lock_progress(second, funnel_id, ["sess_a"])
            finally:
                second.close()
        # Released at commit: the other side gets through now.
        with other.begin() as conn:
            assert lock_funnel(conn, funnel_id, exclusive=False) is not None
            assert set(lock_progress(conn, funnel_id, ["sess_a"])) == {"sess_a"}
    finally:
        other.dispose()


def test_the_same_batch_twice_changes_nothing(db_engine: Engine) -> None:
    service = FunnelService(db_engine)
    service.create(signup_funnel(mode="strict"))
    batch = [page(0, "/"), page(0.4, "/"), page(3, "/pricing")]
    service.ingest(batch)
    first = progress_rows(db_engine)
    assert service.ingest(batch) == 0
    assert progress_rows(db_engine) == first


# --------------------------------------------------------------------------------------
# Rebuild == incremental
# --------------------------------------------------------------------------------------
_streams = st.lists(
    st.tuples(
        st.integers(0, 40) .map(lambda minutes: minutes * 60.0),
        st.sampled_from(["/", "/pricing", "/pricing/a", "/docs", "signup", "signup:pro", "other"]),
        st.sampled_from(["sess_1", "sess_2", "sess_3"]),
    ),
    max_size=25,
)  # fmt: skip
VISITORS = {"sess_1": "v1", "sess_2": "v1", "sess_3": "v2"}


def _activity(seconds: float, what: str, session: str) -> Activity:
    if what.startswith("/"):
        return page(seconds, what, session)
    if what == "other":
        return Activity(t(seconds), "event", session, name="copy_code")
    return signup(seconds, session, **({"plan": "pro"} if what == "signup:pro" else {}))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    stream=_streams,
    mode=st.sampled_from(["ordered", "strict"]),
    unit=st.sampled_from(["session", "visitor"]),
    window=st.sampled_from(["20m", "24h"]),
    batch_size=st.integers(1, 6),
)
def test_rebuild_equals_incremental_ingestion(
    db_engine: Engine, stream: list[Any], mode: str, unit: str, window: str, batch_size: int
) -> None:
    with db_engine.begin() as conn:
        clear_activity(conn)
    service = FunnelService(db_engine)
    steps = [*STEPS[:2], "Pro=event:signup[plan=pro]"]
    service.create(funnel_from_cli("F", steps, mode=mode, unit=unit, window=window))
    activities = sorted((_activity(*item) for item in stream), key=Activity.order_key)
    writer = BatchWriter(db_engine, WriterConfig(batch_size=batch_size),
                         listeners=[service.on_flush])  # fmt: skip
    for activity in activities:
        submit(writer, activity, VISITORS[activity.session_id])
    assert writer.close()
    assert service.failed_batches == 0
    incremental, conversions = progress_rows(db_engine), converted(db_engine)
    with db_engine.begin() as conn:
        conn.execute(update(sessions).values(converted_at=None))
    summary = service.rebuild("F")
    assert progress_rows(db_engine) == incremental
    assert converted(db_engine) == conversions
    assert summary.units == len(incremental)
    assert summary.completed == sum(1 for row in incremental.values() if row["completed_at"])


# --------------------------------------------------------------------------------------
# Conversions
# --------------------------------------------------------------------------------------
def test_completion_keeps_the_earliest_conversion_time(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.funnels.create(signup_funnel())
    analytics.mark_converted("sess_a", t(100))  # a configured conversion event, later
    writer = analytics.start().writer
    for activity in (page(0, "/"), page(1, "/pricing"), signup(2)):
        submit(writer, activity)
    assert analytics.flush()
    assert converted(db_engine)["sess_a"] == t(2)
    analytics.mark_converted("sess_b", t(1))
    for activity in (page(5, "/", "sess_b"), page(6, "/pricing", "sess_b"), signup(7, "sess_b")):
        submit(writer, activity)
    assert analytics.flush()
    assert converted(db_engine)["sess_b"] == t(1)


# --------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------
def test_create_backfills_from_history_and_names_are_unique(db_engine: Engine) -> None:
    writer = BatchWriter(db_engine)
    for activity in (page(0, "/"), page(1, "/pricing"), page(2, "/", "sess_b")):
        submit(writer, activity)
    assert writer.close()
    service = FunnelService(db_engine)
    outcome = service.create(signup_funnel())
    assert outcome.action == "created"
    assert outcome.rebuilt is not None and outcome.rebuilt.units == 2
    assert progress_rows(db_engine)["sess_a"]["step_timestamps"] == iso(0, 1)
    with pytest.raises(InvalidInputError) as excinfo:
        service.create(signup_funnel())
    assert excinfo.value.field == "NAME" and "already exists" in excinfo.value.problem
    lazy = funnel_from_cli("Later", STEPS)
    assert service.create(lazy, backfill=False).rebuilt is None
    assert len(progress_rows(db_engine)) == 2


def test_apply_creates_updates_and_leaves_identical_funnels(db_engine: Engine) -> None:
    service = FunnelService(db_engine)
    service.create(signup_funnel())
    service.ingest([page(0, "/"), page(1, "/pricing")])
    document = """
funnels:
  - name: Signup
    description: now described
    steps:
      - {name: Home, url_exact: /}
      - {name: Pricing, url_prefix: /pricing}
      - {name: Signup, event: signup}
  - name: Docs
    unit: visitor
    steps:
      - {name: Docs, url_prefix: /docs}
      - {name: Copy, event: copy_code}
"""
    parsed = parse_yaml(document, "f.yaml")
    outcomes = service.apply(parsed.funnels)
    assert [(o.stored.funnel.name, o.action, o.rebuilt) for o in outcomes] == [
        ("Signup", "updated", None),  # only the description changed: progress kept
        ("Docs", "created", outcomes[1].rebuilt),
    ]
    assert progress_rows(db_engine)["sess_a"]["current_step"] == 1
    assert [o.action for o in service.apply(parsed.funnels)] == ["unchanged", "unchanged"]
    listing = {item.stored.funnel.name: (item.units, item.completed)
               for item in service.list_funnels()}  # fmt: skip
    assert listing == {"Signup": (1, 0), "Docs": (0, 0)}
    assert service.get("Docs").funnel.unit.value == "visitor"


def test_delete_removes_steps_and_progress_and_unknown_names_are_errors(
    db_engine: Engine,
) -> None:
    service = FunnelService(db_engine)
    service.create(signup_funnel())
    service.ingest([page(0, "/")])
    service.delete("Signup")
    with db_engine.connect() as conn:
        for table in (funnels, funnel_steps, funnel_progress):
            assert conn.execute(select(table)).all() == []
    for call in (service.get, service.delete, service.rebuild):
        with pytest.raises(InvalidInputError) as excinfo:
            call("Signup")
        assert (excinfo.value.field, excinfo.value.problem) == ("NAME", "no funnel named 'Signup'")
