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
from systemprompt_analytics.cli.options import JsonOption, LimitOption
from systemprompt_analytics.cli.render import console, err_console, print_json
from systemprompt_analytics.detection.throttle import ThrottleState
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.throttle.decision import split_key
from systemprompt_analytics.throttle.service import ThrottleService
from systemprompt_analytics.throttle.wiring import throttle_config

app = typer.Typer(help="Throttle levels of sessions, fingerprints and IPs.", no_args_is_help=True)

KeyArgument = Annotated[
    str, typer.Argument(help="A key like session:sess_…, fingerprint:HASH or ip:203.0.113.7.")
]
OptionalKeyArgument = Annotated[
    str | None,
    typer.Argument(
        help="A key like session:sess_…, fingerprint:HASH or ip:203.0.113.7; "
        "without one, every key that has a throttle state is listed.",
        show_default=False,
    ),
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


def _describe(key: str, state: ThrottleState) -> dict[str, object]:
    return {
        "key": key,
        "level": state.level.label,
        "multiplier": state.level.multiplier,
        "since": state.since,
        "blocked_until": state.blocked_until,
        "offences": state.offences,
    }


@app.command("status")
def status_command(
    key: OptionalKeyArgument = None,
    limit: LimitOption = 100,
    json_output: JsonOption = False,
) -> None:
    """The throttle level of one key (level, since when, blocked until, offences), or of every
    key that has a throttle state."""
    service = _service()
    try:
        if key is not None:
            rows = [_describe(key, service.status(_key(key)))]
        else:
            rows = [_describe(name, state) for name, state in service.tracked(limit).items()]
    finally:
        service.close()
    if json_output:
        print_json(rows[0] if key is not None else {"keys": rows})
        return
    table = Table(title="Throttle status" if key is None else f"Throttle status of {key}")
    for column in ("Key", "Level", "Multiplier", "Since", "Blocked until", "Offences"):
        table.add_column(column)
    for row in rows:
        table.add_row(*("–" if value is None else str(value) for value in row.values()))
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
