"""What every command needs: the effective settings and a database engine at the right schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine

from systemprompt_analytics.config import Settings, load_settings
from systemprompt_analytics.errors import StorageError
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import current_revision, head_revision, upgrade

T = TypeVar("T")

# Set by the app callback from --config (or SP_ANALYTICS_CONFIG, which it names as its
# source); commands read it through settings().
_config_file: Path | None = None
_config_source: str | None = None


def set_config_file(path: Path | None, source: str | None = None) -> None:
    global _config_file, _config_source
    _config_file = path
    _config_source = source


def config_file() -> tuple[Path | None, str | None]:
    """The config file given to this run (None: the default lookup) and where it was named
    (``--config``; None for the environment variable or the default)."""
    return _config_file, _config_source


def settings(database_url: str | None = None) -> Settings:
    return load_settings(
        _config_file,
        config_source=_config_source,
        flags={"database_url": "--database-url"},
        database_url=database_url,
    )


def open_engine(current: Settings) -> Engine:
    """An engine for reading reports.

    A brand-new SQLite file is migrated on the spot (it is the embedded default and holds
    nothing yet); any other database below head is an error that says to run ``migrate``.
    """
    engine = make_engine(current.database_url)
    revision = current_revision(engine)
    head = head_revision(engine)
    if revision == head:
        return engine
    if revision is None and engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    engine.dispose()
    raise StorageError(
        f"the database schema is at {revision or 'nothing'}, not {head}: "
        "run `sp-analytics migrate` first"
    )


def read(database_url: str | None, work: Callable[[Connection], T]) -> T:
    """Run a read-only report on a connection of the configured (or given) database."""
    engine = open_engine(settings(database_url))
    try:
        with engine.connect() as conn:
            return work(conn)
    finally:
        engine.dispose()
