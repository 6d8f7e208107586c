"""``sp-analytics anomalies …`` through the CLI: backtest, thresholds, list, check."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.storage.schema import anomaly_thresholds
from tests.factories import add_request, add_session

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def thresholds_restored(db_engine: Engine) -> Iterator[Engine]:
    with db_engine.connect() as conn:
        saved = [dict(row) for row in conn.execute(select(anomaly_thresholds)).mappings()]
    yield db_engine
    with db_engine.begin() as conn:
        conn.execute(delete(anomaly_thresholds))
        conn.execute(insert(anomaly_thresholds), saved)


def _series_file(path: Path, count: int = 300, spike_at: int | None = 250) -> Path:
    lines = ["timestamp,value"]
    for i in range(count):
        value = 400.0 if i == spike_at else 100.0 + (i * 7) % 5
        lines.append(f"{(T0 + timedelta(minutes=i)).isoformat()},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- backtest ------------------------------------------------------------------------------


def test_backtest_writes_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _series_file(tmp_path / "in.csv")
    target = tmp_path / "out.csv"
    assert run(["anomalies", "backtest", "--input", str(source), "--output", str(target)]) == 0
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["timestamp", "value", "score", "level"]
    assert len(rows) == 300
    assert all(0.0 <= float(row["score"]) <= 1.0 for row in rows)
    assert rows[250]["level"] == "critical" and rows[250]["value"] == "400.0"
    assert {row["level"] for i, row in enumerate(rows) if i != 250} == {"normal"}
    assert rows[0]["timestamp"] == T0.isoformat()
    assert "300 rows scored by robust" in capsys.readouterr().err


@pytest.mark.parametrize("detector", ["trend", "zscore"])
def test_backtest_to_stdout_with_another_detector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], detector: str
) -> None:
    source = _series_file(tmp_path / "in.csv", count=100, spike_at=90)
    assert run(["anomalies", "backtest", "--input", str(source), "--detector", detector]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "timestamp,value,score,level"
    assert len(out) == 101 and out[91].endswith(",critical")


def test_backtest_unknown_detector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _series_file(tmp_path / "in.csv", count=10)
    assert run(["anomalies", "backtest", "--input", str(source), "--detector", "magic"]) == 2
    assert "--detector" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("2026-01-05T00:00:00Z,1\n", 1, "header"),
        ("", 1, "header"),
        ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,lots\n", 3, "value"),
        ("timestamp,value\n2026-01-05T00:00:00Z,1\nsoon,2\n", 3, "timestamp"),
        ("timestamp,value\n2026-01-05T00:05:00Z,1\n2026-01-05T00:01:00Z,2\n", 3, "order"),
    ],
)
def test_backtest_bad_input_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, line: int, words: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    target = tmp_path / "out.csv"
    assert run(["anomalies", "backtest", "--input", str(source), "--output", str(target)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"line {line}" in err and words in err
    assert not target.exists()  # nothing half-written


def test_backtest_missing_file_exits_2(tmp_path: Path) -> None:
    assert run(["anomalies", "backtest", "--input", str(tmp_path / "none.csv")]) == 2


# -- thresholds ----------------------------------------------------------------------------


def test_thresholds_list_set_delete(
    thresholds_restored: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", database_url]
    assert run(["anomalies", "thresholds", "--json", *db]) == 0
    listed = {row["metric"]: row for row in json.loads(capsys.readouterr().out)["thresholds"]}
    rpm = listed["requests_per_minute"]
    assert (rpm["warning"], rpm["critical"]) == (15.0, 30.0)
    assert run(["anomalies", "thresholds", "set", "ai_cost_per_hour", "5", "10", *db]) == 0
    assert "warning at 5, critical at 10" in capsys.readouterr().out
    assert run(["anomalies", "thresholds", "--json", *db]) == 0
    listed = {row["metric"]: row for row in json.loads(capsys.readouterr().out)["thresholds"]}
    assert listed["ai_cost_per_hour"]["critical"] == 10.0
    assert run(["anomalies", "thresholds", "delete", "ai_cost_per_hour", *db]) == 0
    assert "Deleted the thresholds of ai_cost_per_hour" in capsys.readouterr().out
    assert run(["anomalies", "thresholds", "--json", *db]) == 0
    listed = {row["metric"]: row for row in json.loads(capsys.readouterr().out)["thresholds"]}
    assert "ai_cost_per_hour" not in listed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["set", "error_rate", "0.5", "0.25"], "above the critical threshold"),
        (["set", "error_rate", "lots", "0.25"], "WARN"),
        (["set", "error_rate", "0.1", "nan"], "CRIT"),
        (["set", "Error Rate", "0.1", "0.2"], "NAME"),
        (["delete", "no_such_metric"], "no thresholds for the metric 'no_such_metric'"),
    ],
)
def test_threshold_commands_refuse_bad_input(
    thresholds_restored: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    words: str,
) -> None:
    assert run(["anomalies", "thresholds", *args, "--database-url", database_url]) == 2
    assert words in " ".join(capsys.readouterr().err.split())
    with thresholds_restored.connect() as conn:
        rows = conn.execute(select(anomaly_thresholds.c.metric_name)).scalars().all()
    assert len(rows) == 5  # nothing changed


# -- list and check ------------------------------------------------------------------------


def test_check_records_and_list_shows_alerts(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with db_engine.begin() as conn:
        sid = add_session(conn, at=now - timedelta(minutes=1), fingerprint_hash="fp_cli")
        for i in range(35):
            add_request(conn, sid, at=now - timedelta(seconds=60 - i))
    db = ["--database-url", database_url]
    assert run(["anomalies", "check", "--json", *db]) == 0
    checked = json.loads(capsys.readouterr().out)
    fingerprint = [c for c in checked["checks"] if c["subject"] == "fingerprint:fp_cli"]
    # The minute evaluated is the last complete one; the requests may straddle it.
    if fingerprint:
        assert fingerprint[0]["metric"] == "requests_per_minute"
    assert checked["transitions"] == []  # without --record nothing is kept
    assert run(["anomalies", "list", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []
    assert run(["anomalies", "check", "--record", *db]) == 0
    assert "Anomaly checks" in capsys.readouterr().out
    assert run(["anomalies", "list", "--active", "--json", *db]) == 0
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert all(alert["state"] in ("pending", "firing") for alert in alerts)
    assert run(["anomalies", "list", *db]) == 0
    assert "Anomaly alerts" in capsys.readouterr().out


def test_alert_subjects_are_shortened_without_losing_what_tells_them_apart() -> None:
    from systemprompt_analytics.cli.anomalies_cmd import _short

    session_id = "sess_019cc2a1b2c3" + "d4e5f6a7b8c9d0e1f2a3"
    assert _short(f"session:{session_id}") == "session:…d0e1f2a3"  # the random tail
    assert _short("fingerprint:" + "ab" * 32) == "fingerprint:" + "ab" * 6
    assert _short("ip:2001:db8:85a3::8a2e:370:7334") == "ip:2001:db8:85a3::8a2e:370:7334"
    assert _short("global") == "global"
