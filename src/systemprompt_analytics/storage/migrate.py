"""Running the Alembic migrations that ship inside the package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(engine: Engine, action: str, target: str) -> MigrationResult:
    config = alembic_config(engine)
    before = current_revision(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if action == "upgrade":
            command.upgrade(config, target)
        else:
            command.downgrade(config, target)
    return MigrationResult(before=before, after=current_revision(engine))


def upgrade(engine: Engine, target: str = "head") -> MigrationResult:
    """Upgrade to ``target``; a no-op (``changed`` is False) when already there."""
    return _run(engine, "upgrade", target)


def downgrade(engine: Engine, target: str = "base") -> MigrationResult:
    return _run(engine, "downgrade", target)


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)
