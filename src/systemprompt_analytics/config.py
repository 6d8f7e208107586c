"""Settings, read from ``SP_ANALYTICS_*`` environment variables and an optional TOML file.

Precedence, highest first: explicit overrides (CLI flags) > environment > config file > defaults.
The config file is ``$SP_ANALYTICS_CONFIG`` if set, else ``./sp-analytics.toml`` if it exists.
Keys in the file are the setting names in lower case without the prefix (``database_url = ...``).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import tomllib
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from systemprompt_analytics.errors import ConfigError

ENV_PREFIX = "SP_ANALYTICS_"
DEFAULT_CONFIG_FILE = Path("sp-analytics.toml")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret

PrivacyMode = Literal["off", "truncate", "drop"]
IPNetwork = IPv4Network | IPv6Network


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "systemprompt-analytics"


def _integer(default: int, low: int, high: int | None, description: str, unit: str = "") -> Any:
    """An integer setting's field, its accepted values worded from its bounds (for errors and
    ``sp-analytics config``), so the two cannot drift apart."""
    if high is None:
        accepted = f"an integer{f' number of {unit}' if unit else ''}, at least {low}"
    else:
        accepted = f"an integer from {low} to {high}" + (f" ({unit})" if unit else "")
    return Field(
        default=default,
        ge=low,
        le=high,
        description=description,
        json_schema_extra={"accepted": accepted},
    )


class Settings(BaseSettings):
    """Every setting of systemprompt-analytics. See docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
        case_sensitive=False,
    )

    database_url: str = Field(
        default="sqlite:///./analytics.db",
        description="Where analytics are stored",
        json_schema_extra={"accepted": "sqlite:///PATH or postgresql://USER@HOST:PORT/DB"},
    )
    redis_url: str | None = Field(
        default=None,
        description="Shared throttle and rate-limit state for several app instances",
        json_schema_extra={"accepted": "redis://HOST:PORT/DB, rediss://… or unix://PATH"},
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for signed cookies and fingerprint hashes; generated once if unset",
        json_schema_extra={"accepted": "a long random string"},
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the ingestion and stats API",
        json_schema_extra={"accepted": "a long random string"},
    )
    dashboard_password: SecretStr | None = Field(
        default=None,
        description="Password for the dashboard login, besides the API token",
        json_schema_extra={"accepted": "a long random string"},
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the generated secret key is kept",
        json_schema_extra={"accepted": "a directory path"},
    )
    geoip_db: Path | None = Field(
        default=None,
        description="MaxMind/DB-IP city or country database for geo lookups",
        json_schema_extra={"accepted": "path to an existing .mmdb file"},
    )
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For headers are believed",
        json_schema_extra={"accepted": "comma-separated IPs or CIDRs, e.g. 10.0.0.0/8,::1"},
    )
    session_timeout_minutes: int = _integer(
        30, 1, 24 * 60, "Idle minutes after which a session ends"
    )
    session_max_hours: int = _integer(24, 1, 24 * 7, "Hard cap on one session's length, in hours")
    writer_flush_interval_ms: int = _integer(
        250, 10, 60_000,
        "Longest time a queued session update or event waits before it is written",
        unit="milliseconds",
    )  # fmt: skip
    writer_batch_size: int = _integer(
        5_000, 1, 100_000,
        "Most items written in one transaction; a full batch is written at once",
    )  # fmt: skip
    writer_max_pending: int = _integer(
        200_000, 1_000, 10_000_000,
        "Most items held in memory (the database unreachable); beyond, new ones are dropped "
        "and counted",
    )  # fmt: skip
    privacy_mode: PrivacyMode = Field(
        default="off",
        description="off: store IPs; truncate: store /24 (IPv4) or /48 (IPv6); drop: store none",
        json_schema_extra={"accepted": "off, truncate or drop"},
    )
    throttle_enabled: bool = Field(
        default=True,
        description="Progressive throttling in the middleware (429 with Retry-After)",
        json_schema_extra={"accepted": "true or false"},
    )
    throttle_rate: str = Field(
        default="120/minute",
        description="Requests allowed per session, fingerprint and IP at the Normal level",
        json_schema_extra={"accepted": "N/second, N/minute or N/hour, e.g. 120/minute"},
    )
    throttle_shadow: bool = Field(
        default=False,
        description="Record throttle decisions without enforcing them",
        json_schema_extra={"accepted": "true or false"},
    )
    throttle_fail_open: bool = Field(
        default=True,
        description="Allow requests when Redis is unreachable (recorded); false refuses them",
        json_schema_extra={"accepted": "true or false"},
    )
    throttle_cooldown_seconds: int = _integer(
        600, 1, None, "Quiet time after which a throttled client steps down one level", "seconds"
    )
    throttle_block_seconds: int = _integer(
        300, 1, None, "First block's length; it doubles on each repeat offence", "seconds"
    )
    throttle_block_max_seconds: int = _integer(86_400, 1, None, "Longest block", "seconds")
    throttle_allow_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["/healthz"],
        description="Paths never throttled; a trailing * makes a prefix",
        json_schema_extra={"accepted": "comma-separated paths, e.g. /healthz,/static/*"},
    )
    throttle_allow_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Bot categories never throttled (e.g. search, monitoring)",
        json_schema_extra={"accepted": "comma-separated categories, e.g. search,monitoring"},
    )
    collector_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other sites whose pages may send tracker events (CORS); none = same origin",
        json_schema_extra={
            "accepted": "comma-separated origins, e.g. https://example.com,https://app.example.com"
        },
    )
    conversion_events: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["signup", "purchase"],
        description="Custom tracker events that mark their session converted",
        json_schema_extra={"accepted": "comma-separated event names, e.g. signup,purchase"},
    )
    anomaly_enabled: bool = Field(
        default=True,
        description="Evaluate the anomaly detectors every minute in the app",
        json_schema_extra={"accepted": "true or false"},
    )
    anomaly_webhook_url: str | None = Field(
        default=None,
        description="Where fired and resolved anomaly alerts are POSTed as JSON",
        json_schema_extra={"accepted": "an http:// or https:// URL"},
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="Log verbosity",
        json_schema_extra={"accepted": "debug, info, warning or error"},
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0].split("+", 1)[0].lower() if "://" in value else ""
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must be a sqlite:///PATH or postgresql://USER@HOST:PORT/DB URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return [ip_network(item, strict=False) for item in items]
            except ValueError as exc:
                raise ValueError(
                    f"must be comma-separated IP addresses or CIDRs (e.g. 10.0.0.0/8,::1): {exc}"
                ) from exc
        return value

    @field_validator("throttle_allow_paths", "throttle_allow_categories", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("collector_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [normalise_origin(item) if isinstance(item, str) else item for item in value]
        return value

    @field_validator("conversion_events", mode="before")
    @classmethod
    def _split_event_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and any(
            isinstance(name, str) and not 1 <= len(name) <= 128 for name in value
        ):
            raise ValueError("event names are 1 to 128 characters long")
        return value

    @field_validator("anomaly_webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        from systemprompt_analytics.anomaly.webhook import check_webhook_url

        return check_webhook_url(value) if value else None

    @field_validator("throttle_rate")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        from systemprompt_analytics.throttle.limiter import parse_rate

        try:
            parse_rate(value)
        except ValueError as exc:
            raise ValueError(f"not a rate: {exc}") from exc
        return value

    @field_validator("geoip_db")
    @classmethod
    def _check_geoip_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    def resolve_secret_key(self) -> str:
        """The configured secret key, or the one generated once and kept in ``data_dir``."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        try:
            return load_or_create_secret(self.data_dir / SECRET_KEY_FILE)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                env_name("data_dir"),
                f"{_secret_problem(self.data_dir, exc)}; accepted: "
                f"{accepted_values('data_dir')} (or set {env_name('secret_key')})",
            ) from None


def _secret_problem(data_dir: Path, exc: OSError | UnicodeDecodeError) -> str:
    if data_dir.exists() and not data_dir.is_dir():
        return f"{data_dir} is not a directory"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot keep the secret key in {data_dir / SECRET_KEY_FILE}: {reason}"


def load_or_create_secret(path: Path) -> str:
    """Read the secret kept at ``path``, creating it (mode 0600) if it does not exist yet.

    The key is written to a private temporary file and hard-linked into place, so the file
    appears atomically with its content: when several processes start at once, one wins and
    the others read what it wrote, never an empty file.
    """
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
    finally:
        Path(temporary).unlink(missing_ok=True)
    return key


def normalise_origin(value: str) -> str:
    """A web origin as browsers send it: ``scheme://host[:port]``, lower case, default port
    dropped. Raises ValueError for anything else (a path, a query, credentials, ...)."""
    text = value.strip().lower().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an origin: {exc}") from exc
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(
            f"{value!r} is not an origin; write scheme and host only, e.g. https://example.com"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == {"http": 80, "https": 443}[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def config_file_path() -> Path | None:
    """The config file in effect: ``$SP_ANALYTICS_CONFIG``, else ``./sp-analytics.toml``."""
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def read_config_file(path: Path, source: str | None = None) -> dict[str, Any]:
    """The settings in a TOML config file; ``source`` names where its path came from (a flag;
    default the environment variable), for errors about the path itself."""
    source = source or f"{ENV_PREFIX}CONFIG"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(source, f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise ConfigError(source, f"{path} is a directory, not a TOML file") from exc
    except OSError as exc:
        raise ConfigError(source, f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    known = set(Settings.model_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            str(path),
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
        )
    return data


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(
    config_file: Path | None = None,
    *,
    config_source: str | None = None,
    flags: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the effective settings, raising :class:`ConfigError` naming every bad value.

    ``config_source`` names where ``config_file`` came from (default ``SP_ANALYTICS_CONFIG``);
    ``flags`` maps an overridden setting to the CLI flag that gave it, so that an error about
    it names the flag rather than the environment variable.
    """
    path = config_file or config_file_path()
    file_values = read_config_file(path, config_source) if path else {}
    env_fields = {name for name in Settings.model_fields if env_name(name) in os.environ}
    # Environment beats the file: only pass file values the environment does not set.
    init_values = {k: v for k, v in file_values.items() if k not in env_fields}
    given = {k: v for k, v in overrides.items() if v is not None}
    init_values.update(given)
    try:
        return Settings(**init_values)
    except ValidationError as exc:
        named = {k: flag for k, flag in (flags or {}).items() if k in given}
        raise _config_error(exc, named) from None


def _config_error(exc: ValidationError, flags: Mapping[str, str]) -> ConfigError:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{flags.get(field) or env_name(field)}: {_accepted(field, message)}")
    first = problems[0].split(": ", 1)
    return ConfigError(first[0], "; ".join([first[1], *problems[1:]]))


def accepted_values(field: str) -> str | None:
    """What a setting accepts, in words (for errors and docs)."""
    info = Settings.model_fields.get(field)
    extra = info.json_schema_extra if info is not None else None
    if isinstance(extra, dict):
        value = extra.get("accepted")
        return str(value) if value is not None else None
    return None


def _accepted(field: str, message: str) -> str:
    hint = accepted_values(field)
    return f"{message}; accepted: {hint}" if hint else message


def setting_sources(
    config_file: Path | None = None, config_source: str | None = None
) -> dict[str, str]:
    """Where each setting's value comes from: ``env``, ``file`` or ``default``."""
    path = config_file or config_file_path()
    file_values = read_config_file(path, config_source) if path else {}
    sources = {}
    for name in Settings.model_fields:
        if env_name(name) in os.environ:
            sources[name] = "env"
        elif name in file_values:
            sources[name] = f"file ({path})"
        else:
            sources[name] = "default"
    return sources
