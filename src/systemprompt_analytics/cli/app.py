"""The ``sp-analytics`` Typer app and its entry point, which turns our errors into exit codes.

Exit codes: 0 success; 1 the operation failed (e.g. the database is unreachable);
2 bad usage or input (a flag, setting or value that is not accepted), with a message naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DatabaseError, OperationalError
from typer.main import get_command

from systemprompt_analytics import __version__
from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.activity_cmd import app as activity_app
from systemprompt_analytics.cli.agents_cmd import app as agents_app
from systemprompt_analytics.cli.anomalies_cmd import app as anomalies_app
from systemprompt_analytics.cli.bots_cmd import app as bots_app
from systemprompt_analytics.cli.classify_ua_cmd import classify_ua_command
from systemprompt_analytics.cli.cleanup_cmd import cleanup_command
from systemprompt_analytics.cli.config_cmd import config_command
from systemprompt_analytics.cli.content_cmd import app as content_app
from systemprompt_analytics.cli.conversations_cmd import app as conversations_app
from systemprompt_analytics.cli.costs_cmd import app as costs_app
from systemprompt_analytics.cli.demo_cmd import demo_command
from systemprompt_analytics.cli.funnels_cmd import app as funnels_app
from systemprompt_analytics.cli.import_log_cmd import import_log_command
from systemprompt_analytics.cli.migrate_cmd import migrate_command
from systemprompt_analytics.cli.overview_cmd import overview_command
from systemprompt_analytics.cli.render import err_console
from systemprompt_analytics.cli.requests_cmd import app as requests_app
from systemprompt_analytics.cli.rollups_cmd import app as rollups_app
from systemprompt_analytics.cli.serve_cmd import serve_command
from systemprompt_analytics.cli.sessions_cmd import app as sessions_app
from systemprompt_analytics.cli.throttle_cmd import app as throttle_app
from systemprompt_analytics.cli.tools_cmd import app as tools_app
from systemprompt_analytics.cli.traffic_cmd import app as traffic_app
from systemprompt_analytics.cli.users_cmd import app as users_app
from systemprompt_analytics.errors import (
    AnalyticsError,
    ConfigError,
    DemoDataError,
    InvalidInputError,
)

EXIT_FAILURE = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="sp-analytics",
    help="First-party analytics and abuse defence for AI platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sp-analytics {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="SP_ANALYTICS_CONFIG",
            help="TOML config file (default: ./sp-analytics.toml if present).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    source = ctx.get_parameter_source("config")  # typer's own click: compare by name
    from_flag = source is not None and source.name == "COMMANDLINE"
    context.set_config_file(config, "--config" if from_flag else None)


app.command("config")(config_command)
app.command("migrate")(migrate_command)
app.command("demo")(demo_command)
app.command("overview")(overview_command)
app.command("cleanup")(cleanup_command)
app.command("classify-ua")(classify_ua_command)
app.command("import-log")(import_log_command)
app.command("serve")(serve_command)
app.add_typer(sessions_app, name="sessions")
app.add_typer(traffic_app, name="traffic")
app.add_typer(content_app, name="content")
app.add_typer(requests_app, name="requests")
app.add_typer(costs_app, name="costs")
app.add_typer(agents_app, name="agents")
app.add_typer(tools_app, name="tools")
app.add_typer(conversations_app, name="conversations")
app.add_typer(users_app, name="users")
app.add_typer(activity_app, name="activity")
app.add_typer(funnels_app, name="funnels")
app.add_typer(bots_app, name="bots")
app.add_typer(throttle_app, name="throttle")
app.add_typer(anomalies_app, name="anomalies")
app.add_typer(rollups_app, name="rollups")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (``main`` exits with it)."""
    try:
        # Standalone mode: Typer reports its own usage errors (exit 2) and exits via SystemExit.
        command = get_command(app)
        _hide_flag_types(command)
        command.main(args=argv, prog_name="sp-analytics")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else EXIT_FAILURE
    except ConfigError as exc:
        err_console.print(f"[bold red]Configuration error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except InvalidInputError as exc:
        err_console.print(
            f"[bold red]Invalid value for {exc.field}:[/] {exc.problem}", highlight=False
        )
        return EXIT_USAGE
    except DemoDataError as exc:
        err_console.print(f"[bold red]Refusing to write demo data:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except AnalyticsError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        return EXIT_FAILURE
    except OperationalError as exc:
        err_console.print(f"[bold red]Database error:[/] {_first_line(exc)}", highlight=False)
        return EXIT_FAILURE
    except DatabaseError as exc:
        if type(exc) is not DatabaseError:  # integrity, data, programming errors: our bugs
            raise
        # The driver's plain DatabaseError: the URL names something that is not a database
        # (e.g. SQLite's "file is not a database"), so it is bad input, not a failed operation.
        err_console.print(
            f"[bold red]Database error:[/] {_first_line(exc)}; check --database-url or "
            "SP_ANALYTICS_DATABASE_URL (it must name a database)",
            highlight=False,
        )
        return EXIT_USAGE
    return 0


def _hide_flag_types(command: Any) -> None:
    """No ``<bool>`` beside flags such as ``--json`` in ``--help`` (Typer shows every
    option's type; a flag takes no value, so there is none to show)."""
    for parameter in getattr(command, "params", ()):
        _no_type(parameter)
    help_option = command.get_help_option  # built on demand, per context
    command.get_help_option = lambda ctx: _no_type(help_option(ctx))
    for sub in getattr(command, "commands", {}).values():
        _hide_flag_types(sub)


def _no_type(parameter: Any) -> Any:
    if getattr(parameter, "is_flag", False) and parameter.metavar is None:
        parameter.metavar = ""
    return parameter


def _first_line(exc: DatabaseError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def main() -> None:
    sys.exit(run())
