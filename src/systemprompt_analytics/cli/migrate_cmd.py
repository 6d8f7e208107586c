"""``sp-analytics migrate``: upgrade the database schema to the newest revision."""

from __future__ import annotations

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption
from systemprompt_analytics.cli.render import console
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade


def migrate_command(database_url: DatabaseUrlOption = None) -> None:
    """Upgrade the schema to head. Running it again when already there changes nothing."""
    current = context.settings(database_url)
    engine = make_engine(current.database_url)
    try:
        result = upgrade(engine)
    finally:
        engine.dispose()
    target = engine.url.render_as_string(hide_password=True)
    if result.changed:
        console.print(
            f"Migrated {target} from {result.before or 'an empty database'} to {result.after}."
        )
    else:
        console.print(f"{target} is already at {result.after}; nothing to do.")
