"""Platform records: validation that names the field, and property tests that anything a host
sends is either a storable record or one problem with a field name — never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.platform.costing import UNPRICED, canonical_provider, model_ref
from systemprompt_analytics.platform.records import (
    TERMINAL_TASK_STATUSES,
    AgentTask,
    AIRequest,
    CliSession,
    Conversation,
    Message,
    ToolExecution,
    UserIdentity,
)
from systemprompt_analytics.platform.rows import agent_task_row, ai_request_row
from systemprompt_analytics.platform.validation import ITEM_FIELD, Problem, parse, validated
from systemprompt_analytics.storage.schema import AGENT_TASK_STATUSES

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODELS: tuple[type[BaseModel], ...] = (
    AIRequest,
    ToolExecution,
    AgentTask,
    Conversation,
    Message,
    UserIdentity,
    CliSession,
)
BASE = {"id": "req_1", "provider": "anthropic", "model": "claude-sonnet-4-5"}


def problem(model: type[BaseModel], data: Any) -> Problem:
    outcome = parse(model, data)
    assert isinstance(outcome, Problem), outcome
    return outcome


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"id": ""}, "id", "at least 1 character"),
        ({"id": "x" * 65}, "id", "at most 64 characters"),
        ({"id": "a\x00b"}, "id", "NUL"),
        ({"model": "\ud800"}, "model", "unicode string"),
        ({"input_tokens": -1}, "input_tokens", "greater than or equal to 0"),
        ({"input_tokens": True}, "input_tokens", "not true/false"),
        ({"input_tokens": 1.5}, "input_tokens", "fractional part"),
        ({"cost_microdollars": 10**16}, "cost_microdollars", "less than or equal to"),
        ({"status": "exploded"}, "status", "'success', 'error', 'timeout' or 'canceled'"),
        ({"requested_at": "2026-11-01T12:00:00"}, "requested_at", "timezone"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"provider": None, "model": "wizard-9"}, "provider", "required unless the model"),
        (
            {"requested_at": T0, "completed_at": T0 - timedelta(seconds=1)},
            "completed_at",
            "must not be before requested_at",
        ),
        (
            {"requested_at": T0, "completed_at": T0 + timedelta(days=30)},
            "completed_at",
            "within 24 days",
        ),
        (
            {"latency_ms": 100, "time_to_first_token_ms": 200},
            "time_to_first_token_ms",
            "must not exceed latency_ms",
        ),
    ],
)
def test_ai_request_problems_name_the_field(
    changes: dict[str, Any], field: str, error: str
) -> None:
    found = problem(AIRequest, {**BASE, **changes})
    assert found.field == field
    assert error in found.error


def test_a_missing_field_is_required() -> None:
    assert problem(ToolExecution, {"id": "t"}) == Problem("tool_name", "required")
    assert problem(Message, {"id": "m", "conversation_id": "c"}) == Problem("role", "required")


def test_not_an_object_is_an_item_problem() -> None:
    assert problem(AIRequest, ["id"]) == Problem(ITEM_FIELD, "must be a JSON object")


def test_nested_trait_problems_say_where() -> None:
    found = problem(UserIdentity, {"id": "u", "traits": {"plan": {"tags": ["ok", "bad\x00"]}}})
    assert found.field == "traits"
    assert found.error.startswith("plan.tags[1]")


def test_the_python_api_raises_invalid_input_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validated(AIRequest, {**BASE, "output_tokens": "many"})
    assert caught.value.field == "output_tokens"


def test_a_long_error_message_is_cut_not_refused() -> None:
    request = validated(AIRequest, {**BASE, "error_message": "x" * 10_000})
    assert request.error_message is not None and len(request.error_message) == 4_000


def test_task_statuses_match_the_table() -> None:
    assert set(AGENT_TASK_STATUSES) >= TERMINAL_TASK_STATUSES
    task_statuses = AgentTask.model_fields["status"].annotation
    assert set(task_statuses.__args__) == set(AGENT_TASK_STATUSES)  # type: ignore[union-attr]


def test_only_a_finished_task_has_an_end() -> None:
    found = problem(
        AgentTask, {"id": "t", "agent_name": "a", "status": "working", "completed_at": T0}
    )
    assert found == Problem("completed_at", "only a finished task has one, not a working one")
    done = validated(
        AgentTask, {"id": "t", "agent_name": "a", "status": "failed", "updated_at": T0}
    )
    assert done.finished_at == T0
    row = agent_task_row(done)
    assert (row["started_at"], row["completed_at"], row["duration_ms"]) == (T0, T0, 0)


def test_an_anonymous_user_has_not_registered() -> None:
    found = problem(UserIdentity, {"id": "u", "anonymous": True, "registered_at": T0})
    assert found.field == "registered_at"


def test_cli_session_country_is_upper_case_letters() -> None:
    assert validated(CliSession, {"id": "s", "country": "de"}).country == "DE"
    assert problem(CliSession, {"id": "s", "country": "D1"}).field == "country"


def test_provider_prefixes_and_aliases_are_normalised() -> None:
    assert model_ref(None, "anthropic/claude-sonnet-4-5") == ("anthropic", "claude-sonnet-4-5")
    assert model_ref("OpenAI", "openai:gpt-4o") == ("openai", "gpt-4o")
    assert model_ref("openrouter", "anthropic/claude-sonnet-4.5") == (
        "openrouter",
        "anthropic/claude-sonnet-4.5",
    )
    assert canonical_provider("aws.bedrock") == "aws"
    assert canonical_provider("gcp.vertex_ai") == "google"
    assert canonical_provider("Acme") == "acme"


def test_the_row_derives_latency_cache_hit_and_total() -> None:
    request = validated(
        AIRequest,
        {**BASE, "requested_at": T0, "completed_at": T0 + timedelta(milliseconds=1500),
         "input_tokens": 10, "cache_read_tokens": 90, "output_tokens": 5, "reasoning_tokens": 7},
    )  # fmt: skip
    row = ai_request_row(request, UNPRICED)
    assert (row["latency_ms"], row["cache_hit"], row["total_tokens"]) == (1500, True, 112)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=80),
        st.sampled_from(["2026-11-01T12:00:00Z", "2026-11-01T12:00:00", "success", "chat"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [*model.model_fields, "unknown"]


@st.composite
def anything_for(draw: st.DrawFn, model: type[BaseModel]) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(_field_names(model)), unique=True, max_size=8))
    return {name: draw(json_values) for name in names}


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (key, *_strings_in(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in(item)]
    return []


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@given(data=st.data())
def test_any_input_is_a_storable_record_or_a_named_problem(
    model: type[BaseModel], data: st.DataObject
) -> None:
    item = data.draw(anything_for(model))
    outcome = parse(model, item)
    if isinstance(outcome, Problem):
        assert outcome.field in (*model.model_fields, "unknown", ITEM_FIELD)
        assert outcome.error
        return
    for text in _strings_in(outcome.model_dump()):
        assert "\x00" not in text
        text.encode("utf-8")


ids = st.text(min_size=1, max_size=64).filter(lambda text: text.strip() == text)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
counts = st.integers(0, 10**9)


@given(
    ids.filter(
        lambda text: "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    ),
    times,
    counts,
    counts,
    counts,
    st.integers(0, 10**6),
)
def test_valid_ai_requests_round_trip(
    request_id: str, at: datetime, prompt: int, cached: int, output: int, millis: int
) -> None:
    data = {
        **BASE,
        "id": request_id,
        "requested_at": at.isoformat(),
        "completed_at": (at + timedelta(milliseconds=millis)).isoformat(),
        "input_tokens": prompt,
        "cache_read_tokens": cached,
        "output_tokens": output,
    }
    request = validated(AIRequest, data)
    assert request.requested_at == at
    again = validated(AIRequest, request.model_dump(mode="json"))
    assert again == request
    row = ai_request_row(request, UNPRICED)
    assert row["total_tokens"] == prompt + cached + output
    assert row["latency_ms"] == millis
