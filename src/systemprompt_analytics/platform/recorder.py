"""PlatformRecorder: stores validated platform records, single or in batches.

AI requests and tool executions — the high-volume, append-only facts — are queued on the
batching writer with their session counters (ai_request_count, total_tokens,
cost_microdollars); the writer appends each id once (``storage/bulk.py``). Agent tasks,
conversations, messages, users and CLI sessions are upserts written directly in one short
transaction per call (``platform/store.py`` says why); the session counters they raise
(task_count, message_count) still go through the writer, and only when the fact is new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from systemprompt_analytics.errors import StorageError
from systemprompt_analytics.ingest.recent_ids import RecentIds
from systemprompt_analytics.ingest.writer import BatchWriter
from systemprompt_analytics.platform.costing import (
    StoredCost,
    computed_cost,
    explicit_cost,
    model_ref,
)
from systemprompt_analytics.platform.records import (
    AgentTask,
    AIRequest,
    CliSession,
    Conversation,
    Message,
    ToolExecution,
    UserIdentity,
)
from systemprompt_analytics.platform.rows import (
    ai_request_activity,
    ai_request_row,
    counter_activity,
    tool_execution_row,
)
from systemprompt_analytics.platform.store import (
    store_agent_task,
    store_cli_session,
    store_conversation,
    store_identity,
    store_message,
)
from systemprompt_analytics.pricing import PriceBook
from systemprompt_analytics.storage.schema import ai_requests, tool_executions
from systemprompt_analytics.storage.write_lock import begin_writing


class PlatformRecorder:
    def __init__(
        self,
        engine: Engine,
        writer: BatchWriter,
        *,
        prepare: Callable[[], object] = lambda: None,
        prices: PriceBook | None = None,
        recent: RecentIds | None = None,
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._prepare = prepare  # starts the writer thread on first use
        self._prices = prices or PriceBook()
        self._recent = recent or RecentIds()

    # -- through the writer ------------------------------------------------------------------

    def cost_of(self, request: AIRequest) -> StoredCost:
        """The host's cost when given, else genai-prices' price at the request's time."""
        if request.cost_microdollars is not None:
            return explicit_cost(request.cost_microdollars)
        provider, model = model_ref(request.provider, request.model)
        return computed_cost(
            self._prices,
            provider,
            model,
            request.response_model,
            request.usage,
            request.requested_at,
        )

    def record_ai_requests(self, requests: Sequence[AIRequest]) -> list[int]:
        """Queue the requests; the positions of those the writer had no room for (nothing
        of them is stored: report them again). A request this process queued lately is
        taken as queued again, without counting twice."""
        self._prepare()
        refused = []
        for index, request in enumerate(requests):
            key = f"{ai_requests.name}:{request.id}"
            if not self._recent.claim(key):
                continue
            row = ai_request_row(request, self.cost_of(request))
            if not self._writer.submit(ai_request_activity(row), ai_requests, row):
                self._recent.release(key)
                refused.append(index)
        return refused

    def record_tool_executions(self, executions: Sequence[ToolExecution]) -> list[int]:
        """Like :meth:`record_ai_requests`, for tool executions (no session counter)."""
        self._prepare()
        refused = []
        for index, execution in enumerate(executions):
            key = f"{tool_executions.name}:{execution.id}"
            if not self._recent.claim(key):
                continue
            if not self._writer.submit(None, tool_executions, tool_execution_row(execution)):
                self._recent.release(key)
                refused.append(index)
        return refused

    # -- direct upserts ----------------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                # The upserts read before they write: on SQLite, a batch the writer commits
                # in between would fail the write at once ("database is locked").
                begin_writing(conn)
                yield conn
        except DBAPIError as exc:
            detail = str(exc.orig or exc).strip().splitlines()[0]
            raise StorageError(f"could not store {what}: {detail}") from exc

    def record_agent_tasks(self, tasks: Sequence[AgentTask]) -> None:
        self._prepare()
        with self._transaction("agent tasks") as conn:
            outcomes = [store_agent_task(conn, task) for task in tasks]
        for task, stored in zip(tasks, outcomes, strict=True):
            if stored.new and stored.session_id is not None:
                self._writer.submit(
                    counter_activity(stored.session_id, task.first_started_at, "task_count")
                )

    def record_conversations(self, conversations: Sequence[Conversation]) -> None:
        with self._transaction("conversations") as conn:
            for conversation in conversations:
                store_conversation(conn, conversation)

    def record_messages(self, messages: Sequence[Message]) -> None:
        self._prepare()
        with self._transaction("messages") as conn:
            outcomes = [store_message(conn, message) for message in messages]
        for message, stored in zip(messages, outcomes, strict=True):
            if stored.new and stored.session_id is not None:
                self._writer.submit(
                    counter_activity(stored.session_id, message.created_at, "message_count")
                )

    def identify_users(self, identities: Sequence[UserIdentity]) -> None:
        with self._transaction("users") as conn:
            for identity in identities:
                store_identity(conn, identity)

    def record_cli_sessions(self, cli_sessions: Sequence[CliSession]) -> None:
        with self._transaction("CLI sessions") as conn:
            for session in cli_sessions:
                store_cli_session(conn, session)
