"""The platform facts a host reports, as validated records (pydantic v2).

One record type per fact: :class:`AIRequest`, :class:`ToolExecution`, :class:`AgentTask`,
:class:`Conversation`, :class:`Message`, :class:`UserIdentity` and :class:`CliSession`. Each
is what the Python API takes and what one item of an HTTP ingestion body holds (JSON with
the same field names). Unknown fields are refused, so a misspelt field is an error that
names it rather than a value silently lost. Token kinds are those of
:mod:`systemprompt_analytics.pricing`.

Every record carries the host's id: reporting the same id again (a retry) stores it once.
Times default to the moment the record is made; give them when reporting after the fact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from systemprompt_analytics.platform.fields import (
    MAX_INT32,
    Content,
    CountryCode,
    DisplayName,
    Email,
    ErrorText,
    Id,
    Int32,
    Locale,
    LongMillis,
    Microdollars,
    Millis,
    Name,
    Provider,
    Timestamp,
    Title,
    TokenCount,
    Traits,
    UserAgent,
    UserId,
    utc_now,
)
from systemprompt_analytics.platform.validation import FieldError
from systemprompt_analytics.pricing import TokenUsage, normalise_model_ref

AIRequestStatus = Literal["success", "error", "timeout", "canceled"]
ToolStatus = Literal["success", "failed", "timeout"]
AgentTaskStatus = Literal[
    "submitted", "working", "input_required", "completed", "failed", "canceled", "rejected"
]
TERMINAL_TASK_STATUSES: frozenset[str] = frozenset(("completed", "failed", "canceled", "rejected"))
MessageRole = Literal["user", "assistant", "system", "tool"]
MAX_INT32_SPAN = timedelta(milliseconds=MAX_INT32)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_before(
    later: datetime | None, earlier: datetime, later_name: str, earlier_name: str
) -> None:
    if later is not None and later < earlier:
        raise FieldError(later_name, f"must not be before {earlier_name}")


def _within_int32_millis(
    later: datetime | None, earlier: datetime, later_name: str, earlier_name: str
) -> None:
    """The derived latency/duration column is a 32-bit count of milliseconds (24.8 days)."""
    if later is not None and later - earlier > MAX_INT32_SPAN:
        raise FieldError(later_name, f"must be within 24 days of {earlier_name}")


class AIRequest(_Record):
    """One call to a model. Cost is computed from the token counts with genai-prices unless
    ``cost_microdollars`` is given (the host's own figure wins and is never repriced)."""

    id: Id
    provider: Provider | None = Field(
        None, description="e.g. anthropic; optional when the model has a provider prefix"
    )
    model: Name = Field(description="the model asked for, e.g. claude-sonnet-4-5")
    response_model: Name | None = Field(None, description="the model that answered")
    requested_at: Timestamp = Field(default_factory=utc_now)
    completed_at: Timestamp | None = None
    input_tokens: TokenCount = Field(0, description="prompt tokens not served from the cache")
    output_tokens: TokenCount = Field(0, description="completion tokens, without reasoning")
    cache_read_tokens: TokenCount = 0
    cache_write_tokens: TokenCount = 0
    reasoning_tokens: TokenCount = 0
    cost_microdollars: Microdollars | None = Field(
        None, description="explicit cost (1 USD = 1,000,000); computed when absent"
    )
    latency_ms: Millis | None = Field(None, description="defaults to completed_at - requested_at")
    time_to_first_token_ms: Millis | None = None
    status: AIRequestStatus = "success"
    is_streaming: bool = False
    cache_hit: bool | None = Field(None, description="defaults to cache_read_tokens > 0")
    is_synthetic: bool = Field(False, description="an evaluation run: excluded from reports")
    error_message: ErrorText | None = None
    user_id: UserId | None = None
    session_id: Id | None = None
    task_id: Id | None = None
    context_id: Id | None = None
    conversation_id: Id | None = None
    agent_name: Name | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AIRequest:
        provider, _ = normalise_model_ref(self.provider, self.model)
        if provider is None:
            raise FieldError(
                "provider", "required unless the model names it (e.g. anthropic/claude-sonnet-4-5)"
            )
        _not_before(self.completed_at, self.requested_at, "completed_at", "requested_at")
        _within_int32_millis(self.completed_at, self.requested_at, "completed_at", "requested_at")
        if (
            self.time_to_first_token_ms is not None
            and self.latency_ms is not None
            and self.time_to_first_token_ms > self.latency_ms
        ):
            raise FieldError("time_to_first_token_ms", "must not exceed latency_ms")
        return self

    @property
    def usage(self) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens,
        )


