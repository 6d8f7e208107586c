"""``sp-analytics throttle status|reset``: inspect and clear progressive-throttle levels.

The state lives in Redis when ``SP_ANALYTICS_REDIS_URL`` is set (shared by every app instance);
with the default in-memory storage each app process keeps its own and this command, being a
separate process, cannot see it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import JsonOption
from systemprompt_analytics.cli.render import console, err_console, print_json
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.throttle.decision import split_key
from systemprompt_analytics.throttle.service import ThrottleService
from systemprompt_analytics.throttle.wiring import throttle_config

app = typer.Typer(help="Throttle levels of sessions, fingerprints and IPs.", no_args_is_help=True)

KeyArgument = Annotated[
    str, typer.Argument(help="A key like session:sess_…, fingerprint:<hash> or ip:203.0.113.7.")
]


def _service() -> ThrottleService:
    settings = context.settings()
    if not settings.redis_url:
        err_console.print(
            "[yellow]No SP_ANALYTICS_REDIS_URL: throttle state lives in each app process's "
            "memory, so this command sees only its own (empty) state.[/]"
        )
    return ThrottleService.from_config(throttle_config(settings))


def _key(key: str) -> str:
    try:
        split_key(key)
    except ValueError as exc:
        raise InvalidInputError("KEY", str(exc)) from None
    return key


@app.command("status")
def status_command(key: KeyArgument, json_output: JsonOption = False) -> None:
    """The throttle level of one key: level, since when, blocked until, offences."""
    service = _service()
    try:
        state = service.status(_key(key))
    finally:
        service.close()
    data = {
        "key": key,
        "level": state.level.label,
        "multiplier": state.level.multiplier,
        "since": state.since,
        "blocked_until": state.blocked_until,
        "offences": state.offences,
    }
    if json_output:
        print_json(data)
        return
    table = Table(title=f"Throttle status of {key}", show_header=False)
    for name, value in data.items():
        table.add_row(name, "–" if value is None else str(value))
    console.print(table)


@app.command("reset")
def reset_command(key: KeyArgument) -> None:
    """Put one key back to Normal and forget its offences."""
    service = _service()
    try:
        service.reset(_key(key))
    finally:
        service.close()
    console.print(f"{key} reset to normal.")
