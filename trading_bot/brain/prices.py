"""The price table and exact call costs (Decimal, USD).

Defaults ship in `brain/data/prices.yaml`; `LLM_PRICE_FILE` names a YAML file of the same shape whose
entries replace or add models. Cost = Σ tokens × price per million, computed exactly (no rounding),
so the ledger agrees with hand arithmetic to the micro-dollar and beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

MILLION = Decimal(1_000_000)


class ModelPrice(BaseModel):
    """USD per million tokens; `per_search` is USD per web-search invocation (Perplexity)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_write: Decimal = Field(ge=0)  # 5-minute TTL
    cache_write_1h: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)
    per_search: Decimal = Field(default=Decimal(0), ge=0)


@dataclass(frozen=True)
class Usage:
    """Token counts of one call. `input_tokens` is the uncached part only (Anthropic's convention)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0  # all cache writes, whatever the TTL
    cache_write_1h_tokens: int = 0  # the part of cache_write_tokens written with the 1-hour TTL
    cache_read_tokens: int = 0
    searches: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens


class UnknownModelPrice(KeyError):
    def __str__(self) -> str:
        return f"no price for model {self.args[0]!r}; add it to the file named by LLM_PRICE_FILE"


class PriceTable:
    def __init__(self, prices: dict[str, ModelPrice]) -> None:
        self._prices = dict(prices)

    @classmethod
    def load(cls, override: Path | None = None) -> PriceTable:
        text = resources.files("trading_bot.brain").joinpath("data/prices.yaml").read_text()
        prices = _parse(yaml.safe_load(text))
        if override is not None:
            prices.update(_parse(yaml.safe_load(override.read_text())))
        return cls(prices)

    def has(self, model: str) -> bool:
        return model in self._prices

    def price(self, model: str) -> ModelPrice:
        try:
            return self._prices[model]
        except KeyError:
            raise UnknownModelPrice(model) from None

    def cost(self, model: str, usage: Usage) -> Decimal:
        """Exact USD cost of one call."""
        p = self.price(model)
        write_5m = usage.cache_write_tokens - usage.cache_write_1h_tokens
        per_million = (
            usage.input_tokens * p.input
            + usage.output_tokens * p.output
            + write_5m * p.cache_write
            + usage.cache_write_1h_tokens * p.cache_write_1h
            + usage.cache_read_tokens * p.cache_read
        )
        return per_million / MILLION + usage.searches * p.per_search


def _parse(document: Any) -> dict[str, ModelPrice]:
    if not isinstance(document, dict):
        raise ValueError("a price file maps provider -> model -> prices")
    prices: dict[str, ModelPrice] = {}
    for provider, models in document.items():
        if not isinstance(models, dict):
            raise ValueError(f"price file: provider {provider!r} must map model ids to prices")
        for model, values in models.items():
            prices[str(model)] = ModelPrice.model_validate({k: str(v) for k, v in values.items()})
    return prices
