"""Settings: environment, config file, precedence, validation errors and the generated secret."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from systemprompt_analytics.config import (
    load_or_create_secret,
    load_settings,
    setting_sources,
)
from systemprompt_analytics.errors import ConfigError
from systemprompt_analytics.ingest.writer import WriterConfig
from systemprompt_analytics.service import Analytics


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("SP_ANALYTICS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./analytics.db"
    assert settings.redis_url is None
    assert settings.session_timeout_minutes == 30
    assert settings.session_max_hours == 24
    assert settings.privacy_mode == "off"
    assert settings.trusted_proxies == []


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("SP_ANALYTICS_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1 ,::1")
    monkeypatch.setenv("SP_ANALYTICS_PRIVACY_MODE", "truncate")
    settings = load_settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "192.168.1.1/32", "::1/128"]
    assert settings.privacy_mode == "truncate"


def test_file_then_env_then_override_precedence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "sp-analytics.toml"
    config.write_text('session_timeout_minutes = 45\nlog_level = "debug"\n')
    assert load_settings().session_timeout_minutes == 45  # found in the working directory
    monkeypatch.setenv("SP_ANALYTICS_SESSION_TIMEOUT_MINUTES", "20")
    settings = load_settings()
    assert settings.session_timeout_minutes == 20  # env beats file
    assert settings.log_level == "debug"  # file beats default
    assert load_settings(database_url="sqlite:///x.db").database_url == "sqlite:///x.db"
    sources = setting_sources()
    assert sources["session_timeout_minutes"] == "env"
    assert sources["log_level"].startswith("file")
    assert sources["database_url"] == "default"


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("SP_ANALYTICS_SESSION_TIMEOUT_MINUTES", "abc", "an integer from 1 to 1440"),
        ("SP_ANALYTICS_SESSION_TIMEOUT_MINUTES", "0", "an integer from 1 to 1440"),
        ("SP_ANALYTICS_PRIVACY_MODE", "maybe", "off, truncate or drop"),
        ("SP_ANALYTICS_DATABASE_URL", "mysql://x", "sqlite:///PATH"),
        ("SP_ANALYTICS_REDIS_URL", "http://x", "redis://"),
        ("SP_ANALYTICS_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip", "comma-separated"),
        ("SP_ANALYTICS_GEOIP_DB", "/nonexistent.mmdb", ".mmdb"),
        ("SP_ANALYTICS_WRITER_FLUSH_INTERVAL_MS", "0.5", "from 10 to 60000 (milliseconds)"),
        ("SP_ANALYTICS_WRITER_BATCH_SIZE", "0", "an integer from 1 to 100000"),
        ("SP_ANALYTICS_WRITER_MAX_PENDING", "lots", "an integer from 1000 to 10000000"),
    ],
)
def test_invalid_values_name_the_setting_and_what_is_accepted(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, accepted: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.setting == variable
    assert accepted in str(caught.value)


WRITER_LIMITS = {
    "writer_flush_interval_ms": (10, 60_000),
    "writer_batch_size": (1, 100_000),
    "writer_max_pending": (1_000, 10_000_000),
}


@settings(max_examples=60)
@given(st.sampled_from(sorted(WRITER_LIMITS)), st.integers(-(10**9), 10**9))
@example("writer_flush_interval_ms", 10)
@example("writer_flush_interval_ms", 9)
@example("writer_batch_size", 100_000)
@example("writer_batch_size", 100_001)
@example("writer_max_pending", 1_000)
@example("writer_max_pending", 999)
def test_writer_settings_take_exactly_their_range(name: str, value: int) -> None:
    low, high = WRITER_LIMITS[name]
    variable = f"SP_ANALYTICS_{name.upper()}"
    with pytest.MonkeyPatch.context() as patch:  # one example's variable, not the next one's
        patch.setenv(variable, str(value))
        if low <= value <= high:
            assert getattr(load_settings(), name) == value
        else:
            with pytest.raises(ConfigError) as caught:
                load_settings()
            assert caught.value.setting == variable
            assert f"from {low} to {high}" in str(caught.value)


def test_the_writer_is_configured_from_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "writer.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "w.db"}"\n'
        "writer_flush_interval_ms = 40\nwriter_batch_size = 64\nwriter_max_pending = 5000\n"
    )
    analytics = Analytics(load_settings(config))
    try:
        assert analytics.writer.config == WriterConfig(
            flush_interval=0.04, batch_size=64, max_pending=5_000
        )
    finally:
        analytics.close()
    defaults = Analytics(load_settings(database_url=f"sqlite:///{tmp_path / 'd.db'}"))
    try:
        assert defaults.writer.config == WriterConfig()  # the settings' defaults are the writer's
    finally:
        defaults.close()


def test_unknown_and_malformed_config_files_are_errors(tmp_path: Path) -> None:
    bad_key = tmp_path / "a.toml"
    bad_key.write_text("databse_url = 'sqlite:///x'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(bad_key)
    bad_toml = tmp_path / "b.toml"
    bad_toml.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad_toml)
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.toml")


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = settings.resolve_secret_key()
    second = load_settings(data_dir=tmp_path / "data").resolve_secret_key()
    assert first == second
    assert len(first) >= 32
    mode = (tmp_path / "data" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_configured_secret_key_wins_and_is_not_written(tmp_path: Path) -> None:
    settings = load_settings(secret_key="s3cret-from-env", data_dir=tmp_path / "d")
    assert settings.resolve_secret_key() == "s3cret-from-env"
    assert not (tmp_path / "d").exists()


def test_concurrent_creation_returns_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "k"
    barrier = threading.Barrier(8)

    def create() -> str:
        barrier.wait()
        return load_or_create_secret(path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: create(), range(8)))
    assert len(set(results)) == 1
    assert results[0] == path.read_text().strip() != ""
    assert [p.name for p in tmp_path.iterdir()] == ["k"]  # no temporary files left


def test_unreadable_config_files_name_the_file_and_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory") as caught:
        load_settings(tmp_path)
    assert caught.value.setting == "SP_ANALYTICS_CONFIG"
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "missing.toml", config_source="--config")
    assert caught.value.setting == "--config"
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes("log_level = 'info' # café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8") as caught:
        load_settings(latin1)
    assert caught.value.setting == str(latin1)


def test_an_override_from_a_flag_is_named_as_the_flag() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(database_url="mysql://x", flags={"database_url": "--database-url"})
    assert caught.value.setting == "--database-url"
    with pytest.raises(ConfigError) as caught:
        load_settings(database_url="mysql://x")
    assert caught.value.setting == "SP_ANALYTICS_DATABASE_URL"


def test_a_data_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("not a directory")
    with pytest.raises(ConfigError, match="is not a directory") as caught:
        load_settings(data_dir=a_file).resolve_secret_key()
    assert caught.value.setting == "SP_ANALYTICS_DATA_DIR"
    secret_dir = tmp_path / "d"
    (secret_dir / "secret_key").mkdir(parents=True)  # the key's own path is a directory
    with pytest.raises(ConfigError, match="cannot keep the secret key"):
        load_settings(data_dir=secret_dir).resolve_secret_key()
