"""``sp-analytics funnels …`` end to end through the CLI entry point, on both databases."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from tests.factories import add_request, add_session

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith("SP_ANALYTICS_REQUIRE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def history(db_engine: Engine) -> Engine:
    """Two human visits (one through pricing) and a bot that does the same."""
    start = NOW - timedelta(hours=2)
    with db_engine.begin() as conn:
        visit = add_session(conn, at=start)
        add_request(conn, visit, at=start, path="/")
        add_request(conn, visit, at=start + timedelta(seconds=30), path="/pricing/teams")
        bounce = add_session(conn, at=start)
        add_request(conn, bounce, at=start, path="/")
        bot = add_session(conn, at=start, is_bot=True)
        add_request(conn, bot, at=start, path="/")
        add_request(conn, bot, at=start + timedelta(seconds=1), path="/pricing")
    return db_engine


def test_create_list_show_stats_rebuild_delete(
    history: Engine, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = ("--database-url", database_url)
    code, out, err = cli(capsys, "funnels", "create", "Pricing", "--step", "Home=url_exact:/",
                         "--step", "Pricing=url_prefix:/pricing", "--window", "1h",
                         "--description", "Home to pricing", *db)  # fmt: skip
    assert code == 0, err
    assert "Created funnel 'Pricing'" in out and "3 units" in out

    (listed,) = cli_json(capsys, "funnels", "list", *db)["funnels"]
    assert listed == {"name": "Pricing", "steps": "Home → Pricing", "mode": "ordered",
                      "unit": "session", "window": "1h", "active": True, "units": 3,
                      "completed": 2}  # fmt: skip

    shown = cli_json(capsys, "funnels", "show", "Pricing", *db)
    assert shown["steps"] == [{"name": "Home", "url_exact": "/"},
                              {"name": "Pricing", "url_prefix": "/pricing"}]  # fmt: skip
    assert (shown["window"], shown["window_seconds"], shown["description"]) == (
        "1h", 3_600, "Home to pricing",
    )  # fmt: skip

    report = cli_json(capsys, "funnels", "stats", "Pricing", "--since", "1d", *db)
    assert (report["entered"], report["completed"], report["conversion_rate"]) == (2, 1, 0.5)
    assert report["steps"][0]["median_seconds_to_next"] == 30.0
    with_bots = cli_json(capsys, "funnels", "stats", "Pricing", "--include-bots", *db)
    assert (with_bots["entered"], with_bots["completed"]) == (3, 2)

    out_file = tmp_path / "steps.csv"
    code, out, err = cli(capsys, "funnels", "stats", "Pricing", "--csv", str(out_file), *db)
    assert code == 0, err
    assert "Entered" in out and "Pricing" in out
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["step"], row["entered"], row["continued"]) for row in rows] == [
        ("1", "2", "1"), ("2", "1", ""),
    ]  # fmt: skip

    assert cli_json(capsys, "funnels", "rebuild", "Pricing", *db) == {
        "name": "Pricing", "units": 3, "completed": 2,
    }  # fmt: skip
    code, out, _ = cli(capsys, "funnels", "delete", "Pricing", *db)
    assert code == 0 and "Deleted funnel 'Pricing'" in out
    assert cli_json(capsys, "funnels", "list", *db) == {"funnels": []}


def test_show_renders_event_filters_literally(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", database_url)
    code, _, err = cli(capsys, "funnels", "create", "Pro", "--step", "Home=url_exact:/",
                       "--step", "Paid=event:signup[plan=pro]", "--mode", "STRICT",
                       "--unit", "visitor", *db)  # fmt: skip
    assert code == 0, err
    code, out, _ = cli(capsys, "funnels", "show", "Pro", *db)
    assert code == 0
    assert "event:signup[plan=pro]" in out  # not eaten as console markup
    assert "strict, per visitor, window 24h" in " ".join(out.split())


def test_apply_keeps_the_valid_funnels_and_exits_2_for_the_bad_one(
    history: Engine, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = tmp_path / "funnels.yaml"
    document.write_text(
        """
funnels:
  - name: Pricing
    window: 30m
    steps:
      - {name: Home, url_exact: /}
      - {name: Pricing, url_prefix: /pricing}
  - name: Blog
    steps:
      - {name: Home, url_exact: /}
      - {name: Post, url_regex: "^/blog/("}
""",
        encoding="utf-8",
    )
    db = ("--database-url", database_url)
    code, out, err = cli(capsys, "funnels", "apply", str(document), *db)
    assert code == 2
    assert "Created funnel 'Pricing'" in out
    assert "funnels[1] (Blog).steps[1] (Post).url_regex" in err
    assert "Traceback" not in err
    assert [f["name"] for f in cli_json(capsys, "funnels", "list", *db)["funnels"]] == ["Pricing"]
    code, out, err = cli(capsys, "funnels", "apply", str(document), "--json", *db)
    assert code == 2
    result = json.loads(out)
    assert result["funnels"] == [{"name": "Pricing", "action": "unchanged", "rebuilt": None}]
    assert result["errors"][0]["field"].endswith("(Post).url_regex")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["funnels", "stats", "Nope"], "Invalid value for NAME: no funnel named 'Nope'"),
        (["funnels", "rebuild", "Nope"], "no funnel named 'Nope'"),
        (["funnels", "delete", "Nope"], "no funnel named 'Nope'"),
        (["funnels", "show", "Nope"], "no funnel named 'Nope'"),
        (["funnels", "create", "F", "--step", "A=url_exact:/"], "2 to 20 steps, got 1"),
        (["funnels", "create", "F", "--step", "A=url_exact:/", "--step", "B=url:/b"],
         "--step 2 (B): unknown matcher 'url'"),
        (["funnels", "create", "F", "--step", "A=url_exact:/", "--step", "B=event:b",
          "--window", "forever"], "--window"),
        (["funnels", "create", "F", "--step", "A=url_exact:/", "--step", "B=event:b",
          "--mode", "loose"], "--mode"),
        (["funnels", "apply", "missing.yaml"], "missing.yaml"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_message(
    db_engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragment: str,
) -> None:
    code, _, err = cli(capsys, *args, "--database-url", database_url)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err


def test_create_twice_and_bad_period_exit_2(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = ("--database-url", database_url)
    steps = ("--step", "A=url_exact:/", "--step", "B=event:b")
    assert cli(capsys, "funnels", "create", "F", *steps, *db)[0] == 0
    code, _, err = cli(capsys, "funnels", "create", "F", *steps, *db)
    assert code == 2 and "already exists" in err
    code, _, err = cli(capsys, "funnels", "stats", "F", "--since", "banana", *db)
    assert code == 2 and "--since" in err
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = cli(capsys, "funnels", "apply", str(binary), *db)
    assert code == 2 and "not UTF-8 text" in err
