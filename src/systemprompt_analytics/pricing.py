"""What an AI request cost, from the token counts it reported, using genai-prices.

**Token kinds — our definition.** An AI request reports five disjoint token counts:

``input_tokens``
    prompt tokens processed without the provider's prompt cache;
``cache_read_tokens``
    prompt tokens served from the prompt cache (billed at the cache-read price);
``cache_write_tokens``
    prompt tokens written to the prompt cache (Anthropic bills them above the input price;
    providers without a cache-write price bill them as ordinary input);
``output_tokens``
    completion tokens, *excluding* reasoning tokens;
``reasoning_tokens``
    hidden reasoning ("thinking") tokens.

``total_tokens = input + output + cache_read + cache_write + reasoning``: every token the
request processed is counted exactly once. Store counts in this shape whatever the provider
reports (e.g. OpenAI's ``prompt_tokens`` include the cached ones: subtract them).

**Mapping to genai-prices.** genai-prices (0.2) counts hierarchically: its ``input_tokens`` is the
whole prompt, of which ``cache_read_tokens`` and ``cache_write_tokens`` are parts, and its
``output_tokens`` is the whole completion, of which ``output_reasoning_tokens`` is a part. So we
pass ``input_tokens = input + cache_read + cache_write``, ``output_tokens = output + reasoning``,
``output_reasoning_tokens = reasoning``. genai-prices then prices each part at its own rate when
the model has one and at the parent's rate otherwise: cache reads at the cache-read price,
reasoning tokens at the output price (how OpenAI, Anthropic and Google bill them) unless the
model lists a separate reasoning price.

**Money** is integer microdollars (1 USD = 1,000,000), rounded half up from the exact decimal
price. A model genai-prices does not know is *unpriced* (``None``), never guessed. The bundled
price data is used as installed: this module never calls genai-prices' update functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib.metadata import version as _package_version
from typing import Any

from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import find_provider_by_id, get_snapshot
from genai_prices.types import ModelPrice, TieredPrices

from systemprompt_analytics.errors import InvalidInputError

PRICE_SOURCE = "genai-prices"
PRICE_VERSION = _package_version("genai-prices")
MICRODOLLARS_PER_USD = Decimal(1_000_000)

_PROVIDER_SEPARATORS = ("/", ":")


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """The five disjoint token counts of one AI request (see the module docstring)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(name, f"must be a non-negative integer, got {value!r}")

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
            + self.reasoning_tokens
        )

    @property
    def prompt_tokens(self) -> int:
        """The whole prompt: uncached, cache-read and cache-written tokens."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def to_genai_usage(self) -> Usage:
        """The same usage in genai-prices' hierarchical counting."""
        return Usage(
            input_tokens=self.prompt_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            output_tokens=self.output_tokens + self.reasoning_tokens,
            output_reasoning_tokens=self.reasoning_tokens,
        )


@dataclass(frozen=True, slots=True)
class Price:
    """The cost of one request and where the price came from."""

    cost_microdollars: int
    provider: str  # the genai-prices provider id that priced it, e.g. "anthropic"
    model: str  # the genai-prices model id that priced it, e.g. "claude-sonnet-4-5"
    price_source: str = PRICE_SOURCE
    price_version: str = PRICE_VERSION


