"""Pricing AI requests with genai-prices: known, unknown and prefixed models, cache and
reasoning tokens, rounding, and the fast PriceBook agreeing with per-request pricing."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.pricing import (
    PRICE_SOURCE,
    PRICE_VERSION,
    PriceBook,
    TokenUsage,
    normalise_model_ref,
    price_usage,
    to_microdollars,
)

AT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
DEMO_MODELS = (
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-opus-4-1"),
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("openai", "o3-mini"),
    ("google", "gemini-2.5-flash"),
    ("google", "gemini-2.5-pro"),
)


def test_known_model_is_priced_above_zero() -> None:
    price = price_usage("anthropic", "claude-sonnet-4-5", TokenUsage(1_000, 500), AT)
    assert price is not None
    assert price.cost_microdollars > 0
    assert price.price_source == PRICE_SOURCE == "genai-prices"
    assert price.price_version == PRICE_VERSION
    assert (price.provider, price.model) == ("anthropic", "claude-sonnet-4-5")


def test_known_price_is_exact() -> None:
    # claude-sonnet-4-5: $3 / MTok input, $15 / MTok output.
    price = price_usage("anthropic", "claude-sonnet-4-5", TokenUsage(1_000, 500), AT)
    assert price is not None
    assert price.cost_microdollars == 3_000 + 7_500


@pytest.mark.parametrize(
    ("provider", "model"),
    [("acme", "acme-llm-2"), (None, "acme-llm-2"), ("openai", "acme-llm-2")],
)
def test_unknown_model_is_unpriced(provider: str | None, model: str) -> None:
    assert price_usage(provider, model, TokenUsage(1_000, 500), AT) is None
    assert PriceBook().price(provider, model, TokenUsage(1_000, 500), AT) is None


@pytest.mark.parametrize(("provider", "model"), [("anthropic", "claude-sonnet-4-5"),
                                                 ("openai", "gpt-4o")])  # fmt: skip
def test_cache_reads_cost_less_than_uncached_input(provider: str, model: str) -> None:
    uncached = price_usage(provider, model, TokenUsage(input_tokens=100_000), AT)
    cached = price_usage(provider, model, TokenUsage(cache_read_tokens=100_000), AT)
    assert uncached is not None and cached is not None
    assert 0 < cached.cost_microdollars < uncached.cost_microdollars


def test_cache_writes_cost_more_on_anthropic() -> None:
    uncached = price_usage("anthropic", "claude-haiku-4-5", TokenUsage(input_tokens=100_000), AT)
    written = price_usage(
        "anthropic", "claude-haiku-4-5", TokenUsage(cache_write_tokens=100_000), AT
    )
    assert uncached is not None and written is not None
    assert written.cost_microdollars > uncached.cost_microdollars


def test_reasoning_tokens_are_billed_as_output() -> None:
    as_output = price_usage("openai", "o3-mini", TokenUsage(output_tokens=10_000), AT)
    as_reasoning = price_usage("openai", "o3-mini", TokenUsage(reasoning_tokens=10_000), AT)
    assert as_output is not None and as_reasoning is not None
    assert as_reasoning.cost_microdollars == as_output.cost_microdollars > 0


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        (None, "anthropic/claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        (None, "openai:gpt-4o", ("openai", "gpt-4o")),
        ("openai", "openai/gpt-4o", ("openai", "gpt-4o")),
        ("Anthropic", "anthropic:claude-haiku-4-5", ("anthropic", "claude-haiku-4-5")),
        ("google", "models/gemini-2.5-pro", ("google", "gemini-2.5-pro")),
        (
            "openrouter",
            "anthropic/claude-sonnet-4.5",
            ("openrouter", "anthropic/claude-sonnet-4.5"),
        ),
        (None, "ft:gpt-4o:acme:custom", (None, "ft:gpt-4o:acme:custom")),
    ],
)
def test_provider_prefixes_normalise(
    provider: str | None, model: str, expected: tuple[str | None, str]
) -> None:
    assert normalise_model_ref(provider, model) == expected


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "openai:gpt-4o"])
def test_prefixed_names_price_like_plain_names(model: str) -> None:
    usage = TokenUsage(2_000, 300, cache_read_tokens=1_000)
    provider, plain = model.replace(":", "/").split("/")
    prefixed = price_usage(None, model, usage, AT)
    assert prefixed is not None
    assert prefixed == price_usage(provider, plain, usage, AT)


def test_total_tokens_counts_every_kind_once() -> None:
    usage = TokenUsage(1, 2, 3, 4, 5)
    assert usage.total_tokens == 15
    assert usage.prompt_tokens == 1 + 3 + 4


@pytest.mark.parametrize("value", [-1, 1.5, True])
def test_token_counts_are_validated(value: object) -> None:
    with pytest.raises(InvalidInputError, match="input_tokens"):
        TokenUsage(input_tokens=value)  # type: ignore[arg-type]


def test_microdollars_round_half_up() -> None:
    assert to_microdollars(Decimal("0.0000005")) == 1
    assert to_microdollars(Decimal("0.0000004999")) == 0
    assert to_microdollars(Decimal("1.2345675")) == 1_234_568


def test_price_book_matches_price_usage_exactly() -> None:
    """The cached per-token rates reproduce genai-prices for the sizes the demo generates
    (prompts up to 150k tokens) and beyond a price tier (falls back)."""
    rng = random.Random(7)
    book = PriceBook()
    for _ in range(1_500):
        provider, model = rng.choice(DEMO_MODELS)
        usage = TokenUsage(
            input_tokens=rng.randint(0, 120_000),
            output_tokens=rng.randint(0, 8_000),
            cache_read_tokens=rng.randint(0, 60_000),
            cache_write_tokens=rng.randint(0, 20_000),
            reasoning_tokens=rng.randint(0, 20_000),
        )
        assert book.price(provider, model, usage, AT) == price_usage(provider, model, usage, AT)
    tiered = TokenUsage(input_tokens=250_000, output_tokens=1_000)
    assert book.price("anthropic", "claude-sonnet-4-5", tiered, AT) == price_usage(
        "anthropic", "claude-sonnet-4-5", tiered, AT
    )