class ToolExecution(_Record):
    """One MCP tool call."""

    id: Id
    tool_name: Name
    server_name: Name | None = Field(None, description="the MCP server that ran the tool")
    status: ToolStatus = "success"
    started_at: Timestamp = Field(default_factory=utc_now)
    completed_at: Timestamp | None = None
    duration_ms: Millis | None = Field(None, description="defaults to completed_at - started_at")
    error_message: ErrorText | None = None
    agent_name: Name | None = None
    task_id: Id | None = None
    session_id: Id | None = None
    user_id: UserId | None = None
    context_id: Id | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ToolExecution:
        _not_before(self.completed_at, self.started_at, "completed_at", "started_at")
        _within_int32_millis(self.completed_at, self.started_at, "completed_at", "started_at")
        return self


class AgentTask(_Record):
    """An agent task's state. Report it again at each status change (same id): a task moves
    submitted → working ⇄ input_required → completed / failed / canceled / rejected; a
    finished task stays finished, and a report older than the stored one changes nothing."""

    id: Id
    agent_name: Name
    status: AgentTaskStatus = "submitted"
    updated_at: Timestamp = Field(
        default_factory=utc_now, description="when the task reached this status"
    )
    started_at: Timestamp | None = Field(
        None, description="defaults to updated_at when the task is first reported"
    )
    completed_at: Timestamp | None = Field(
        None, description="only for a finished task; defaults to updated_at"
    )
    duration_ms: LongMillis | None = Field(
        None, description="defaults to completed_at - started_at"
    )
    error_message: ErrorText | None = None
    user_id: UserId | None = None
    session_id: Id | None = None
    context_id: Id | None = None
    conversation_id: Id | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AgentTask:
        for name in ("completed_at", "duration_ms"):
            if getattr(self, name) is not None and not self.finished:
                raise FieldError(name, f"only a finished task has one, not a {self.status} one")
        if self.started_at is not None:
            _not_before(self.completed_at, self.started_at, "completed_at", "started_at")
        return self

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_TASK_STATUSES

    @property
    def first_started_at(self) -> datetime:
        """The start to store for a task reported for the first time."""
        return self.started_at or self.updated_at

    @property
    def finished_at(self) -> datetime | None:
        if not self.finished:
            return None
        return self.completed_at or self.updated_at


class Conversation(_Record):
    """A conversation's details; its message count and last message time follow from the
    messages reported for it."""

    id: Id
    user_id: UserId | None = None
    session_id: Id | None = None
    agent_name: Name | None = None
    title: Title | None = None
    started_at: Timestamp = Field(default_factory=utc_now)


class Message(_Record):
    """One message of a conversation (the conversation is created if it was not reported)."""

    id: Id
    conversation_id: Id
    role: MessageRole
    created_at: Timestamp = Field(default_factory=utc_now)
    token_count: Int32 | None = None
    content: Content | None = Field(None, description="optional: the shape alone is enough")
    session_id: Id | None = Field(
        None, description="whose message count to raise; defaults to the conversation's"
    )


class UserIdentity(_Record):
    """``identify``: who a user is. Traits merge into the stored ones (a trait given again
    replaces its value); a registered user never becomes anonymous again."""

    id: UserId
    anonymous: bool = False
    traits: Traits | None = None
    display_name: DisplayName | None = None
    email: Email | None = None
    seen_at: Timestamp = Field(default_factory=utc_now, description="when the user was active")
    registered_at: Timestamp | None = Field(
        None, description="when the user registered; defaults to seen_at for a registered user"
    )

    @model_validator(mode="after")
    def _consistent(self) -> UserIdentity:
        if self.anonymous and self.registered_at is not None:
            raise FieldError("registered_at", "an anonymous user has not registered")
        return self


class CliSession(_Record):
    """A CLI session (e.g. one ``sp-cli`` run): stored as a session with source ``cli``; the
    AI requests, tasks and messages reported with its id count towards it. Report it again
    (same id) to add its end."""

    id: Id
    user_id: UserId | None = None
    started_at: Timestamp | None = Field(
        None, description="defaults to the earliest time given, or now"
    )
    last_activity_at: Timestamp | None = Field(None, description="defaults to ended_at")
    ended_at: Timestamp | None = None
    user_agent: UserAgent | None = Field(None, description="e.g. sp-cli/1.4.2 (linux; x86_64)")
    locale: Locale | None = None
    country: CountryCode | None = Field(None, description="ISO 3166-1 alpha-2")

    @model_validator(mode="after")
    def _consistent(self) -> CliSession:
        if self.started_at is not None:
            _not_before(self.last_activity_at, self.started_at, "last_activity_at", "started_at")
            _not_before(self.ended_at, self.started_at, "ended_at", "started_at")
        return self

    @property
    def moments(self) -> list[datetime]:
        """The times given, or now when none is."""
        given = [self.started_at, self.last_activity_at, self.ended_at]
        return [moment for moment in given if moment is not None] or [utc_now()]
