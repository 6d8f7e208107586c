"""``sp-analytics serve``: collector, ingestion endpoints, stats API and dashboard in one app."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import SecretStr

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.demo_cmd import generate_with_progress
from systemprompt_analytics.cli.options import DatabaseUrlOption
from systemprompt_analytics.cli.render import err_console
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import has_activity
from systemprompt_analytics.storage.migrate import upgrade


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65_535, help="TCP port.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="On an empty database, generate demo data first (14 days, 20,000 sessions).",
        ),
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Serve the dashboard, collector, ingestion endpoints, stats API, /metrics and /healthz.

    The database is migrated on start. The dashboard at / asks for SP_ANALYTICS_API_TOKEN or
    SP_ANALYTICS_DASHBOARD_PASSWORD (with neither configured, a one-off password is printed).
    API endpoints need `Authorization: Bearer $SP_ANALYTICS_API_TOKEN`; the collector,
    tracker.js and /healthz are public.
    """
    import uvicorn  # imported here: only this command needs the server

    from systemprompt_analytics.service import Analytics
    from systemprompt_analytics.web.server import create_app

    current = context.settings(database_url)
    engine = make_engine(current.database_url)
    try:
        upgrade(engine)
        if demo:
            with engine.connect() as conn:
                empty = not has_activity(conn)
            if empty:
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                generate_with_progress(engine, 14, 20_000, 42, now)
            else:
                err_console.print("The database already holds data: --demo generates nothing.")
    finally:
        engine.dispose()
    password = None
    if current.api_token is None and current.dashboard_password is None:
        # Nothing to log in with: make a password for this run rather than serving an open
        # dashboard or one nobody can enter.
        password = secrets.token_urlsafe(12)
        current = current.model_copy(update={"dashboard_password": SecretStr(password)})
    app = create_app(Analytics(current, migrate=False))
    err_console.print(f"Dashboard: http://{host}:{port}/   API docs: http://{host}:{port}/docs")
    if password is not None:
        err_console.print(
            f"Log in with the one-off password [bold]{password}[/] (valid until this server "
            "stops; set SP_ANALYTICS_DASHBOARD_PASSWORD or SP_ANALYTICS_API_TOKEN to choose one)."
        )
    uvicorn.run(app, host=host, port=port, log_level=current.log_level, access_log=False)
