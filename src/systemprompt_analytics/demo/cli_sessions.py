"""CLI sessions: a developer's ``sp-cli`` run of commands — chats, one-shot questions, agent
runs, usage checks — each a block of API requests with AI requests attached."""

from __future__ import annotations

from systemprompt_analytics.demo.clients import user_agent_columns
from systemprompt_analytics.demo.platform import Links, Platform, pause_ms
from systemprompt_analytics.demo.platform_catalog import AGENT_WEIGHTS, AGENTS, CLI_MODELS
from systemprompt_analytics.demo.records import SessionBuilder, session_attrs
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.timeline import MS_PER_MINUTE, Window
from systemprompt_analytics.demo.users import User

COMMANDS = (("chat", 40), ("ask", 25), ("agent", 25), ("usage", 10))


class CliTraffic:
    def __init__(self, rng: DemoRandom, window: Window, platform: Platform) -> None:
        self._rng = rng
        self._limit = window.length_ms
        self._platform = platform
        self._models = Weighted(list(CLI_MODELS))
        self._commands = Weighted(list(COMMANDS))
        self._agents = Weighted(list(AGENT_WEIGHTS))

    def session(
        self, session_id: str, user: User, start_ms: int, *, first_command: str | None = None
    ) -> SessionBuilder:
        rng = self._rng
        if user.cli is None:
            raise ValueError(f"user {user.id} has no CLI installation")
        user_agent, fingerprint = user.cli
        device = user.devices[0]
        builder = SessionBuilder(
            id=session_id,
            attrs=session_attrs(
                source="cli",
                fingerprint_hash=fingerprint,
                ip=device.ip,
                country=device.country,
                region=device.region,
                city=device.city,
                locale=device.locale,
            ),
        )
        builder.attrs.update(user_agent_columns(user_agent))
        builder.user_id = user.id
        builder.request(
            start_ms, "GET", "/api/v1/me", 200, rng.lognormal_median(30, 0.4), "api", 640
        )
        t = start_ms + rng.randint(200, 3_000)
        commands = rng.geometric(4.0, high=15)
        for index in range(commands):
            if t >= self._limit:
                break
            command = first_command if index == 0 and first_command else self._commands.pick(rng)
            t = self._command(builder, user, command, t)
            t += pause_ms(rng, 60_000, 5_000, 20 * MS_PER_MINUTE)
        return builder

    def _command(self, builder: SessionBuilder, user: User, command: str, t: int) -> int:
        rng = self._rng
        platform = self._platform
        if command == "chat":
            return platform.chat(
                builder, user.id, t, self._models, streaming_share=0.7, api_path="/api/v1/chat"
            )
        if command == "long-agent":
            research = AGENTS["research-agent"]
            return platform.agent_task(builder, user.id, t, research.name, steps=research.steps[1])
        if command == "agent":
            agent = self._agents.pick(rng)
            return platform.agent_task(builder, user.id, t, agent)
        if command == "ask":
            links = Links(builder, user.id, f"ctx_{rng.uuid_hex()}")
            prompt = rng.randint(300, 12_000)
            result = platform.answer(
                self._models.pick(rng),
                t + rng.randint(5, 30),
                links,
                prompt_tokens=prompt,
                cached_prefix=0,
                output_median=450,
                streaming=rng.chance(0.6),
            )
            if result is None:
                return self._limit
            builder.request(t, "POST", "/api/v1/complete", 200, result.end_ms - t, "api",
                            400 + result.output_tokens * 4)  # fmt: skip
            return result.end_ms
        builder.request(t, "GET", "/api/v1/usage", 200, rng.lognormal_median(60, 0.4), "api", 2_400)
        return t + rng.randint(200, 2_000)

    def forced_agent_session(self, session_id: str, user: User, start_ms: int) -> SessionBuilder:
        """A CLI session that starts a long agent run just before the window end."""
        return self.session(session_id, user, start_ms, first_command="long-agent")
