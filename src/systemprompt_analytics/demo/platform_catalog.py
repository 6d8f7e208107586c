"""What the platform runs: AI models with their latency, agents, MCP tools, CLI builds and
the errors each of them produces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    provider: str
    name: str
    response_model: str
    latency_median_ms: float  # for a typical reply
    ms_per_output_token: float
    ttft_median_ms: float
    cache: str  # "explicit" (cache writes billed), "implicit" (reads only), "none"
    reasoning: bool
    errors: tuple[str, ...]


_ANTHROPIC_ERRORS = (
    "overloaded_error: Overloaded",
    "rate_limit_error: Number of request tokens has exceeded your per-minute rate limit",
    "api_error: Internal server error",
)
_OPENAI_ERRORS = (
    "429 Too Many Requests: Rate limit reached for requests",
    "500 The server had an error while processing your request",
    "context_length_exceeded: This model's maximum context length is 128000 tokens",
)
_GOOGLE_ERRORS = (
    "429 RESOURCE_EXHAUSTED: Quota exceeded",
    "503 UNAVAILABLE: The model is overloaded. Please try again later.",
)

MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 3200, 18, 900,
              "explicit", False, _ANTHROPIC_ERRORS),
        Model("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 1300, 7, 450,
              "explicit", False, _ANTHROPIC_ERRORS),
        Model("anthropic", "claude-opus-4-1", "claude-opus-4-1-20250805", 7500, 35, 1800,
              "explicit", False, _ANTHROPIC_ERRORS),
        Model("openai", "gpt-4o", "gpt-4o-2024-08-06", 2600, 12, 600, "implicit", False,
              _OPENAI_ERRORS),
        Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 1500, 7, 420, "implicit", False,
              _OPENAI_ERRORS),
        Model("openai", "o3-mini", "o3-mini-2025-01-31", 7000, 10, 4200, "implicit", True,
              _OPENAI_ERRORS),
        Model("google", "gemini-2.5-flash", "gemini-2.5-flash", 1600, 5, 500, "implicit", False,
              _GOOGLE_ERRORS),
        Model("google", "gemini-2.5-pro", "gemini-2.5-pro", 8000, 14, 3500, "implicit", True,
              _GOOGLE_ERRORS),
        # A self-hosted model genai-prices does not know: stored unpriced, never guessed.
        Model("acme", "acme-llm-2", "acme-llm-2.1", 4500, 20, 1200, "none", False,
              ("upstream connect error or disconnect/reset before headers",)),
    )
}  # fmt: skip

# Which models answer in each kind of use.
CHAT_MODELS = (
    ("claude-sonnet-4-5", 32), ("claude-haiku-4-5", 14), ("gpt-4o", 15), ("gpt-4o-mini", 14),
    ("gemini-2.5-flash", 11), ("gemini-2.5-pro", 4), ("claude-opus-4-1", 2.5), ("o3-mini", 3),
    ("acme-llm-2", 4.5),
)  # fmt: skip
FREE_CHAT_MODELS = (("claude-haiku-4-5", 45), ("gpt-4o-mini", 35), ("gemini-2.5-flash", 20))
CLI_MODELS = (
    ("claude-sonnet-4-5", 45), ("claude-opus-4-1", 8), ("gpt-4o", 15), ("o3-mini", 10),
    ("gemini-2.5-pro", 10), ("claude-haiku-4-5", 8), ("acme-llm-2", 4),
)  # fmt: skip


@dataclass(frozen=True)
class Tool:
    server: str
    name: str  # qualified: <server>.<tool>
    median_ms: float
    failure_rate: float
    timeout_rate: float
    errors: tuple[str, ...]


TOOL_TIMEOUT_MS = 30_000

TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool("github", "github.create_issue", 900, 0.05, 0.01,
             ("GitHub API error 422: Validation Failed", "GitHub API error 403: Resource not "
              "accessible by integration")),
        Tool("github", "github.list_pull_requests", 450, 0.03, 0.01,
             ("GitHub API error 404: Not Found",)),
        Tool("github", "github.get_file_contents", 350, 0.06, 0.01,
             ("GitHub API error 404: Not Found",)),
        Tool("filesystem", "filesystem.read_file", 12, 0.05, 0.0,
             ("ENOENT: no such file or directory, open '/workspace/config.yaml'",
              "EACCES: permission denied, open '/workspace/.env'")),
        Tool("filesystem", "filesystem.list_directory", 8, 0.02, 0.0,
             ("ENOENT: no such file or directory, scandir '/workspace/build'",)),
        Tool("web", "web.search", 1300, 0.04, 0.03,
             ("search backend returned 502 Bad Gateway",)),
        # The flaky one: third-party sites time out and refuse the fetcher.
        Tool("web", "web.fetch", 2600, 0.20, 0.13,
             ("fetch failed: 503 Service Unavailable", "fetch failed: 403 Forbidden",
              "fetch failed: certificate has expired")),
        Tool("postgres", "postgres.query", 140, 0.08, 0.04,
             ("canceling statement due to statement timeout",
              'relation "orders_2024" does not exist', "permission denied for table users")),
        Tool("postgres", "postgres.list_tables", 40, 0.01, 0.0,
             ("connection to server was lost",)),
        Tool("slack", "slack.post_message", 380, 0.05, 0.01,
             ("slack API error: channel_not_found", "slack API error: not_in_channel")),
        Tool("slack", "slack.search_messages", 700, 0.04, 0.02,
             ("slack API error: ratelimited",)),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Agent:
    name: str
    models: tuple[tuple[str, float], ...]
    tools: tuple[tuple[str, float], ...]
    steps: tuple[int, int]  # model calls per task
    think_ms: tuple[int, int]  # pause between steps
    failure_rate: float
    cancel_rate: float
    prompts: tuple[str, ...]


AGENTS: dict[str, Agent] = {
    agent.name: agent
    for agent in (
        Agent("research-agent", (("claude-sonnet-4-5", 60), ("gemini-2.5-pro", 30),
                                 ("claude-opus-4-1", 10)),
              (("web.search", 45), ("web.fetch", 45), ("filesystem.read_file", 10)),
              (3, 10), (300, 3000), 0.08, 0.04,
              ("Compare pricing of the top five vector databases",
               "Summarise recent papers on speculative decoding",
               "What changed in the MCP specification this year?")),
        Agent("code-reviewer",
              (("claude-sonnet-4-5", 60), ("o3-mini", 25), ("claude-opus-4-1", 15)),
              (("github.get_file_contents", 45), ("github.list_pull_requests", 20),
               ("github.create_issue", 15), ("filesystem.read_file", 20)),
              (2, 8), (200, 2000), 0.06, 0.05,
              ("Review pull request #482", "Check the new rate limiter for race conditions",
               "Review the migration in PR #517")),
        Agent("support-bot", (("claude-haiku-4-5", 60), ("gpt-4o-mini", 40)),
              (("slack.search_messages", 30), ("slack.post_message", 40), ("web.search", 30)),
              (1, 4), (100, 800), 0.04, 0.02,
              ("Customer asks how to rotate API keys", "Why is my webhook not firing?",
               "Refund request for order 18231")),
        Agent("data-analyst", (("gpt-4o", 50), ("o3-mini", 30), ("gemini-2.5-flash", 20)),
              (("postgres.query", 70), ("postgres.list_tables", 20), ("filesystem.read_file", 10)),
              (2, 9), (200, 2500), 0.10, 0.03,
              ("Weekly active users by plan for the last quarter",
               "Which customers churned after the price change?",
               "Top 10 agents by cost this month")),
    )
}  # fmt: skip

AGENT_WEIGHTS = (("research-agent", 30), ("code-reviewer", 28), ("support-bot", 24),
                 ("data-analyst", 18))  # fmt: skip

AGENT_FAILURES = (
    "Tool web.fetch failed 3 times in a row",
    "Model provider error: overloaded",
    "Max iterations (25) exceeded",
    "Context window exceeded while summarising tool output",
    "Tool postgres.query: permission denied for table users",
)

CHAT_TITLES = (
    "Draft a launch announcement", "Explain prompt caching", "Fix failing pytest fixture",
    "SQL for monthly revenue", "Summarise this PDF", "Regex for ISO dates",
    "Onboarding email sequence", "Compare Claude and GPT for support", "Kubernetes liveness probe",
    "Refactor the billing module", "Translate release notes to German", "Plan a team offsite",
    "Debug CORS error", "Write unit tests for the parser", "Postgres index advice",
    "Name ideas for a CLI", "Explain MCP servers", "Cost estimate for 1M requests",
)  # fmt: skip

FIRST_PROMPTS = (
    "Can you help me draft a short announcement for our new agents feature?",
    "How does prompt caching change what I pay per request?",
    "My pytest fixture fails with 'database is locked' on SQLite, why?",
    "Write a SQL query for monthly revenue by plan.",
    "Summarise the attached document in five bullet points.",
    "What is a good regex for ISO 8601 dates?",
    "Compare Claude and GPT for a customer support bot.",
    "How do I add a liveness probe to this deployment?",
)

CLI_USER_AGENTS = (
    ("sp-cli/1.4.2 (linux; x86_64)", 30),
    ("sp-cli/1.4.2 (darwin; arm64)", 38),
    ("sp-cli/1.4.1 (darwin; arm64)", 10),
    ("sp-cli/1.4.2 (Windows NT 10.0; x86_64)", 10),
    ("sp-cli/1.3.0 (linux; x86_64)", 8),
    ("sp-cli/1.4.2 (linux; aarch64)", 4),
)
