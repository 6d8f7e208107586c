"""Platform facts the host reports — AI requests, tool executions, agent tasks, conversations,
messages, users, CLI sessions — as validated records, stored through the facade
(``Analytics.record_ai_request`` …), HTTP or OpenTelemetry. See docs/ingestion.md."""

from systemprompt_analytics.platform.records import (
    AgentTask,
    AIRequest,
    CliSession,
    Conversation,
    Message,
    ToolExecution,
    UserIdentity,
)

__all__ = [
    "AIRequest",
    "AgentTask",
    "CliSession",
    "Conversation",
    "Message",
    "ToolExecution",
    "UserIdentity",
]
