"""The facade's methods for platform facts (mixed into :class:`~systemprompt_analytics.Analytics`).

Each takes a record or a mapping of its fields (validated the same way as the HTTP
endpoints' items; a bad value raises :class:`InvalidInputError` naming the field)::

    analytics.record_ai_request({"id": "req_1", "provider": "anthropic",
                                 "model": "claude-sonnet-4-5", "input_tokens": 1200,
                                 "output_tokens": 300, "session_id": session_id})

See docs/ingestion.md for every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from systemprompt_analytics.platform.recorder import PlatformRecorder
from systemprompt_analytics.platform.records import (
    AgentTask,
    AIRequest,
    CliSession,
    Conversation,
    Message,
    ToolExecution,
    UserIdentity,
)
from systemprompt_analytics.platform.validation import validated


class PlatformAPI:
    platform: PlatformRecorder

    def record_ai_request(self, request: AIRequest | Mapping[str, Any]) -> bool:
        """Report an AI request. Its cost is computed with genai-prices unless
        ``cost_microdollars`` is given; an unknown model is stored unpriced. Queued for the
        writer: False when the queue is full (nothing stored; report it again)."""
        return not self.platform.record_ai_requests([validated(AIRequest, request)])

    def record_tool_execution(self, execution: ToolExecution | Mapping[str, Any]) -> bool:
        """Report an MCP tool execution. Queued like :meth:`record_ai_request`."""
        return not self.platform.record_tool_executions([validated(ToolExecution, execution)])

    def record_agent_task(self, task: AgentTask | Mapping[str, Any]) -> None:
        """Report an agent task's status (again at each change, with the same id)."""
        self.platform.record_agent_tasks([validated(AgentTask, task)])

    def record_conversation(self, conversation: Conversation | Mapping[str, Any]) -> None:
        """Report a conversation's details (user, session, agent, title, start)."""
        self.platform.record_conversations([validated(Conversation, conversation)])

    def record_message(self, message: Message | Mapping[str, Any]) -> None:
        """Report a message of a conversation."""
        self.platform.record_messages([validated(Message, message)])

    def identify_user(self, identity: UserIdentity | Mapping[str, Any]) -> None:
        """Say who a user is: anonymous or registered, names, traits (merged)."""
        self.platform.identify_users([validated(UserIdentity, identity)])

    def record_cli_session(self, session: CliSession | Mapping[str, Any]) -> None:
        """Report a CLI session (stored as a session with source ``cli``)."""
        self.platform.record_cli_sessions([validated(CliSession, session)])