def to_microdollars(usd: Decimal) -> int:
    """Exact USD to integer microdollars, rounding half up."""
    return int((usd * MICRODOLLARS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def normalise_model_ref(provider: str | None, model: str) -> tuple[str | None, str]:
    """Split a provider prefix off a model name: ``anthropic/claude-sonnet-4-5``,
    ``openai:gpt-4o`` and ``models/gemini-2.5-pro`` name the model without the prefix.

    The prefix is only taken as a provider when genai-prices knows it and it agrees with
    ``provider`` (when given), so names such as OpenRouter's ``anthropic/claude-sonnet-4.5``
    stay intact under provider ``openrouter``.
    """
    if provider is not None:
        provider = provider.strip().lower() or None
    model = model.strip()
    if model.lower().startswith("models/"):
        model = model[len("models/") :]
    for separator in _PROVIDER_SEPARATORS:
        head, found, rest = model.partition(separator)
        if not found or not head or not rest:
            continue
        prefix = _known_provider_id(head)
        if prefix is None:
            continue
        if provider is None or _known_provider_id(provider) == prefix:
            return provider or prefix, rest
    return provider, model


def price_usage(provider: str | None, model: str, usage: TokenUsage, at: datetime) -> Price | None:
    """The cost of ``usage`` on ``model`` at time ``at``; None when the model is unknown.

    One genai-prices lookup per call (about 0.3 ms); :class:`PriceBook` is the fast path
    for pricing many requests.
    """
    provider, model = normalise_model_ref(provider, model)
    try:
        calculation = calc_price(
            usage.to_genai_usage(),
            model,
            provider_id=provider,
            genai_request_timestamp=at,
        )
    except LookupError:
        return None
    return Price(
        cost_microdollars=to_microdollars(calculation.total_price),
        provider=calculation.provider.id,
        model=calculation.model.id,
    )


@dataclass(frozen=True, slots=True)
class _UnitRates:
    """USD per token of each kind for one model whose price is linear in the counts."""

    provider: str
    model: str
    per_request: Decimal
    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    # Tiered prices switch rate once the prompt exceeds a tier's start; below it they are linear.
    linear_up_to_prompt_tokens: int | None

    def cost(self, usage: TokenUsage) -> Decimal:
        return (
            self.per_request
            + self.input * usage.input_tokens
            + self.cache_read * usage.cache_read_tokens
            + self.cache_write * usage.cache_write_tokens
            + self.output * usage.output_tokens
            + self.reasoning * usage.reasoning_tokens
        )

    def covers(self, usage: TokenUsage) -> bool:
        limit = self.linear_up_to_prompt_tokens
        return limit is None or usage.prompt_tokens <= limit


class PriceBook:
    """Prices many requests quickly with the same results as :func:`price_usage`.

    For a model with one time-independent price (no date-conditional prices) it derives the
    per-token rate of each kind once from genai-prices itself (single-token probes) and then
    prices by exact decimal arithmetic. Anything else — date-conditional prices, prompts above
    a price tier's start — goes through :func:`price_usage`. Tests check the two agree exactly.
    """

    def __init__(self) -> None:
        self._rates: dict[tuple[str | None, str], _UnitRates | None] = {}
        self._unknown: set[tuple[str | None, str]] = set()

    def price(
        self, provider: str | None, model: str, usage: TokenUsage, at: datetime
    ) -> Price | None:
        key = normalise_model_ref(provider, model)
        if key in self._unknown:
            return None
        if key not in self._rates:
            self._rates[key] = self._derive_rates(key, at)
            if key in self._unknown:
                return None
        rates = self._rates[key]
        if rates is None or not rates.covers(usage):
            return price_usage(key[0], key[1], usage, at)
        return Price(
            cost_microdollars=to_microdollars(rates.cost(usage)),
            provider=rates.provider,
            model=rates.model,
        )

    def _derive_rates(self, key: tuple[str | None, str], at: datetime) -> _UnitRates | None:
        provider, model = key

        def probe(**counts: int) -> Any:
            return calc_price(
                Usage(**counts), model, provider_id=provider, genai_request_timestamp=at
            )

        try:
            base = probe()
        except LookupError:
            self._unknown.add(key)
            return None
        if not isinstance(base.model.prices, ModelPrice):
            return None  # date-conditional prices: price each request on its own date
        constant = base.total_price
        return _UnitRates(
            provider=base.provider.id,
            model=base.model.id,
            per_request=constant,
            input=probe(input_tokens=1).total_price - constant,
            cache_read=probe(input_tokens=1, cache_read_tokens=1).total_price - constant,
            cache_write=probe(input_tokens=1, cache_write_tokens=1).total_price - constant,
            output=probe(output_tokens=1).total_price - constant,
            reasoning=probe(output_tokens=1, output_reasoning_tokens=1).total_price - constant,
            linear_up_to_prompt_tokens=_lowest_tier_start(base.model_price),
        )


def _lowest_tier_start(model_price: ModelPrice) -> int | None:
    starts = [
        tier.start
        for value in vars(model_price).values()
        if isinstance(value, TieredPrices)
        for tier in value.tiers
    ]
    return min(starts) if starts else None


def _known_provider_id(name: str) -> str | None:
    provider = find_provider_by_id(get_snapshot().providers, name)
    return None if provider is None else str(provider.id)
