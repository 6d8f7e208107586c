"""Bad input to the CLI — output paths, config files, data directory, database file, demo
window — is a clear error naming what to fix, with exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from systemprompt_analytics.cli.app import run


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("target", ["missing-dir/x.csv", "a-file/x.csv"])
def test_an_unwritable_csv_path_names_the_flag(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    path = tmp_path / target
    assert run(["overview", "--csv", str(path)]) == 2
    err = _error(capsys)
    assert "--csv" in err and "cannot write" in err


@pytest.mark.parametrize("via_flag", [True, False])
def test_a_directory_as_config_file_names_where_it_came_from(
    via_flag: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if via_flag:
        argv = ["--config", str(tmp_path), "overview"]
    else:
        monkeypatch.setenv("SP_ANALYTICS_CONFIG", str(tmp_path))
        argv = ["overview"]
    assert run(argv) == 2
    err = _error(capsys)
    assert f"{'--config' if via_flag else 'SP_ANALYTICS_CONFIG'}: {tmp_path} is a directory" in err
    assert run([*argv[:-1], "config"]) == 2
    assert "is a directory" in _error(capsys)


def test_a_config_file_that_is_not_utf8_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe session_timeout_minutes = 5\n")
    assert run(["--config", str(path), "overview"]) == 2
    err = _error(capsys)
    assert str(path) in err and "not UTF-8" in err


def test_a_missing_config_file_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--config", str(tmp_path / "none.toml"), "overview"]) == 2
    assert "--config: no such file" in _error(capsys)


def test_a_bad_database_url_flag_is_named_as_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["overview", "--database-url", "mysql://x/y"]) == 2
    err = _error(capsys)
    assert "--database-url:" in err and "SP_ANALYTICS_DATABASE_URL:" not in err


def test_a_data_dir_that_is_a_file_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(not_a_dir))
    log = tmp_path / "access.log"
    log.write_text('203.0.113.9 - - [27/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"\n')
    assert run(["import-log", str(log)]) == 2
    err = _error(capsys)
    assert "Configuration error: SP_ANALYTICS_DATA_DIR" in err
    assert f"{not_a_dir} is not a directory" in err


@pytest.mark.parametrize("command", [["overview"], ["migrate"], ["demo", "--sessions", "10"]])
def test_a_file_that_is_not_a_database_is_a_clear_error(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("these are not the rows you are looking for\n" * 100)
    assert run([*command, "--database-url", f"sqlite:///{text}"]) == 2
    err = _error(capsys)
    assert "file is not a database" in err and "--database-url" in err


@pytest.mark.parametrize("end", ["0002-01-02", "1999-12-31", "2000-01-14T23:59:59Z"])
def test_demo_end_too_early_for_the_window_is_refused(
    end: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert (
        run(["demo", "--end", end, "--days", "14", "--sessions", "10", "--database-url", url]) == 2
    )
    err = _error(capsys)
    assert "--end" in err and "2000-01-15" in err
    assert not (tmp_path / "demo.db").exists()
