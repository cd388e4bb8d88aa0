"""Random and adversarial gate inputs for the property test, built from a seed (cheap to draw, so
10,000 examples stay fast). Every input starts near a sound trade and each "hurdle" (state, daily
loss, drawdown, streak, snapshot age, market data age, leverage, size, entry, stop, take-profit,
book, data) is pushed across or around its limit with probability `roughness`; on top, at most one
named flaw puts NaN, infinity, a negative or an absurd number into one field."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tests.kit import risk as kit
from trading_bot.clock import start_of_utc_day
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.risk.market import InstrumentMarket, MarketView
from trading_bot.risk.status import BotState, RiskStatus

D = Decimal
INSTRUMENTS = (kit.BTC, kit.ETH, kit.SOL, "XRP-USDT-SWAP")
ADVERSARIAL = (D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D(0), D(-1), D("-0.0001"), D("1e9"), D("1e30"),
               D("1e-30"), D("1e999999"), D("-1e999999"))
FLAWS = ("size_pct", "leverage", "entry_price", "stop_loss", "take_profit", "confidence", "equity", "available",
         "mark_price", "last_price", "position_size", "ct_val", "lot_sz", "tick_sz", "close", "pending_size")
ROUGHNESS = (0.0, 0.03, 0.1, 0.3)
PRICE_PLACES = D("1e-8")  # what an analyst writes; long products of random floats are not prices


@dataclass(frozen=True)
class World:
    decision: Decision
    account: Account
    positions: list[Position]
    status: RiskStatus
    market: MarketView


class _Dice:
    def __init__(self, seed: int, roughness: float) -> None:
        self.rng = random.Random(seed)
        self.roughness = roughness

    def hit(self) -> bool:
        """Push this hurdle towards or across its limit?"""
        return self.rng.random() < self.roughness

    def dec(self, low: float, high: float, places: int = 6) -> Decimal:
        return D(repr(round(self.rng.uniform(low, high), places)))


def _close_pool(size: int = 64, bars: int = 130) -> list[tuple]:
    """Closed 1H series sharing one market factor with loadings from -1 to 1, so pairs of them
    correlate anywhere from strongly negative to almost perfectly (built once: cheap examples)."""
    rng = random.Random(20260107)
    factor = [rng.gauss(0, 0.01) for _ in range(bars)]
    pool = []
    for i in range(size):
        loading = -1 + 2 * i / (size - 1)
        rest = (1 - loading * loading) ** 0.5
        pool.append(kit.hourly_closes("100", [loading * f + rest * rng.gauss(0, 0.01) for f in factor]))
    return pool


CLOSE_POOL = _close_pool()


def _view(dice: _Dice, inst_id: str) -> InstrumentMarket:
    rng = dice.rng
    lot = rng.choice([D("0.001"), D("0.01"), D("0.1"), D(1)])
    mark = D(repr(round(10 ** rng.uniform(0, 5), 4)))
    spec = dict(ct_val=rng.choice([D("0.0001"), D("0.01"), D("0.1"), D(1)]), lot_sz=lot,
                min_sz=lot * rng.choice([1, 1, 2, 5]), tick_sz=rng.choice([D("0.0001"), D("0.01"), D("0.1")]),
                max_leverage=rng.choice([2, 3, 20]) if dice.hit() else 100,
                max_mkt_sz=rng.choice([None, D(1), D(12000)]) if dice.hit() else None)
    last = mark * (1 + dice.dec(-0.004, 0.004))
    bars = rng.choice([0, 60, 100, 101]) if dice.hit() else 130
    closes = rng.choice(CLOSE_POOL)[-bars:] if bars else ()
    return kit.inst_market(inst_id, str(mark), str(last), closes, **spec)


def _decision(dice: _Dice, view: InstrumentMarket) -> Decision:
    rng = dice.rng
    action = rng.choice([Action.OPEN_LONG] * 5 + [Action.OPEN_SHORT] * 5 + [Action.HOLD, Action.CLOSE])
    sign = 1 if action is Action.OPEN_LONG else -1
    entry_type = rng.choice(["market", "limit"])
    move = dice.dec(-0.015, 0.015) if dice.hit() else dice.dec(-0.009, 0.009)
    entry = (view.mark_price * (1 + move)).quantize(PRICE_PLACES)
    risk = dice.dec(-0.005, 0.05) if dice.hit() else dice.dec(0.002, 0.03, 5)
    reward = dice.dec(-0.01, 0.1) if dice.hit() else risk * dice.dec(1.45, 6, 3)
    size_pct = rng.choice([dice.dec(5, 6), D(10) ** dice.dec(0, 9), dice.dec(0, 0.1)]) if dice.hit() else rng.choice(
        [dice.dec(0.5, 5, 3), D(5)])
    return kit.long(
        inst_id=view.instrument.inst_id, action=action, entry_type=entry_type, size_pct=size_pct,
        leverage=rng.choice([D("3.0001"), D("0.5"), D(100), D(0)]) if dice.hit() else rng.choice(
            [D(1), D(2), D("2.5"), D(3)]),
        entry_price=entry if entry_type == "limit" or rng.random() < 0.5 else None,
        stop_loss=None if dice.hit() else (entry * (1 - sign * risk)).quantize(PRICE_PLACES),
        take_profit=None if dice.hit() else (entry * (1 + sign * reward)).quantize(PRICE_PLACES),
        confidence=rng.random(),
    )


def _status(dice: _Dice, equity: Decimal) -> RiskStatus:
    rng = dice.rng
    base = equity * (1 + (dice.dec(0.02, 0.06) if dice.hit() else dice.dec(-0.05, 0.02)))
    peak = max(base, equity) * (1 + (dice.dec(0.05, 0.15) if dice.hit() else dice.dec(0, 0.05)))

    def moment() -> object:
        return rng.choice([None, kit.NOW + timedelta(minutes=rng.randint(-120, 120))])

    return RiskStatus.model_construct(
        state=rng.choice(list(BotState)) if dice.hit() else BotState.RUNNING, until=moment(),
        day_start=start_of_utc_day(kit.NOW) - timedelta(days=1 if dice.hit() else 0),
        day_start_equity=None if dice.hit() and dice.hit() else base, peak_equity=rng.choice([peak, peak, None]),
        consecutive_losses=rng.randint(3, 5) if dice.hit() else rng.randint(0, 2),
        last_loss_at=moment(), paused_at=moment(),
    )


def _position(dice: _Dice, views: list[InstrumentMarket], avoid: str, equity: Decimal) -> Position:
    """A position in another instrument worth up to 5 % of equity (when pushed: anywhere, far more)."""
    rough = dice.hit()
    others = [v for v in views if v.instrument.inst_id != avoid] or views
    view = dice.rng.choice(views if rough else others)
    share = dice.dec(0, 10) if rough else dice.dec(0, 0.05)
    contracts = view.instrument.round_size(equity * share / (view.instrument.ct_val * view.mark_price))
    return kit.position(view.instrument.inst_id, dice.rng.choice(["long", "short"]), str(contracts), "1")


def _data_at(dice: _Dice, snapshot_at: datetime) -> dict[str, datetime]:
    """When the snapshot's market data was stamped: fresh, or (pushed) up to ten minutes old, from the
    future, or without the price."""
    rng = dice.rng
    ages = {name: rng.uniform(55, 600) if dice.hit() else rng.uniform(-1, 59.999)
            for name in ("ticker", "book", "price") if name == "price" or rng.random() < 0.8}
    if dice.hit() and dice.hit():
        del ages["price"]
    return {name: snapshot_at - timedelta(seconds=age) for name, age in ages.items()}


def build(seed: int, roughness: float, flaw: str | None, bad: Decimal) -> World:
    dice = _Dice(seed, roughness)
    rng = dice.rng
    views = [_view(dice, inst) for inst in INSTRUMENTS[: rng.randint(1, len(INSTRUMENTS))]]
    equity = dice.dec(1, 50, 2) if dice.hit() else D(repr(round(10 ** rng.uniform(2, 6), 2)))
    account = kit.account(str(equity), str(equity * (dice.dec(0, 0.1) if dice.hit() else dice.dec(0.5, 1.2))))
    decision = _decision(dice, rng.choice(views))
    positions = [_position(dice, views, decision.inst_id, equity)
                 for _ in range(rng.randint(2, 5) if dice.hit() else rng.randint(0, 2))]
    pending = tuple(kit.pending_order(v.instrument.inst_id, rng.choice(["buy", "sell"]), str(dice.dec(0, 5, 2)),
                                      str(v.mark_price * D("0.99")), reduce_only=rng.random() < 0.5)
                    for v in (rng.sample(views, 1) if dice.hit() else ()))
    cycle = rng.choice([60, 300])
    age = rng.randint(-10, 1000) if dice.hit() else rng.randint(-5, 2 * cycle)
    snapshot_at = kit.NOW - timedelta(seconds=age)
    market = MarketView.model_construct(snapshot_at=snapshot_at, cycle_seconds=cycle,
                                        market_data_at=_data_at(dice, snapshot_at),
                                        instruments={v.instrument.inst_id: v for v in views}, pending_orders=pending)
    world = World(decision, account, positions, _status(dice, equity), market)
    world = _with_flaw(world, flaw, bad, rng) if flaw else world
    if dice.hit() and dice.hit():  # a decision about an instrument the market view does not know
        world = _replace(world, decision=world.decision.model_copy(update={"inst_id": "DOGE-USDT-SWAP"}))
    return world


def _with_flaw(world: World, flaw: str, bad: Decimal, rng: random.Random) -> World:
    """Put the adversarial value `bad` into the field named `flaw`."""
    if flaw in ("size_pct", "leverage", "entry_price", "stop_loss", "take_profit", "confidence"):
        value: object = (float("nan") if bad.is_nan() else float(bad)) if flaw == "confidence" else bad
        return _replace(world, decision=world.decision.model_copy(update={flaw: value}))
    if flaw in ("equity", "available"):
        return _replace(world, account=world.account.model_copy(update={flaw: bad}))
    if flaw == "position_size":
        extra = kit.position(world.decision.inst_id, rng.choice(["long", "short"]), str(bad), "1")
        return _replace(world, positions=[*world.positions, extra])
    if flaw == "pending_size":
        pending = kit.pending_order(world.decision.inst_id, "buy", "1", "1").model_copy(update={"size": bad})
        return _replace(world, market=world.market.model_copy(update={"pending_orders": (pending,)}))
    view = world.market.instruments[world.decision.inst_id]
    if flaw in ("mark_price", "last_price"):
        view = view.model_copy(update={flaw: bad})
    elif flaw == "close":
        closes = list(view.closes_1h) or [(kit.NOW, D(1))]
        closes[rng.randrange(len(closes))] = (closes[0][0], bad)
        view = view.model_copy(update={"closes_1h": tuple(closes)})
    else:
        view = view.model_copy(update={"instrument": view.instrument.model_copy(update={flaw: bad})})
    instruments = {**world.market.instruments, world.decision.inst_id: view}
    return _replace(world, market=world.market.model_copy(update={"instruments": instruments}))


def _replace(world: World, **changes: object) -> World:
    fields = {"decision": world.decision, "account": world.account, "positions": world.positions,
              "status": world.status, "market": world.market}
    return World(**(fields | changes))  # type: ignore[arg-type]
