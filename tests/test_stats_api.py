"""The stats API over real HTTP: every report has an endpoint, every endpoint wants the token,
and a bad parameter is a 422 naming it — the same values the CLI rejects with exit code 2."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.server import create_app
from tests.servers import run_asgi

TOKEN = "stats-api-test-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
PREFIX = "/api/v1/stats"
# One endpoint per CLI report (``sp-analytics AREA REPORT --json``).
ENDPOINTS = (
    "overview",
    "sessions/stats",
    "sessions/trends",
    "sessions/live",
    "traffic/bots",
    "traffic/sources",
    "traffic/pages",
    "traffic/navigation",
    "traffic/geo",
    "traffic/devices",
    "content/stats",
    "content/top",
    "content/trends",
    "content/engagement",
    "funnels/list",
    "funnels/show",
    "funnels/stats",
    "costs/summary",
    "costs/trends",
    "costs/breakdown",
    "costs/unpriced",
    "requests/stats",
    "requests/list",
    "requests/models",
    "requests/trends",
    "agents/list",
    "agents/stats",
    "agents/show",
    "agents/trends",
    "tools/list",
    "tools/stats",
    "tools/show",
    "tools/trends",
    "conversations/stats",
    "conversations/list",
    "conversations/trends",
    "users/stats",
    "users/top",
    "activity/trends",
    "bots/sessions",
    "bots/fingerprints",
    "anomalies/list",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")  # the CLI's error box keeps a flag on one line
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('stats-api') / 'analytics.db'}"


def _app(database: str, data_dir: Path, token: str | None) -> Any:
    settings = load_settings(
        database_url=database, data_dir=data_dir, api_token=token, anomaly_enabled=False
    )
    return create_app(Analytics(settings, migrate=True))


@pytest.fixture(scope="module")
def base_url(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_asgi(_app(database, tmp_path_factory.mktemp("data"), TOKEN)) as base:
        yield base


def _get(base_url: str, endpoint: str, params: dict[str, str], **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{base_url}{PREFIX}/{endpoint}", params=params, **kwargs)


def test_every_cli_report_has_an_endpoint_and_no_other_is_served(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json").json()
    served = {path.removeprefix(f"{PREFIX}/") for path in schema["paths"] if PREFIX in path}
    assert served == set(ENDPOINTS)
    for endpoint in ENDPOINTS:
        operation = schema["paths"][f"{PREFIX}/{endpoint}"]
        assert set(operation) == {"get"}, endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}],
    ids=["none", "wrong", "not-bearer"],
)
def test_every_endpoint_refuses_without_the_token(
    base_url: str, endpoint: str, headers: dict[str, str]
) -> None:
    # Bad parameters too: the token is checked before anything else is looked at.
    response = _get(base_url, endpoint, {"since": "banana", "limit": "0"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in response.json()["detail"]
    assert TOKEN not in response.text


def test_every_endpoint_answers_503_when_no_token_is_configured(
    database: str, tmp_path: Path
) -> None:
    with run_asgi(_app(database, tmp_path, None)) as base:
        for endpoint in ENDPOINTS:
            response = _get(base, endpoint, {}, headers={"authorization": "Bearer anything"})
            assert response.status_code == 503, endpoint
            assert "SP_ANALYTICS_API_TOKEN" in response.json()["detail"]


def test_the_openapi_schema_documents_the_bearer_scheme_and_the_refusals(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for endpoint in ENDPOINTS:
        operation = schema["paths"][f"{PREFIX}/{endpoint}"]["get"]
        assert operation["security"] == [{"HTTPBearer": []}], endpoint
        assert {"200", "401", "503"} <= set(operation["responses"]), endpoint
        assert operation["description"], endpoint


def test_parameters_carry_the_cli_flag_names_and_defaults(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json").json()

    def parameters(endpoint: str) -> dict[str, dict[str, Any]]:
        found = schema["paths"][f"{PREFIX}/{endpoint}"]["get"].get("parameters", [])
        return {item["name"]: item for item in found}

    trends = parameters("sessions/trends")
    assert set(trends) == {"since", "until", "group_by"}
    assert trends["since"]["schema"]["default"] == "7d"
    assert trends["group_by"]["schema"]["default"] == "day"
    assert set(parameters("traffic/navigation")) == {
        "since", "until", "from", "to", "limit", "include_bots", "source", "channel",
    }  # fmt: skip
    assert parameters("agents/show")["name"]["required"] is True
    assert parameters("requests/list")["limit"]["schema"]["default"] == 50
    assert parameters("activity/trends")["since"]["schema"]["default"] == "30d"
    assert "since" not in parameters("users/stats")


def test_choices_are_accepted_in_any_case_like_the_cli(base_url: str) -> None:
    response = _get(base_url, "sessions/trends", {"group_by": "HOUR", "since": "3h"}, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["group_by"] == "hour"
    assert _get(base_url, "costs/breakdown", {"by": "Agent"}, headers=AUTH).status_code == 200


# (endpoint, query, parameter named in the 422, the CLI's argv, what the CLI's error names)
REJECTED: list[tuple[str, dict[str, str], str, list[str], str]] = [
    ("overview", {"since": "banana"}, "since", ["overview", "--since", "banana"], "--since"),
    ("sessions/stats", {"until": "tomorrow"}, "until",
     ["sessions", "stats", "--until", "tomorrow"], "--until"),
    ("requests/stats", {"since": "2026-11-02", "until": "2026-11-01"}, "since",
     ["requests", "stats", "--since", "2026-11-02", "--until", "2026-11-01"], "--since"),
    ("costs/summary", {"since": "7 days"}, "since",
     ["costs", "summary", "--since", "7 days"], "--since"),
    ("users/stats", {"until": "0001-06-01"}, "until",
     ["users", "stats", "--until", "0001-06-01"], "--until"),
    ("overview", {"since": "0002-01-01", "until": "9000-01-01"}, "since",
     ["overview", "--since", "0002-01-01", "--until", "9000-01-01"], "--since"),
    ("sessions/trends", {"group_by": "year"}, "group_by",
     ["sessions", "trends", "--group-by", "year"], "--group-by"),
    ("costs/trends", {"group_by": "fortnight"}, "group_by",
     ["costs", "trends", "--group-by", "fortnight"], "--group-by"),
    ("traffic/sources", {"limit": "0"}, "limit", ["traffic", "sources", "--limit", "0"],
     "--limit"),
    ("agents/list", {"limit": "10001"}, "limit", ["agents", "list", "--limit", "10001"],
     "--limit"),
    ("requests/list", {"limit": "ten"}, "limit", ["requests", "list", "--limit", "ten"],
     "--limit"),
    ("costs/breakdown", {"by": "colour"}, "by", ["costs", "breakdown", "--by", "colour"], "--by"),
    ("traffic/geo", {"by": "planet"}, "by", ["traffic", "geo", "--by", "planet"], "--by"),
    ("users/top", {"by": "charm"}, "by", ["users", "top", "--by", "charm"], "--by"),
    ("conversations/list", {"sort": "size"}, "sort",
     ["conversations", "list", "--sort", "size"], "--sort"),
    ("traffic/sources", {"channel": "carrier-pigeon"}, "channel",
     ["traffic", "sources", "--channel", "carrier-pigeon"], "--channel"),
    ("content/stats", {"source": "not a host"}, "source",
     ["content", "stats", "--source", "not a host"], "--source"),
    ("traffic/navigation", {"from": "pricing"}, "from",
     ["traffic", "navigation", "--from", "pricing"], "--from"),
    ("content/trends", {"path": "docs"}, "path", ["content", "trends", "--path", "docs"],
     "--path"),
    ("content/engagement", {"session": "  "}, "session",
     ["content", "engagement", "--session", "  "], "--session"),
    ("content/engagement", {"session": "no-such-session"}, "session",
     ["content", "engagement", "--session", "no-such-session"], "--session"),
    ("requests/list", {"provider": "open\x01ai"}, "provider",
     ["requests", "list", "--provider", "open\x01ai"], "--provider"),
    ("requests/list", {"status": " "}, "status", ["requests", "list", "--status", " "],
     "--status"),
    ("agents/show", {"name": "nobody"}, "name", ["agents", "show", "nobody"], "NAME"),
    ("tools/show", {"name": "no.such.tool"}, "name", ["tools", "show", "no.such.tool"], "NAME"),
    ("funnels/show", {"name": "Nope"}, "name", ["funnels", "show", "Nope"], "NAME"),
    ("funnels/stats", {"name": "Nope"}, "name", ["funnels", "stats", "Nope"], "NAME"),
    ("agents/show", {}, "name", ["agents", "show"], "NAME"),
    ("agents/trends", {"agent": "nobody"}, "agent", ["agents", "trends", "--agent", "nobody"],
     "NAME"),
    ("tools/trends", {"tool": "no.such.tool"}, "tool",
     ["tools", "trends", "--tool", "no.such.tool"], "NAME"),
    ("anomalies/list", {"active": "maybe"}, "active", ["anomalies", "list", "--active=maybe"],
     "--active"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "query", "parameter", "argv", "flag"),
    REJECTED,
    ids=[f"{case[0]}-{case[2]}-{index}" for index, case in enumerate(REJECTED)],
)
def test_a_bad_parameter_is_a_422_naming_it_and_the_cli_rejects_it_too(
    base_url: str,
    database: str,
    capsys: pytest.CaptureFixture[str],
    endpoint: str,
    query: dict[str, str],
    parameter: str,
    argv: list[str],
    flag: str,
) -> None:
    response = _get(base_url, endpoint, query, headers=AUTH)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", parameter]
    assert error["msg"]
    assert run([*argv, "--database-url", database]) == 2
    assert flag.lower() in capsys.readouterr().err.lower()


@pytest.mark.parametrize(
    ("endpoint", "parameter"),
    [("agents/show", "name"), ("tools/trends", "tool"), ("funnels/stats", "name"),
     ("content/engagement", "session"), ("agents/trends", "agent")],
)  # fmt: skip
def test_a_name_with_a_nul_is_a_422_not_a_database_error(
    base_url: str, endpoint: str, parameter: str
) -> None:
    response = _get(base_url, endpoint, {parameter: "a\x00b"}, headers=AUTH)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", parameter]
    assert "control characters" in error["msg"]


def test_the_report_validators_error_has_fastapis_shape(base_url: str) -> None:
    response = _get(base_url, "traffic/sources", {"channel": "carrier-pigeon"}, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "detail": [
            {
                "type": "invalid_input",
                "loc": ["query", "channel"],
                "msg": "'carrier-pigeon' is not one of search, social, ai_assistant, email, "
                "referral, direct, internal",
                "input": "carrier-pigeon",
            }
        ]
    }


def test_a_trend_of_up_to_10000_buckets_is_served(base_url: str) -> None:
    query = {"since": "416d", "group_by": "hour"}  # 9,985 buckets
    response = _get(base_url, "sessions/trends", query, headers=AUTH)
    assert response.status_code == 200
    assert len(response.json()["series"]) <= 10_000


@pytest.mark.parametrize(
    ("endpoint", "query"),
    [
        ("sessions/trends", {"since": "417d", "group_by": "hour"}),
        ("activity/trends", {"since": "1500w", "group_by": "day"}),
        ("costs/trends", {"since": "1100-01-01"}),  # by month, the default for a long window
    ],
)
def test_a_trend_of_more_than_10000_buckets_is_refused_naming_group_by(
    base_url: str, endpoint: str, query: dict[str, str]
) -> None:
    response = _get(base_url, endpoint, query, headers=AUTH)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "group_by"]
    assert "10,000" in error["msg"]
