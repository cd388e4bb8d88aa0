"""Stand-in brains for pipeline tests: what they decide is the test's input; whether an order
leaves, and what the gate and the journal make of it, is what the tests check."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from trading_bot.brain.ports import Analyst, Brain, BrainContext, ScreenResult
from trading_bot.brain.reflection import RulesReflector
from trading_bot.brain.research import NoResearch
from trading_bot.domain.decision import Action, Decision

TICK = Decimal("0.1")  # BTC-USDT-SWAP


class AlwaysLook:
    def screen(self, ctx: BrainContext) -> ScreenResult:
        return ScreenResult(signal=True, reason="test: always look", model="test")


def sane_long(ctx: BrainContext, reasoning: str = "test: long") -> Decision:
    """A long at the snapshot price that every limit allows: 2 % of equity at 2x, 0.8 % stop, 2R."""
    price = ctx.snapshot.price
    return Decision(inst_id=ctx.inst_id, action=Action.OPEN_LONG, size_pct=Decimal(2), leverage=Decimal(2),
                    entry_type="market", entry_price=price, stop_loss=(price * Decimal("0.992")).quantize(TICK),
                    take_profit=(price * Decimal("1.016")).quantize(TICK), strategy="test_long", confidence=0.7,
                    reasoning=reasoning, model="test", cycle_id=ctx.cycle_id)


class GoLong:
    """Goes long whenever flat."""

    def analyze(self, ctx: BrainContext) -> Decision:
        if ctx.open_positions():
            return Decision.hold(ctx.inst_id, "position open", model="test", cycle_id=ctx.cycle_id)
        return sane_long(ctx, "test: always long")


class LimitLong:
    """A limit buy `below_pct` % under the snapshot price: it rests on the book until the price
    comes down to it (a test moves it with the simulator's `shock`); stop 1 % under it, 2R."""

    def __init__(self, below_pct: Decimal) -> None:
        self.below_pct = below_pct

    def analyze(self, ctx: BrainContext) -> Decision:
        price = (ctx.snapshot.price * (1 - self.below_pct / 100)).quantize(TICK)
        return Decision(inst_id=ctx.inst_id, action=Action.OPEN_LONG, size_pct=Decimal(2), leverage=Decimal(2),
                        entry_type="limit", entry_price=price, stop_loss=(price * Decimal("0.99")).quantize(TICK),
                        take_profit=(price * Decimal("1.02")).quantize(TICK), strategy="test_limit_long",
                        confidence=0.7, reasoning="test: limit long", model="test", cycle_id=ctx.cycle_id)


class Scripted:
    """Decides what the test queued: 'long', 'close' or 'hold' (also once the queue is empty)."""

    def __init__(self) -> None:
        self.queue: deque[str] = deque()

    def analyze(self, ctx: BrainContext) -> Decision:
        what = self.queue.popleft() if self.queue else "hold"
        if what == "close":
            return Decision(inst_id=ctx.inst_id, action=Action.CLOSE, strategy="test", confidence=0.8,
                            reasoning="test: close", model="test", cycle_id=ctx.cycle_id)
        if what == "hold":
            return Decision.hold(ctx.inst_id, "test: hold", model="test", cycle_id=ctx.cycle_id)
        return sane_long(ctx)


def looking_brain(analyst: Analyst, label: str) -> Brain:
    """A brain that analyses every cycle with `analyst`, without research, reflecting by the rules."""
    return Brain(screener=AlwaysLook(), analyst=analyst, researcher=NoResearch("test: no research"),
                 reflector=RulesReflector(), label=label, mode="rules")
