"""The demo site: its pages, how visitors move between them, and where its links lead."""

from __future__ import annotations

from dataclasses import dataclass

SITE_ORIGIN = "https://demo.systemprompt.io"
# The post that reaches the Hacker News front page during the window (a traffic spike).
LAUNCH_POST = "/blog/mcp-in-production"


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    section: str  # home, marketing, pricing, docs, blog, agents, legal, auth, app
    popularity: float  # relative weight within its section
    size_kb: int

    @property
    def slug(self) -> str:
        return self.path.strip("/").replace("/", "-") or "home"

    @property
    def is_public(self) -> bool:
        return self.section != "app"


def _pages(section: str, size_kb: int, *entries: tuple[str, str, float]) -> list[Page]:
    return [Page(path, title, section, weight, size_kb) for path, title, weight in entries]


PAGES: tuple[Page, ...] = tuple(
    _pages("home", 86, ("/", "systemprompt — analytics and defence for AI platforms", 1.0))
    + _pages(
        "marketing",
        64,
        ("/features", "Features", 1.0),
        ("/about", "About us", 0.4),
        ("/customers", "Customers", 0.5),
        ("/enterprise", "Enterprise", 0.5),
        ("/security", "Security and compliance", 0.4),
        ("/integrations", "Integrations", 0.6),
        ("/integrations/github", "GitHub integration", 0.3),
        ("/integrations/slack", "Slack integration", 0.25),
        ("/integrations/postgres", "PostgreSQL integration", 0.25),
        ("/changelog", "Changelog", 0.5),
        ("/careers", "Careers", 0.2),
        ("/contact", "Contact sales", 0.3),
        ("/status", "System status", 0.2),
        ("/templates", "Agent templates", 0.4),
        ("/community", "Community", 0.2),
    )
    + _pages(
        "pricing",
        58,
        ("/pricing", "Pricing", 1.0),
        ("/pricing/compare", "Compare plans", 0.3),
    )
    + _pages(
        "docs",
        72,
        ("/docs", "Documentation", 1.0),
        ("/docs/getting-started", "Getting started", 0.9),
        ("/docs/installation", "Installation", 0.6),
        ("/docs/quickstart", "Quickstart", 0.8),
        ("/docs/authentication", "Authentication", 0.5),
        ("/docs/api-reference", "API reference", 0.7),
        ("/docs/api/sessions", "Sessions API", 0.3),
        ("/docs/api/events", "Events API", 0.3),
        ("/docs/api/ai-requests", "AI requests API", 0.35),
        ("/docs/sdk/python", "Python SDK", 0.6),
        ("/docs/sdk/typescript", "TypeScript SDK", 0.45),
        ("/docs/cli", "CLI reference", 0.4),
        ("/docs/mcp/servers", "MCP servers", 0.5),
        ("/docs/mcp/tools", "MCP tools", 0.4),
        ("/docs/agents/overview", "Agents overview", 0.5),
        ("/docs/agents/deploy", "Deploying agents", 0.35),
        ("/docs/webhooks", "Webhooks", 0.2),
        ("/docs/rate-limits", "Rate limits", 0.3),
        ("/docs/self-hosting", "Self-hosting", 0.35),
        ("/docs/faq", "FAQ", 0.3),
    )
    + _pages(
        "blog",
        95,
        ("/blog", "Blog", 0.8),
        ("/blog/introducing-agents", "Introducing agents", 0.7),
        ("/blog/mcp-in-production", "Running MCP servers in production", 1.0),
        ("/blog/prompt-caching-costs", "What prompt caching really saves", 0.8),
        ("/blog/bot-traffic-2025", "Half our traffic was bots", 0.9),
        ("/blog/claude-vs-gpt-for-support", "Claude vs GPT for support agents", 0.6),
        ("/blog/building-a-research-agent", "Building a research agent", 0.5),
        ("/blog/evals-that-matter", "Evals that matter", 0.4),
        ("/blog/ai-crawlers-robots-txt", "AI crawlers and robots.txt", 0.6),
        ("/blog/launch-week-recap", "Launch week recap", 0.35),
        ("/blog/scaling-postgres-analytics", "Scaling analytics on PostgreSQL", 0.4),
        ("/blog/first-party-analytics", "Why first-party analytics", 0.45),
    )
    + _pages(
        "agents",
        70,
        ("/agents", "Agents", 1.0),
        ("/agents/research-agent", "Research agent", 0.7),
        ("/agents/code-reviewer", "Code reviewer", 0.7),
        ("/agents/support-bot", "Support bot", 0.6),
        ("/agents/data-analyst", "Data analyst", 0.5),
        ("/agents/sql-copilot", "SQL copilot", 0.35),
        ("/agents/meeting-notes", "Meeting notes", 0.3),
        ("/agents/marketing-writer", "Marketing writer", 0.25),
    )
    + _pages(
        "legal",
        40,
        ("/privacy", "Privacy policy", 1.0),
        ("/terms", "Terms of service", 0.7),
        ("/dpa", "Data processing agreement", 0.3),
    )
    + _pages("auth", 32, ("/signup", "Sign up", 1.0), ("/login", "Log in", 1.0))
    + _pages(
        "app",
        48,
        ("/dashboard", "Dashboard", 1.0),
        ("/chat", "Chat", 1.0),
        ("/settings", "Settings", 0.3),
        ("/dashboard/usage", "Usage", 0.3),
    )
)

