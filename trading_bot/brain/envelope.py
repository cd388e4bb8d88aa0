"""The risk limits as the brain needs to know them: stated in the analyst's prompt and respected by
the offline rules brain so its orders pass the gate. The gate (risk/gate.py) enforces the limits
whatever the brain says; this is only a view of the limits in force (`risk/limits.py`), which the
pipeline passes in with `RiskEnvelope.from_limits(settings.risk_limits())`."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from trading_bot.risk import limits as hard
from trading_bot.risk.limits import RiskLimits


class RiskEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_trade_pct: Decimal = hard.MAX_TRADE_NOTIONAL_PCT  # single-trade notional, % of equity
    max_exposure_pct: Decimal = hard.MAX_TOTAL_EXPOSURE_PCT  # open notional + new order, % of equity
    max_positions: int = hard.MAX_OPEN_POSITIONS
    max_leverage: Decimal = hard.MAX_LEVERAGE
    max_stop_pct: Decimal = hard.MAX_STOP_DISTANCE_PCT  # stop-loss distance from entry, % of entry
    min_reward_risk: Decimal = hard.MIN_REWARD_RISK  # take-profit distance / stop-loss distance
    max_entry_deviation_pct: Decimal = hard.MAX_ENTRY_DEVIATION_PCT  # entry price vs mark price
    daily_loss_pct: Decimal = hard.MAX_DAILY_LOSS_PCT
    max_drawdown_pct: Decimal = hard.MAX_DRAWDOWN_PCT

    @classmethod
    def from_limits(cls, limits: RiskLimits) -> RiskEnvelope:
        return cls(
            max_trade_pct=limits.max_trade_notional_pct, max_exposure_pct=limits.max_total_exposure_pct,
            max_positions=limits.max_open_positions, max_leverage=limits.max_leverage,
            max_stop_pct=limits.max_stop_distance_pct, min_reward_risk=limits.min_reward_risk,
            max_entry_deviation_pct=limits.max_entry_deviation_pct, daily_loss_pct=limits.max_daily_loss_pct,
            max_drawdown_pct=limits.max_drawdown_pct,
        )

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
