"""The offline rules brain (`rules-v1`): the playbook's regime rules applied deterministically.

Trend-following pullbacks in trends, mean reversion at Bollinger extremes in ranges, standing aside
when volatile. Stops are ATR-based (the strategy's ATR multiple) and refused when wider than the risk
gate allows; take-profits are at the strategy's reward:risk multiple (at least 2R); the size follows
the playbook's confidence calibration within the single-trade limit, at leverage 2. It reads the
15m view for timing. Every decision is labelled `rules-v1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from trading_bot.brain.ports import BrainContext, ScreenResult
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.playbook import Strategy
from trading_bot.domain.snapshot import IndicatorSet, TimeframeView

RULES_MODEL = "rules-v1"
TIMEFRAME = "15m"
LEVERAGE = Decimal(2)
STOP_HEADROOM = Decimal("0.9")  # use at most 90 % of the gate's stop distance and trade size
BASE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Setup:
    side: Literal["long", "short"]
    strategy: Strategy
    regime: str
    confidence: float
    why: str


def find_setup(ctx: BrainContext) -> tuple[Setup | None, str]:
    """The playbook setup present in the 15m view, or None and why not."""
    view = ctx.snapshot.view(TIMEFRAME)
    if view is None or view.regime is None:
        return None, f"no {TIMEFRAME} regime yet (not enough closed bars)"
    ind = view.indicators
    if None in (ind.close, ind.atr, ind.rsi):
        return None, f"{TIMEFRAME} indicators missing: {', '.join(sorted(ind.missing)) or 'close/atr/rsi'}"
    regime = view.regime.label
    candidates = ctx.playbook.strategies_for(regime)
    if not candidates:
        return None, f"regime {regime}: the playbook stands aside"
    for strategy in candidates:
        setup = _match(strategy, view, ind)
        if setup is not None:
            return setup, setup.why
    return None, f"regime {regime}: no {'/'.join(s.name for s in candidates)} entry ({_summary(ind)})"


def _match(strategy: Strategy, view: TimeframeView, ind: IndicatorSet) -> Setup | None:
    regime = view.regime.label  # type: ignore[union-attr]
    if regime in ("trending_up", "trending_down"):
        return _trend_pullback(strategy, regime, ind)
    if regime == "ranging":
        return _range_reversion(strategy, ind)
    return None


def _trend_pullback(strategy: Strategy, regime: str, ind: IndicatorSet) -> Setup | None:
    if ind.ema20 is None or ind.ema_alignment is None:
        return None
    near_ema = abs(ind.close - ind.ema20) <= ind.atr  # type: ignore[operator]
    long_ok = regime == "trending_up" and ind.ema_alignment == "bullish" and 40 <= ind.rsi <= 65  # type: ignore[operator]
    short_ok = regime == "trending_down" and ind.ema_alignment == "bearish" and 35 <= ind.rsi <= 60  # type: ignore[operator]
    side: Literal["long", "short"] | None = "long" if long_ok else "short" if short_ok else None
    if side is None or not near_ema or not _direction_allowed(strategy, side):
        return None
    confirmed = ind.macd_hist is not None and (ind.macd_hist > 0) == (side == "long")
    confidence = BASE_CONFIDENCE + (0.1 if confirmed else 0) + (0.05 if (ind.adx or 0) > 35 else 0)
    why = (f"{regime}: pullback to EMA20 ({_summary(ind)}), "
           f"MACD histogram {'confirms' if confirmed else 'does not confirm'}")
    return Setup(side, strategy, regime, round(confidence, 2), why)


def _range_reversion(strategy: Strategy, ind: IndicatorSet) -> Setup | None:
    if ind.bb_position is None:
        return None
    side: Literal["long", "short"] | None = "long" if ind.bb_position <= 0.05 and ind.rsi < 35 else (  # type: ignore[operator]
        "short" if ind.bb_position >= 0.95 and ind.rsi > 65 else None)  # type: ignore[operator]
    if side is None or not _direction_allowed(strategy, side):
        return None
    stretched = ind.rsi < 25 or ind.rsi > 75  # type: ignore[operator]
    confidence = BASE_CONFIDENCE + (0.1 if stretched else 0)
    why = f"ranging: band extreme ({_summary(ind)}), fading toward the middle band"
    return Setup(side, strategy, "ranging", round(confidence, 2), why)


def _direction_allowed(strategy: Strategy, side: str) -> bool:
    return strategy.direction in ("both", side)


def _summary(ind: IndicatorSet) -> str:
    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    return f"RSI {f(ind.rsi)}, bb_position {f(ind.bb_position)}, ADX {f(ind.adx)}, EMA {ind.ema_alignment}"


class RulesAnalyst:
    def analyze(self, ctx: BrainContext) -> Decision:
        position = next(iter(ctx.open_positions()), None)
        if position is not None:
            return self._manage(ctx, position.side)
        setup, why = find_setup(ctx)
        if setup is None:
            return self._hold(ctx, why)
        fraction = ctx.playbook.calibration.size_fraction(setup.confidence)
        if fraction <= 0:
            return self._hold(ctx, f"{why}; confidence {setup.confidence} below the playbook's threshold")
        return self._entry(ctx, setup, Decimal(str(fraction))) or self._hold(
            ctx, f"{why}; ATR stop wider than the risk gate allows: standing aside")

    def _entry(self, ctx: BrainContext, setup: Setup, fraction: Decimal) -> Decision | None:
        view = ctx.snapshot.view(TIMEFRAME)
        entry = ctx.snapshot.price
        distance = Decimal(str(view.indicators.atr)) * Decimal(str(setup.strategy.stop_atr_multiple))  # type: ignore[union-attr]
        if distance <= 0 or distance / entry * 100 > ctx.limits.max_stop_pct * STOP_HEADROOM:
            return None
        sign = 1 if setup.side == "long" else -1
        stop = _like(entry - sign * distance, entry)
        target = _like(entry + sign * distance * Decimal(str(setup.strategy.reward_risk)), entry)
        size = (ctx.limits.max_trade_pct * STOP_HEADROOM * fraction).quantize(Decimal("0.01"))
        return Decision(
            inst_id=ctx.inst_id, action=Action.OPEN_LONG if setup.side == "long" else Action.OPEN_SHORT,
            size_pct=size, leverage=min(LEVERAGE, ctx.limits.max_leverage), entry_type="market",
            entry_price=entry, stop_loss=stop, take_profit=target, strategy=setup.strategy.name,
            confidence=setup.confidence, reasoning=f"[offline rules brain] {setup.why}",
            invalidation=f"price reaches {stop} or the {TIMEFRAME} regime leaves {setup.regime}",
            time_horizon="2-24h", model=RULES_MODEL, cycle_id=ctx.cycle_id,
        )

    def _manage(self, ctx: BrainContext, side: str) -> Decision:
        view = ctx.snapshot.view(TIMEFRAME)
        regime = view.regime.label if view is not None and view.regime is not None else None
        against = (side == "long" and regime == "trending_down") or (side == "short" and regime == "trending_up")
        if against:
            return Decision(inst_id=ctx.inst_id, action=Action.CLOSE, model=RULES_MODEL, cycle_id=ctx.cycle_id,
                            reasoning=f"[offline rules brain] {side} position while the {TIMEFRAME} regime is {regime}")
        return self._hold(ctx, f"{side} position open; its stop-loss and take-profit are on the exchange")

    @staticmethod
    def _hold(ctx: BrainContext, why: str) -> Decision:
        return Decision.hold(ctx.inst_id, f"[offline rules brain] {why}", model=RULES_MODEL, cycle_id=ctx.cycle_id)


class RulesScreenJudge:
    """Passes a cycle when the rules see a playbook setup."""

    def judge(self, ctx: BrainContext) -> ScreenResult:
        setup, why = find_setup(ctx)
        return ScreenResult(signal=setup is not None, reason=why[:400], model=RULES_MODEL)


def _like(price: Decimal, reference: Decimal) -> Decimal:
    """`price` with the reference price's decimal places (the executor rounds to tickSz)."""
    exponent = reference.as_tuple().exponent
    places = Decimal(1).scaleb(exponent if isinstance(exponent, int) else -2)
    return price.quantize(places, rounding=ROUND_HALF_UP)
