"""An independent re-computation of every limit for an approved entry, written from the issue's
table without the gate's code: the property test holds every approved order against it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Context, Decimal, localcontext

import numpy as np

from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.risk.market import MarketView
from trading_bot.risk.status import BotState, RiskStatus
from trading_bot.risk.verdict import Verdict

D = Decimal
MMR = D("0.01")


def _finite_non_negative(value) -> bool:  # noqa: ANN001
    return value is None or (D(value).is_finite() and D(value) >= 0)


def violations(verdict: Verdict, decision: Decision, account: Account, positions: list[Position],
               status: RiskStatus, market: MarketView, now: datetime) -> list[str]:
    """Every limit the approved order breaks (empty = the order is sound)."""
    with localcontext(Context(prec=120)):  # exact enough for any size/tick combination
        return _violations(verdict, decision, account, positions, status, market, now)


def _violations(verdict: Verdict, decision: Decision, account: Account, positions: list[Position],
                status: RiskStatus, market: MarketView, now: datetime) -> list[str]:
    o = verdict.order
    if o is None:
        return ["an approved entry carries no order"]
    bad: list[str] = []
    need = bad.append
    view = market.instruments[decision.inst_id]
    spec, mark, last = view.instrument, view.mark_price, view.last_price
    equity = account.equity

    for name in ("size_pct", "leverage", "confidence", "entry_price", "stop_loss", "take_profit"):
        if not _finite_non_negative(getattr(decision, name)):
            need(f"decision {name} is not a finite non-negative number")
    if not (equity.is_finite() and equity > 0):
        need("equity is not positive")
        return bad

    # the bot's own state and the account tripwires
    running = status.state is BotState.RUNNING or (
        status.state in (BotState.COOLDOWN, BotState.HALTED) and status.until is not None and now >= status.until)
    if not running:
        need(f"state {status.state} until {status.until}")
    peak = max(status.peak_equity if status.peak_equity is not None else equity, equity)
    if (peak - equity) / peak >= D("0.10"):
        need("drawdown of 10 % or more")
    base = status.day_start_equity
    if status.day_start != now.replace(hour=0, minute=0, second=0, microsecond=0) or base is None or base <= 0:
        need("no baseline for today")
    elif (base - equity) / base >= D("0.03"):
        need("daily loss of 3 % or more")
    served = status.paused_at is not None and (status.last_loss_at is None or status.last_loss_at <= status.paused_at)
    if status.consecutive_losses >= 3 and not served:
        need("three losses in a row without a pause since the last of them")
    age = now - market.snapshot_at
    if age > timedelta(seconds=2 * market.cycle_seconds) or age < timedelta(seconds=-5):
        need(f"snapshot age {age}")
    if "price" not in market.market_data_at:
        need("no time for the price")
    for name, stamp in market.market_data_at.items():
        if market.snapshot_at - stamp > timedelta(seconds=60):
            need(f"{name} {market.snapshot_at - stamp} old at the snapshot")

    # the order matches the decision
    side = "long" if decision.action == "OPEN_LONG" else "short"
    if (o.inst_id, o.side, o.ord_type, o.leverage) != (decision.inst_id, side, decision.entry_type, decision.leverage):
        need("order does not match the decision")
    if not (D(1) <= o.leverage <= D(3) and o.leverage <= spec.max_leverage):
        need(f"leverage {o.leverage}")

    # sizes and prices as the venue needs them
    if not (o.contracts > 0 and o.contracts >= spec.min_sz and o.contracts % spec.lot_sz == 0):
        need(f"contracts {o.contracts} not a positive multiple of lotSz {spec.lot_sz} ≥ minSz {spec.min_sz}")
    venue_max = spec.max_mkt_sz if o.ord_type == "market" else spec.max_lmt_sz
    if venue_max is not None and o.contracts > venue_max:
        need("above the venue maximum")
    prices = {"stop": (o.stop_loss, decision.stop_loss), "take": (o.take_profit, decision.take_profit)}
    if o.ord_type == "limit":
        prices["limit"] = (o.price, decision.entry_price)
    elif o.price is not None:
        need("a market order with a price")
    for name, (sent, asked) in prices.items():
        if sent is None or asked is None or sent <= 0 or sent % spec.tick_sz != 0 or abs(sent - asked) > spec.tick_sz / 2:
            need(f"{name} price {sent} is not {asked} rounded to tickSz {spec.tick_sz}")
    if bad:
        return bad

    # notional and margin
    valuation = max(mark, last, o.price or D(0))
    notional = o.contracts * spec.ct_val * valuation
    if notional > equity * D("0.05"):
        need(f"notional {notional} above 5 % of {equity}")
    if notional > equity * decision.size_pct / 100:
        need("more than the decision asked for")
    if notional / o.leverage > account.available:
        need("margin above the available balance")

    # entry, stop-loss, take-profit
    reference = o.price if o.ord_type == "limit" else decision.entry_price
    if reference is not None and abs(reference - mark) / mark > D("0.01"):
        need(f"entry {reference} more than 1 % from mark {mark}")
    entry = o.price if o.ord_type == "limit" else (max(mark, last) if side == "long" else min(mark, last))
    lo, hi = min(mark, last, entry), max(mark, last, entry)
    sl, tp = o.stop_loss, o.take_profit
    if side == "long" and not (sl < lo and tp > hi) or side == "short" and not (sl > hi and tp < lo):
        need(f"{side} stop {sl} / take {tp} on the wrong side of {lo}…{hi}")
        return bad
    if abs(entry - sl) / entry > D("0.03"):
        need("stop-loss more than 3 % from the entry")
    if abs(tp - entry) / abs(entry - sl) < D("1.5"):
        need("reward:risk below 1.5")
    liq = entry * (1 - 1 / o.leverage) / (1 - MMR) if side == "long" else entry * (1 + 1 / o.leverage) / (1 + MMR)
    if (side == "long" and liq >= sl) or (side == "short" and liq <= sl):
        need("liquidation before the stop")

    # the book the order joins
    held = [(p.inst_id, p.side, p.size * market.instruments[p.inst_id].instrument.ct_val
             * market.instruments[p.inst_id].mark_price) for p in positions if p.size > 0]
    for order in market.pending_orders:
        if not order.reduce_only and order.size > order.filled:
            other = market.instruments[order.inst_id]
            pside = order.pos_side if order.pos_side in ("long", "short") else (
                "long" if order.side == "buy" else "short")
            held.append((order.inst_id, pside, (order.size - order.filled) * other.instrument.ct_val
                         * max(order.price or D(0), other.mark_price)))
    if any(inst == o.inst_id for inst, _, _ in held):
        need("another holding in the same instrument")
    if len({(inst, s) for inst, s, _ in held} | {(o.inst_id, o.side)}) > 3:
        need("more than three positions")
    if sum((n for _, _, n in held), D(0)) + notional > equity * D("0.15"):
        need("exposure above 15 %")
    for inst, s, _ in held:
        if s == o.side and inst != o.inst_id:
            r = _correlation(view.closes_1h, market.instruments[inst].closes_1h)
            if r is None or r > 0.8 + 1e-9:
                need(f"correlated with {inst}: r = {r}")
    return bad


def _correlation(a, b) -> float | None:  # noqa: ANN001
    other = dict(b)
    common = sorted(ts for ts, _ in a if ts in other)[-101:]
    if len(common) < 101:
        return None
    mine = dict(a)
    x = np.array([float(mine[t]) for t in common])
    y = np.array([float(other[t]) for t in common])
    rx, ry = np.diff(x) / x[:-1], np.diff(y) / y[:-1]
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])
