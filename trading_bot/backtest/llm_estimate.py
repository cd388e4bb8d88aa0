"""What a Claude-mode backtest will cost, said before it starts.

Every cycle asks the screener (Haiku) once (a bypass rule may skip the call, so this is an upper
bound); the analyst (Opus) runs on the cycles the screener passes plus the shadow share of the
others. The pass rate is not known in advance: the estimate assumes EXPECTED_PASS_RATE and also
gives the ceiling (every cycle analysed). Token counts are typical sizes of our prompts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trading_bot.brain.prices import PriceTable, Usage

SCREEN_USAGE = Usage(input_tokens=2_500, output_tokens=150)
ANALYSIS_USAGE = Usage(input_tokens=9_000, output_tokens=900)
EXPECTED_PASS_RATE = 0.25


@dataclass(frozen=True)
class CallEstimate:
    screener_calls: int
    analyst_calls: int  # expected
    analyst_calls_max: int
    cost_usd: Decimal  # expected
    cost_usd_max: Decimal

    @property
    def calls(self) -> int:
        return self.screener_calls + self.analyst_calls


def estimate(cycles: int, prices: PriceTable, screener_model: str, analyst_model: str,
             shadow_fraction: float) -> CallEstimate:
    screen = prices.cost(screener_model, SCREEN_USAGE)
    analysis = prices.cost(analyst_model, ANALYSIS_USAGE)
    rate = EXPECTED_PASS_RATE + (1 - EXPECTED_PASS_RATE) * shadow_fraction
    analysed = round(cycles * rate)
    return CallEstimate(
        screener_calls=cycles, analyst_calls=analysed, analyst_calls_max=cycles,
        cost_usd=(cycles * screen + analysed * analysis).quantize(Decimal("0.01")),
        cost_usd_max=(cycles * (screen + analysis)).quantize(Decimal("0.01")),
    )
