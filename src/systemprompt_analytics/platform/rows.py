"""Records as table rows and as the session activity they add up to. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.platform.costing import StoredCost, model_ref
from systemprompt_analytics.platform.records import AgentTask, AIRequest, ToolExecution
from systemprompt_analytics.pricing import normalise_model_ref


def millis_between(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, round((end - start).total_seconds() * 1000))


def ai_request_row(request: AIRequest, cost: StoredCost) -> dict[str, Any]:
    """The ``ai_requests`` row: provider and model normalised, derived fields filled in."""
    provider, model = model_ref(request.provider, request.model)
    response_model = (
        None
        if request.response_model is None
        else normalise_model_ref(provider, request.response_model)[1]
    )
    usage = request.usage
    latency = request.latency_ms
    if latency is None:
        latency = millis_between(request.requested_at, request.completed_at)
    cache_hit = request.cache_hit if request.cache_hit is not None else usage.cache_read_tokens > 0
    return {
        "id": request.id,
        "requested_at": request.requested_at,
        "completed_at": request.completed_at,
        "provider": provider,
        "model": model,
        "response_model": response_model,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
        "cost_microdollars": cost.cost_microdollars,
        "is_priced": cost.is_priced,
        "price_source": cost.price_source,
        "price_version": cost.price_version,
        "is_cost_explicit": cost.is_cost_explicit,
        "latency_ms": latency,
        "time_to_first_token_ms": request.time_to_first_token_ms,
        "status": request.status,
        "is_streaming": request.is_streaming,
        "cache_hit": cache_hit,
        "is_synthetic": request.is_synthetic,
        "error_message": request.error_message or None,
        "user_id": request.user_id,
        "session_id": request.session_id,
        "task_id": request.task_id,
        "context_id": request.context_id,
        "conversation_id": request.conversation_id,
        "agent_name": request.agent_name,
    }


def ai_request_activity(row: dict[str, Any]) -> SessionActivity | None:
    """What an AI request adds to its session's counters. Synthetic (evaluation) requests
    add nothing: reports leave them out by default, and a counter cannot be filtered."""
    session_id = row["session_id"]
    if session_id is None or row["is_synthetic"]:
        return None
    at = row["requested_at"]
    counters = {"ai_request_count": 1, "total_tokens": row["total_tokens"]}
    if row["cost_microdollars"]:
        counters["cost_microdollars"] = row["cost_microdollars"]
    return SessionActivity(session_id, at, at, counters=counters)


def counter_activity(session_id: str, at: datetime, counter: str) -> SessionActivity:
    """One more of ``counter`` (``task_count``, ``message_count``) for a session."""
    return SessionActivity(session_id, at, at, counters={counter: 1})


def tool_execution_row(execution: ToolExecution) -> dict[str, Any]:
    duration = execution.duration_ms
    if duration is None:
        duration = millis_between(execution.started_at, execution.completed_at)
    return {
        "id": execution.id,
        "started_at": execution.started_at,
        "completed_at": execution.completed_at,
        "tool_name": execution.tool_name,
        "server_name": execution.server_name,
        "status": execution.status,
        "duration_ms": duration,
        "error_message": execution.error_message or None,
        "agent_name": execution.agent_name,
        "task_id": execution.task_id,
        "session_id": execution.session_id,
        "user_id": execution.user_id,
        "context_id": execution.context_id,
    }


def agent_task_row(task: AgentTask) -> dict[str, Any]:
    started_at = task.first_started_at
    finished_at = task.finished_at
    duration = task.duration_ms
    if duration is None:
        duration = millis_between(started_at, finished_at)
    return {
        "id": task.id,
        "agent_name": task.agent_name,
        "status": task.status,
        "started_at": started_at,
        "completed_at": finished_at,
        "duration_ms": duration,
        "error_message": task.error_message or None,
        "user_id": task.user_id,
        "session_id": task.session_id,
        "context_id": task.context_id,
        "conversation_id": task.conversation_id,
        "updated_at": task.updated_at,
    }
