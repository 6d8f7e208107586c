"""``overview(concurrent=True)`` — the people sections read on a second connection while the
caller's reads the rest, as the CLI, stats API and dashboard ask — gives the same report as
reading everything on one connection, on both databases."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

from systemprompt_analytics.reports.overview import _can_share_load, overview
from tests.rollup_equality import WINDOWS, report_json
from tests.test_rollups_equal_raw import demo  # noqa: F401


def test_concurrent_overview_equals_the_one_connection_overview(
    demo: Engine,  # noqa: F811 - the shared demo fixture
) -> None:
    with demo.connect() as conn:
        assert _can_share_load(conn)
        for period in WINDOWS.values():
            for use_rollups in (True, False):
                alone = overview(conn, period, period.until, use_rollups=use_rollups)
                shared = overview(
                    conn, period, period.until, use_rollups=use_rollups, concurrent=True
                )
                assert report_json(shared) == report_json(alone)
                assert alone.sections["sessions"]["created"].current  # type: ignore[union-attr]


def test_an_in_memory_sqlite_database_is_read_on_the_callers_connection_only() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert not _can_share_load(conn)
    engine.dispose()
