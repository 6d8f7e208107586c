"""What an AI request costs, as stored: the host's explicit figure, or genai-prices' price of
its token counts, or unpriced. One definition, used at ingestion and by ``costs reprice``.

Pure apart from genai-prices' bundled (in-memory) price data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from genai_prices.data_snapshot import find_provider_by_id, get_snapshot

from systemprompt_analytics.pricing import PriceBook, TokenUsage, normalise_model_ref

EXPLICIT_PRICE_SOURCE = "explicit"  # price_source of a cost the host reported itself


@dataclass(frozen=True, slots=True)
class StoredCost:
    """The cost columns of one ``ai_requests`` row."""

    cost_microdollars: int | None
    is_priced: bool
    price_source: str | None
    price_version: str | None
    is_cost_explicit: bool


UNPRICED = StoredCost(None, False, None, None, False)


def explicit_cost(cost_microdollars: int) -> StoredCost:
    return StoredCost(cost_microdollars, True, EXPLICIT_PRICE_SOURCE, None, True)


def computed_cost(
    book: PriceBook,
    provider: str,
    model: str,
    response_model: str | None,
    usage: TokenUsage,
    at: datetime,
) -> StoredCost:
    """genai-prices' price of ``usage``; unpriced when it knows neither model.

    The model that answered (``response_model``, often a dated snapshot such as
    ``gpt-4o-2024-08-06``) is priced first, the model asked for second.
    """
    for name in (response_model, model):
        if name is None:
            continue
        price = book.price(provider, name, usage, at)
        if price is not None:
            return StoredCost(
                price.cost_microdollars, True, price.price_source, price.price_version, False
            )
    return UNPRICED


def canonical_provider(provider: str) -> str:
    """genai-prices' id for a provider it knows under any of its names (``OpenAI``,
    ``aws.bedrock``, ``gcp.vertex_ai`` …), so one provider is one row in reports; any other
    name in lower case."""
    name = provider.strip().lower()
    known = find_provider_by_id(get_snapshot().providers, name)
    return name if known is None else str(known.id)


def model_ref(provider: str | None, model: str) -> tuple[str, str]:
    """The provider and model to store: a provider prefix on the model name
    (``anthropic/claude-sonnet-4-5``) names the provider when none is given and is taken off
    the name. Records are validated to name a provider one way or the other."""
    named, bare = normalise_model_ref(provider, model)
    if named is None:
        raise ValueError(f"no provider for model {model!r}")
    return canonical_provider(named), bare
