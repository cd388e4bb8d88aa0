"""The risk limits as the brain needs to know them: stated in the analyst's prompt and respected by
the offline rules brain so its orders pass the gate. The gate (risk/gate.py) enforces the limits
whatever the brain says; this is only the brain's copy of their values, taken from risk/limits.py
when that module is present."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class RiskEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_trade_pct: Decimal = Decimal(5)  # single-trade notional, % of equity
    max_exposure_pct: Decimal = Decimal(15)  # open notional + new order, % of equity
    max_positions: int = 3
    max_leverage: Decimal = Decimal(3)
    max_stop_pct: Decimal = Decimal(3)  # stop-loss distance from entry, % of entry
    min_reward_risk: Decimal = Decimal("1.5")  # take-profit distance / stop-loss distance
    max_entry_deviation_pct: Decimal = Decimal(1)  # entry price vs mark price
    daily_loss_pct: Decimal = Decimal(3)
    max_drawdown_pct: Decimal = Decimal(10)

    def lines(self) -> list[str]:
        return [
            f"single trade notional <= {self.max_trade_pct}% of equity",
            f"total open notional including the new order <= {self.max_exposure_pct}% of equity",
            f"at most {self.max_positions} open positions",
            f"leverage <= {self.max_leverage}x",
            "a stop-loss on every entry, on the correct side of the current price",
            f"stop-loss distance from entry <= {self.max_stop_pct}%",
            f"reward:risk (take-profit distance / stop-loss distance) >= {self.min_reward_risk}",
            f"entry price within {self.max_entry_deviation_pct}% of the mark price",
            f"trading halts after a {self.daily_loss_pct}% daily loss or a {self.max_drawdown_pct}% drawdown",
        ]
