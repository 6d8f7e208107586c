"""Platform activity: AI requests (tokens, latency, cost), MCP tool executions, agent tasks and
conversations, generated as blocks inside a session (web chat, agent runs, CLI commands) or
on their own (nightly evaluation runs).

Hosts report a fact when it completes, so an AI request or tool call still in flight at the
window end is not generated; an agent task is reported when it starts, so one still running
at the end stays ``working``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from systemprompt_analytics.demo.platform_catalog import (
    AGENT_FAILURES,
    AGENTS,
    CHAT_TITLES,
    FIRST_PROMPTS,
    MODELS,
    TOOL_TIMEOUT_MS,
    TOOLS,
    Agent,
)
from systemprompt_analytics.demo.records import Dataset, Row, SessionBuilder
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.timeline import MS_PER_MINUTE, Window
from systemprompt_analytics.pricing import PriceBook, TokenUsage

# Prompts stay below every model's first price tier (200k tokens) and context limit.
MAX_PROMPT_TOKENS = 150_000
CACHE_TTL_MS = 5 * MS_PER_MINUTE
IMPLICIT_CACHE_MIN_TOKENS = 1024
ERROR_RATE = 0.025


@dataclass(frozen=True)
class Links:
    """What an AI request or tool execution belongs to."""

    session: SessionBuilder | None
    user_id: str | None
    context_id: str
    agent_name: str | None = None
    task_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class CallResult:
    end_ms: int
    output_tokens: int
    ok: bool


class Platform:
    def __init__(self, rng: DemoRandom, window: Window, data: Dataset, prices: PriceBook) -> None:
        self._rng = rng
        self._window = window
        self._limit = window.length_ms
        self._prices = prices
        self._ai = data.table("ai_requests")
        self._tools = data.table("tool_executions")
        self._tasks = data.table("agent_tasks")
        self._conversations = data.table("conversations")
        self._messages = data.table("conversation_messages")
        self._agent_models = {name: Weighted(list(agent.models)) for name, agent in AGENTS.items()}
        self._agent_tools = {name: Weighted(list(agent.tools)) for name, agent in AGENTS.items()}

    # ----------------------------------------------------------------------------------
    # Single facts
    # ----------------------------------------------------------------------------------
    def ai_call(
        self,
        model_name: str,
        at_ms: int,
        links: Links,
        *,
        prompt_tokens: int,
        cached_prefix: int,
        output_median: float,
        streaming: bool,
        synthetic: bool = False,
        may_fail: bool = True,
    ) -> CallResult | None:
        """One AI request; None when it would still be running at the window end."""
        rng = self._rng
        model = MODELS[model_name]
        prompt = max(1, min(prompt_tokens, MAX_PROMPT_TOKENS))
        cached_prefix = min(cached_prefix, prompt)
        error_rate = ERROR_RATE * (2 if model.provider == "acme" else 1)
        failed = may_fail and rng.chance(error_rate)
        cache_read = cache_write = output = reasoning = 0
        ttft: int | None
        if failed:
            uncached = 0
            if rng.chance(0.5):
                latency = int(rng.uniform(200, 1500))
            else:
                latency = int(rng.uniform(20_000, 60_000))
            ttft = None
        else:
            if (
                model.cache == "explicit"
                and prompt >= IMPLICIT_CACHE_MIN_TOKENS
                and rng.chance(0.8)
            ):
                cache_read = cached_prefix if rng.chance(0.92) else 0
                tail = min(prompt - cache_read, rng.randint(3, 40))
                cache_write = prompt - cache_read - tail
                uncached = tail
            elif (
                model.cache == "implicit"
                and cached_prefix >= IMPLICIT_CACHE_MIN_TOKENS
                and rng.chance(0.75)
            ):
                cache_read = cached_prefix // 128 * 128
                uncached = prompt - cache_read
            else:
                uncached = prompt
            output = max(5, min(int(rng.lognormal_median(output_median, 0.7)), 8000))
            if model.reasoning:
                reasoning = max(64, min(int(rng.lognormal_median(900, 0.8)), 20_000))
            think_ms = reasoning * model.ms_per_output_token * 0.6
            ttft = int(rng.lognormal_median(model.ttft_median_ms, 0.35) + think_ms + prompt * 0.01)
            latency = ttft + int(output * model.ms_per_output_token * rng.lognormal_median(1, 0.25))
        end_ms = at_ms + latency
        if end_ms >= self._limit:
            return None
        usage = TokenUsage(
            input_tokens=uncached,
            output_tokens=output,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            reasoning_tokens=reasoning,
        )
        requested_at = self._window.at(at_ms)
        price = self._prices.price(model.provider, model.name, usage, requested_at)
        cost = price.cost_microdollars if price is not None else None
        session = links.session
        self._ai.append(
            {
                "id": f"air_{rng.uuid_hex()}",
                "requested_at": requested_at,
                "completed_at": self._window.at(end_ms),
                "provider": model.provider,
                "model": model.name,
                "response_model": None if failed else model.response_model,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cache_read_tokens": usage.cache_read_tokens,
                "cache_write_tokens": usage.cache_write_tokens,
                "reasoning_tokens": usage.reasoning_tokens,
                "total_tokens": usage.total_tokens,
                "cost_microdollars": cost,
                "is_priced": price is not None,
                "price_source": price.price_source if price is not None else None,
                "price_version": price.price_version if price is not None else None,
                "latency_ms": latency,
                "time_to_first_token_ms": ttft if streaming else None,
                "status": "error" if failed else "success",
                "is_streaming": streaming,
                "cache_hit": cache_read > 0,
                "is_synthetic": synthetic,
                "error_message": rng.choice(model.errors) if failed else None,
                "user_id": links.user_id,
                "session_id": session.id if session is not None else None,
                "task_id": links.task_id,
                "context_id": links.context_id,
                "conversation_id": links.conversation_id,
                "agent_name": links.agent_name,
            }
        )
        if session is not None:
            session.count_ai_request(usage.total_tokens, cost)
        return CallResult(end_ms=end_ms, output_tokens=output, ok=not failed)

    def answer(
        self,
        model_name: str,
        at_ms: int,
        links: Links,
        *,
        prompt_tokens: int,
        cached_prefix: int,
        output_median: float,
        streaming: bool,
    ) -> CallResult | None:
        """An AI request that is retried once after an error, as clients do."""
        result = self.ai_call(
            model_name,
            at_ms,
            links,
            prompt_tokens=prompt_tokens,
            cached_prefix=cached_prefix,
            output_median=output_median,
            streaming=streaming,
        )
        if result is None or result.ok:
            return result
        return self.ai_call(
            model_name,
            result.end_ms + self._rng.randint(500, 2500),
            links,
            prompt_tokens=prompt_tokens,
            cached_prefix=cached_prefix,
            output_median=output_median,
            streaming=streaming,
            may_fail=False,
        )

    def tool_call(self, tool_name: str, at_ms: int, links: Links) -> tuple[int, str] | None:
        """One MCP tool execution: (end ms, status), or None if still running at the end."""
        rng = self._rng
        tool = TOOLS[tool_name]
        roll = rng.random()
        error: str | None = None
        if roll < tool.timeout_rate:
            status = "timeout"
            duration = TOOL_TIMEOUT_MS + rng.randint(0, 250)
            error = f"Tool call timed out after {TOOL_TIMEOUT_MS} ms"
        elif roll < tool.timeout_rate + tool.failure_rate:
            status = "failed"
            duration = max(1, int(rng.lognormal_median(tool.median_ms * 0.6, 0.8)))
            error = rng.choice(tool.errors)
        else:
            status = "success"
            duration = max(1, min(int(rng.lognormal_median(tool.median_ms, 0.8)), 25_000))
        end_ms = at_ms + duration
        if end_ms >= self._limit:
            return None
        session = links.session
        self._tools.append(
            {
                "id": f"tool_{rng.uuid_hex()}",
                "started_at": self._window.at(at_ms),
                "completed_at": self._window.at(end_ms),
                "tool_name": tool.name,
                "server_name": tool.server,
                "status": status,
                "duration_ms": duration,
                "error_message": error,
                "agent_name": links.agent_name,
                "task_id": links.task_id,
                "session_id": session.id if session is not None else None,
                "user_id": links.user_id,
                "context_id": links.context_id,
            }
        )
        return end_ms, status

    # ----------------------------------------------------------------------------------
    # Blocks of activity
    # ----------------------------------------------------------------------------------
    def chat(
        self,
        session: SessionBuilder | None,
        user_id: str | None,
        start_ms: int,
        models: Weighted[str],
        *,
        streaming_share: float,
        api_path: str = "/api/v1/chat",
    ) -> int:
        """A conversation: alternating user and assistant messages, one answer per turn.

        Returns when the user is done with it (the end of the block).
        """
        rng = self._rng
        conversation_id = f"conv_{rng.uuid_hex()}"
        links = Links(session, user_id, f"ctx_{rng.uuid_hex()}", conversation_id=conversation_id)
        model = models.pick(rng)
        streaming = rng.chance(streaming_share)
        # A few long ones (40-80 messages); most are a handful of turns.
        turns = rng.randint(20, 40) if rng.chance(0.03) else rng.geometric(3.5, high=15)
        system = rng.randint(1200, 2600)
        history = 0
        last_call_end: int | None = None
        last_prompt = 0  # the provider caches prompts, so the next turn can reuse this one
        t = start_ms + int(rng.lognormal_median(12_000, 0.7))
        messages: list[Row] = []
        for turn in range(turns):
            if t >= self._limit:
                break
            user_tokens = max(4, min(int(rng.lognormal_median(70, 0.9)), 3000))
            messages.append(
                self._message(
                    conversation_id, "user", t, user_tokens,
                    rng.choice(FIRST_PROMPTS) if turn == 0 else None,
                )
            )  # fmt: skip
            warm = last_call_end is not None and t - last_call_end < CACHE_TTL_MS
            prefix = last_prompt if warm else (system if rng.chance(0.5) else 0)
            call_at = t + rng.randint(8, 40)
            if rng.chance(0.08):
                result = self._answer_with_tool(
                    model, call_at, links, system + history + user_tokens, prefix, streaming
                )
            else:
                result = self.answer(
                    model,
                    call_at,
                    links,
                    prompt_tokens=system + history + user_tokens,
                    cached_prefix=prefix,
                    output_median=320,
                    streaming=streaming,
                )
            if result is None:
                return self._limit  # the answer is still being written at the window end
            if session is not None:
                session.request(
                    t,
                    "POST",
                    api_path,
                    200,
                    result.end_ms - t,
                    "api",
                    400 + result.output_tokens * 4,
                )
            messages.append(
                self._message(conversation_id, "assistant", result.end_ms, result.output_tokens)
            )
            last_prompt = system + history + user_tokens
            history += user_tokens + result.output_tokens
            last_call_end = result.end_ms
            t = result.end_ms + max(
                3_000, min(int(rng.lognormal_median(35_000, 0.8)), 10 * MS_PER_MINUTE)
            )
        if not messages:
            return start_ms
        self._conversation(conversation_id, links, None, messages)
        return t

    def _answer_with_tool(
        self,
        model: str,
        at_ms: int,
        links: Links,
        prompt: int,
        prefix: int,
        streaming: bool,
    ) -> CallResult | None:
        """A turn where the model calls a tool before answering."""
        rng = self._rng
        first = self.answer(
            model, at_ms, links, prompt_tokens=prompt, cached_prefix=prefix,
            output_median=60, streaming=False,
        )  # fmt: skip
        if first is None:
            return None
        tool = self._rng.choice(("web.search", "web.fetch", "filesystem.read_file"))
        executed = self.tool_call(tool, first.end_ms + rng.randint(5, 60), links)
        if executed is None:
            return None
        tool_result = int(rng.lognormal_median(900, 0.8))
        return self.answer(
            model,
            executed[0] + rng.randint(5, 60),
            links,
            prompt_tokens=prompt + first.output_tokens + tool_result,
            cached_prefix=prompt,
            output_median=320,
            streaming=streaming,
        )

    def agent_task(
        self,
        session: SessionBuilder | None,
        user_id: str | None,
        start_ms: int,
        agent_name: str,
        *,
        steps: int | None = None,
    ) -> int:
        """One agent run: model calls with tool calls between them. Returns its end.

        ``steps`` fixes the number of model calls and plans a successful run (used to start
        long runs just before the window end).
        """
        rng = self._rng
        agent = AGENTS[agent_name]
        task_id = f"task_{rng.uuid_hex()}"
        started = start_ms + rng.randint(20, 80)
        if started >= self._limit:
            return start_ms
        if session is not None:
            session.request(
                start_ms, "POST", f"/api/v1/agents/{agent_name}/tasks", 202,
                started - start_ms, "api", 380,
            )  # fmt: skip
        conversation_id = f"conv_{rng.uuid_hex()}" if rng.chance(0.5) else None
        links = Links(
            session, user_id, f"ctx_{rng.uuid_hex()}", agent_name, task_id, conversation_id
        )
        roll = rng.random()
        if steps is not None:
            planned = "completed"  # a run of a given length (still working at the end)
        elif roll < agent.failure_rate:
            planned = "failed"
        elif roll < agent.failure_rate + agent.cancel_rate:
            planned = "canceled"
        else:
            planned = "completed"
        total_steps = steps or rng.randint(*agent.steps)
        run_steps = total_steps if planned == "completed" else rng.randint(1, total_steps)
        end_ms, last_output, failed_tool = self._run_steps(agent, links, started, run_steps)
        messages: list[Row] = []
        if conversation_id is not None:
            prompt = rng.choice(agent.prompts)
            messages.append(self._message(conversation_id, "user", start_ms, None, prompt))
        if end_ms is None:
            waiting = agent.name == "support-bot" and rng.chance(0.4)
            status = "input_required" if waiting else "working"
            completed = duration = error = None
        else:
            status = planned
            completed = end_ms
            duration = end_ms - started
            if planned == "failed":
                error = (
                    f"Tool {failed_tool} failed: giving up after retries"
                    if failed_tool is not None
                    else rng.choice(AGENT_FAILURES)
                )
            elif planned == "canceled":
                error = "Canceled by user"
            else:
                error = None
                if conversation_id is not None:
                    messages.append(
                        self._message(conversation_id, "assistant", end_ms, last_output)
                    )
        self._tasks.append(
            {
                "id": task_id,
                "agent_name": agent.name,
                "status": status,
                "started_at": self._window.at(started),
                "completed_at": self._window.at(completed) if completed is not None else None,
                "duration_ms": duration,
                "error_message": error,
                "user_id": user_id,
                "session_id": session.id if session is not None else None,
                "context_id": links.context_id,
                "conversation_id": conversation_id,
            }
        )
        if session is not None:
            session.task_count += 1
        if conversation_id is not None:
            self._conversation(conversation_id, links, agent.name, messages)
        if end_ms is None:
            return self._limit
        return end_ms + rng.randint(1_000, 20_000)

    def _run_steps(
        self, agent: Agent, links: Links, start_ms: int, steps: int
    ) -> tuple[int | None, int, str | None]:
        """Model calls and tool calls in turn: (end or None if cut off, last output, last
        failed tool)."""
        rng = self._rng
        model = self._agent_models[agent.name].pick(rng)
        tools = self._agent_tools[agent.name]
        system = rng.randint(2500, 6000)
        history = rng.randint(50, 400)
        t = start_ms
        last_output = 0
        failed_tool: str | None = None
        previous_end: int | None = None
        for step in range(steps):
            warm = previous_end is not None and t - previous_end < CACHE_TTL_MS
            result = self.answer(
                model,
                t,
                links,
                prompt_tokens=system + history,
                cached_prefix=system + history - last_output if warm else system,
                output_median=380 if step == steps - 1 else 160,  # the last call answers
                streaming=False,
            )
            if result is None:
                return None, last_output, failed_tool
            t = previous_end = result.end_ms
            last_output = result.output_tokens
            history += result.output_tokens
            if step == steps - 1:
                break
            for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
                tool_name = tools.pick(rng)
                executed = self.tool_call(tool_name, t + rng.randint(5, 80), links)
                if executed is None:
                    return None, last_output, failed_tool
                t, status = executed
                failed_tool = tool_name if status != "success" else failed_tool
                history += int(rng.lognormal_median(700, 0.9)) if status == "success" else 60
            t += rng.randint(*agent.think_ms)
            if t >= self._limit:
                return None, last_output, failed_tool
        return t, last_output, failed_tool

    def evaluation_run(self, at_ms: int, count: int) -> None:
        """A batch of synthetic (evaluation) requests against the agents' models."""
        rng = self._rng
        context = f"eval_{rng.uuid_hex()[:16]}"
        span = 20 * MS_PER_MINUTE
        names = list(AGENTS)
        for _ in range(count):
            agent_name = rng.choice(names)
            model = self._agent_models[agent_name].pick(rng)
            links = Links(None, None, context, agent_name=agent_name)
            prompt = rng.randint(800, 6000)
            self.ai_call(
                model,
                at_ms + rng.randint(0, span),
                links,
                prompt_tokens=prompt,
                cached_prefix=prompt // 2,
                output_median=250,
                streaming=False,
                synthetic=True,
            )

    # ----------------------------------------------------------------------------------
    # Conversations
    # ----------------------------------------------------------------------------------
    def _message(
        self,
        conversation_id: str,
        role: str,
        at_ms: int,
        tokens: int | None,
        content: str | None = None,
    ) -> Row:
        return {
            "conversation_id": conversation_id,
            "role": role,
            "created_at_ms": at_ms,
            "token_count": tokens,
            "content": content,
        }

    def _conversation(
        self, conversation_id: str, links: Links, agent_name: str | None, messages: list[Row]
    ) -> None:
        if not messages:
            return
        at = self._window.at
        for message in messages:
            message["created_at"] = at(message.pop("created_at_ms"))
            self._messages.append(message)
        session = links.session
        if session is not None:
            session.message_count += len(messages)
        title = self._rng.choice(CHAT_TITLES) if agent_name is None else None
        if agent_name is not None:
            first = messages[0]["content"]
            title = first if isinstance(first, str) else f"{agent_name} task"
        self._conversations.append(
            {
                "id": conversation_id,
                "user_id": links.user_id,
                "session_id": session.id if session is not None else None,
                "agent_name": agent_name,
                "title": title,
                "started_at": messages[0]["created_at"],
                "last_message_at": messages[-1]["created_at"],
                "message_count": len(messages),
            }
        )


def pause_ms(rng: DemoRandom, median_ms: float, low_ms: int, high_ms: int) -> int:
    """A human pause: log-normal around ``median_ms``, clamped."""
    return max(low_ms, min(int(median_ms * math.exp(rng.gauss(0.0, 0.8))), high_ms))
