"""bots fingerprints / bots reputation / throttle status|reset through the CLI."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.detection.throttle import Observation
from systemprompt_analytics.storage.schema import fingerprint_reputation
from systemprompt_analytics.throttle.decision import ThrottleConfig
from systemprompt_analytics.throttle.service import ThrottleService
from tests.factories import add_request, add_session
from tests.redis_support import require_redis


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))


def test_fingerprints_lists_high_risk_first_and_reputation_runs(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    with db_engine.begin() as conn:
        conn.execute(
            fingerprint_reputation.insert(),
            [
                {"fingerprint_hash": "fp_bad", "first_seen_at": now, "last_seen_at": now,
                 "updated_at": now, "reputation_score": 5, "is_flagged": True,
                 "flag_reason": "scanner", "abuse_incidents": 2},
                {"fingerprint_hash": "fp_meh", "first_seen_at": now, "last_seen_at": now,
                 "updated_at": now, "reputation_score": 40, "is_flagged": False,
                 "flag_reason": None, "abuse_incidents": 0},
                {"fingerprint_hash": "fp_good", "first_seen_at": now, "last_seen_at": now,
                 "updated_at": now, "reputation_score": 50, "is_flagged": False,
                 "flag_reason": None, "abuse_incidents": 0},
            ],
        )  # fmt: skip
        scanner = add_session(conn, at=now - timedelta(minutes=20), fingerprint_hash="fp_new",
                              is_scanner=True)  # fmt: skip
        add_request(conn, scanner, at=now - timedelta(minutes=20), path="/.env", status_code=404)
    assert run(["bots", "fingerprints", "--json", "--database-url", database_url]) == 0
    rows = json.loads(capsys.readouterr().out)["fingerprints"]
    assert [row["fingerprint_hash"] for row in rows] == ["fp_bad", "fp_meh"]
    assert rows[0]["flag_reason"] == "scanner" and rows[0]["is_flagged"] is True
    assert run(["bots", "reputation", "--database-url", database_url]) == 0
    assert "1 updated" in " ".join(capsys.readouterr().out.split())
    assert run(["bots", "fingerprints", "--json", "--database-url", database_url]) == 0
    hashes = [
        row["fingerprint_hash"] for row in json.loads(capsys.readouterr().out)["fingerprints"]
    ]
    assert "fp_new" in hashes  # a scanner session lowered its score below the start


def test_throttle_status_and_reset_on_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = require_redis()
    monkeypatch.setenv("SP_ANALYTICS_REDIS_URL", url)
    key = "ip:198.51.100.23"
    service = ThrottleService.from_config(ThrottleConfig(redis_url=url))
    client = redis.Redis.from_url(url)
    try:
        service.observe(key, Observation(requests_last_minute=500))
        assert run(["throttle", "status", key, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["level"] == "warning"
        assert run(["throttle", "status", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["keys"]
        assert {"key": key, "level": "warning"}.items() <= next(
            row for row in listed if row["key"] == key
        ).items()
        assert run(["throttle", "reset", key]) == 0
        capsys.readouterr()
        assert run(["throttle", "status", key, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["level"] == "normal"
        assert run(["throttle", "status", "not-a-key"]) == 2
    finally:
        for leftover in client.scan_iter("sp:throttle:*198.51.100.23*"):
            client.delete(leftover)
        client.close()
        service.close()
