"""``sp-analytics config``: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from rich.table import Table

from systemprompt_analytics.cli import context
from systemprompt_analytics.cli.options import JsonOption
from systemprompt_analytics.cli.render import console, print_json
from systemprompt_analytics.config import Settings, env_name, setting_sources

MASK = "********"


def _display(settings: Settings, name: str) -> Any:
    value = getattr(settings, name)
    if isinstance(value, SecretStr):
        return MASK
    if name == "secret_key" and value is None:
        return f"(generated, kept in {settings.data_dir / 'secret_key'})"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if name in {"database_url", "redis_url"} and isinstance(value, str):
        return _mask_url_password(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, host = rest.rpartition("@")
    if ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}{at}{host}"


def config_command(json_output: JsonOption = False) -> None:
    """Print the effective settings with secrets masked, and where each value came from."""
    current = context.settings()
    sources = setting_sources(*context.config_file())
    rows = [
        {
            "setting": name,
            "env": env_name(name),
            "value": _display(current, name),
            "source": sources[name],
        }
        for name in Settings.model_fields
    ]
    if json_output:
        print_json({row["setting"]: {k: row[k] for k in ("value", "source")} for row in rows})
        return
    table = Table(title="Effective settings", show_lines=False)
    table.add_column("Environment variable", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Source")
    for row in rows:
        value = "(not set)" if row["value"] is None else str(row["value"])
        table.add_row(row["env"], value, row["source"])
    console.print(table)