PAGES_BY_PATH = {page.path: page for page in PAGES}
PUBLIC_PAGES = tuple(page for page in PAGES if page.is_public)
SECTIONS = tuple(dict.fromkeys(page.section for page in PAGES))

# Where a visitor goes next, by the section they are in (weights over sections).
NEXT_SECTION: dict[str, tuple[tuple[str, float], ...]] = {
    "home": (("pricing", 24), ("docs", 20), ("agents", 20), ("blog", 14), ("marketing", 14),
             ("auth", 8)),
    "marketing": (("pricing", 28), ("home", 18), ("docs", 14), ("agents", 16), ("marketing", 18),
                  ("auth", 6)),
    "pricing": (("auth", 22), ("marketing", 24), ("docs", 18), ("home", 16), ("agents", 14),
                ("pricing", 6)),
    "docs": (("docs", 68), ("pricing", 8), ("home", 6), ("agents", 10), ("auth", 5),
             ("blog", 3)),
    "blog": (("blog", 34), ("home", 20), ("docs", 15), ("pricing", 10), ("agents", 16),
             ("auth", 5)),
    "agents": (("agents", 34), ("pricing", 20), ("docs", 20), ("home", 14), ("auth", 12)),
    "legal": (("home", 50), ("legal", 15), ("pricing", 15), ("marketing", 20)),
    "auth": (("pricing", 30), ("home", 30), ("docs", 25), ("marketing", 15)),
    "app": (("app", 70), ("docs", 20), ("agents", 10)),
}  # fmt: skip

# Stale URLs that other sites still link to: they answer 404.
BROKEN_PATHS = (
    "/docs/v1/quickstart",
    "/blog/2023/launch",
    "/docs/api/v1/events",
    "/agents/gpt-writer",
    "/pricing-old",
    "/docs/getting_started",
)

# Outbound links on the site, by section.
OUTBOUND_LINKS: dict[str, tuple[str, ...]] = {
    "docs": (
        "https://github.com/systemprompt/systemprompt-analytics",
        "https://modelcontextprotocol.io/specification",
        "https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching",
        "https://platform.openai.com/docs/guides/prompt-caching",
        "https://pypi.org/project/systemprompt-analytics/",
    ),
    "blog": (
        "https://github.com/systemprompt/systemprompt-analytics",
        "https://news.ycombinator.com/item?id=42127384",
        "https://github.com/monperrus/crawler-user-agents",
        "https://platform.openai.com/docs/bots",
        "https://arxiv.org/abs/2404.05961",
    ),
    "agents": (
        "https://github.com/systemprompt/agent-templates",
        "https://modelcontextprotocol.io/examples",
    ),
    "home": (
        "https://github.com/systemprompt/systemprompt-analytics",
        "https://x.com/systemprompt",
        "https://www.linkedin.com/company/systemprompt",
    ),
}
