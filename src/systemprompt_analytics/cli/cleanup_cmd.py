"""``sp-analytics cleanup``: end idle sessions and set their durations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import DatabaseUrlOption
from systemprompt_analytics.cli.render import console
from systemprompt_analytics.jobs.session_cleanup import SessionCleanupService


def cleanup_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count the sessions that would be ended.")
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """End idle sessions and set their durations.

    Sessions idle longer than the session timeout (or older than the cap) get ended_at = their
    last activity. Safe to run at any time, e.g. from cron.
    """
    settings = context.settings(database_url)
    engine = context.open_engine(settings)
    try:
        result = SessionCleanupService.from_settings(engine, settings).run(
            datetime.now(UTC), dry_run=dry_run
        )
    finally:
        engine.dispose()
    if result.dry_run:
        console.print(f"{result.ended:,} idle sessions would be ended (dry run; nothing changed).")
    else:
        console.print(f"Ended {result.ended:,} idle sessions.")
