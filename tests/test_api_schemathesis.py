"""Schemathesis against the app's own OpenAPI schema: every operation (collector, ingestion,
OpenTelemetry, health, metrics, stats), fed generated valid and invalid input with the bearer
token, on a demo-filled SQLite database, in process over ASGI. No response may be a 5xx, and
each must match what the schema documents (status code, content type, headers, body)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.web.server import create_app

TOKEN = "schemathesis-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
# Every operation: never a 5xx. The stats API also answers exactly as its schema documents;
# the other routers' non-JSON responses (tracker.js, /metrics) are not described there.
SERVER_ERRORS = [not_a_server_error]
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
STATS = "/api/v1/stats/"
# Bounded so the whole run stays well under a minute in CI.
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def app_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{directory / 'analytics.db'}"
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, days=2, sessions=300, seed=5, end=END)
    settings_ = load_settings(
        database_url=url, data_dir=directory / "data", api_token=TOKEN, anomaly_enabled=False
    )
    app = create_app(Analytics(settings_, engine=engine))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    shutdown_lifespans()  # the app's lifespan: flush the writer, stop its threads
    engine.dispose()


def test_no_operation_answers_with_a_server_error(
    app_schema: Any, subtests: pytest.Subtests
) -> None:
    # Loops over the operations itself: schemathesis' pytest integration for a schema built
    # in a fixture (``from_fixture``) does not run under this pytest.
    operations = [result.ok() for result in app_schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with subtests.test(operation=operation.label, mode=mode.value):
                checks = CONFORMANCE if operation.path.startswith(STATS) else SERVER_ERRORS
                _exercise(operation.as_strategy(generation_mode=mode), checks)


def _exercise(strategy: Any, checks: list[Any]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=AUTH, checks=checks)

    with contextlib.suppress(Unsatisfiable):  # no invalid request exists for an operation
        call()  # that takes no input
