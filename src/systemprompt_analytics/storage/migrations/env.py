"""Alembic environment: runs on the connection that :mod:`systemprompt_analytics.storage.migrate`
passes in, so migrations get the same engine setup (WAL, foreign keys) as the app."""

from __future__ import annotations

from alembic import context

from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite can only ALTER TABLE by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
