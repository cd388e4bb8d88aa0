"""Gate rules about the book: same instrument, number of positions, total exposure, correlation."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest

from tests.kit import risk as kit
from trading_bot.risk.correlation import CorrelationUnavailable, returns_correlation
from trading_bot.risk.limits import HARD_LIMITS
from trading_bot.risk.portfolio import too_correlated
from trading_bot.risk.verdict import Rule

D = Decimal
XRP = "XRP-USDT-SWAP"


def _book_market(*extra, btc_closes=()):  # noqa: ANN001, ANN202
    return kit.market(kit.inst_market(closes=btc_closes), *extra)


def test_an_opposing_position_in_the_same_instrument_is_rejected(gate):
    verdict = gate(kit.long(), positions=[kit.position(kit.BTC, "short", "0.1", "50000")])
    assert verdict.rule is Rule.OPPOSING_POSITION


def test_a_second_position_or_pending_entry_in_the_same_instrument_and_side_is_rejected(gate):
    assert gate(kit.long(), positions=[kit.position(kit.BTC, "long", "0.1", "50000")]).rule is Rule.DUPLICATE_POSITION
    pending = kit.market(pending=(kit.pending_order(kit.BTC, "buy", "0.1", "49900"),))
    assert gate(kit.long(), market=pending).rule is Rule.DUPLICATE_POSITION


def test_reduce_only_and_filled_pending_orders_are_not_entries(gate):
    pending = kit.market(pending=(kit.pending_order(kit.BTC, "sell", "0.1", "51000", reduce_only=True),))
    assert gate(kit.long(), market=pending).approved


def _shorts(*inst_ids: str) -> tuple[list, tuple]:
    positions = [kit.position(inst_id, "short", "1", "100") for inst_id in inst_ids]
    views = tuple(kit.inst_market(inst_id, "100") for inst_id in inst_ids)
    return positions, views


def test_at_most_three_positions_including_the_new_one(gate):
    positions, views = _shorts(kit.ETH, kit.SOL)
    assert gate(positions=positions, market=_book_market(*views)).approved  # becomes the 3rd
    positions, views = _shorts(kit.ETH, kit.SOL, XRP)
    verdict = gate(positions=positions, market=_book_market(*views))
    assert verdict.rule is Rule.OPEN_POSITIONS and verdict.numbers["open_after"] == 4


def test_pending_entries_count_as_positions(gate):
    positions, views = _shorts(kit.ETH, kit.SOL)
    pending = (kit.pending_order(XRP, "sell", "1", "100"),)
    market = kit.market(kit.inst_market(), *views, kit.inst_market(XRP, "100"), pending=pending)
    assert gate(positions=positions, market=market).rule is Rule.OPEN_POSITIONS


@pytest.mark.parametrize("eth_size, approved", [("50", True), ("50.01", False)])
def test_total_exposure_at_most_fifteen_percent(gate, eth_size, approved):
    # ETH short 50 contracts × 0.01 × 2,000 = 1,000 USDT (10 %) + BTC long 500 USDT (5 %) = exactly 15 %
    positions = [kit.position(kit.ETH, "short", eth_size, "2000")]
    verdict = gate(positions=positions, market=_book_market(kit.inst_market(kit.ETH, "2000")))
    assert verdict.approved is approved
    if approved:
        assert verdict.numbers["exposure_pct"] == D(15)
    else:
        assert verdict.rule is Rule.TOTAL_EXPOSURE


def test_positions_are_valued_at_the_current_mark_and_pending_entries_at_the_higher_price(gate):
    positions = [kit.position(kit.ETH, "short", "50", "1000")]  # entered at 1,000, now marked at 2,000
    assert gate(positions=positions, market=_book_market(kit.inst_market(kit.ETH, "2001"))).rule is Rule.TOTAL_EXPOSURE
    pending = (kit.pending_order(kit.ETH, "sell", "50", "2000.2"),)  # above the 2,000 mark: valued at 2,000.2
    market = kit.market(kit.inst_market(), kit.inst_market(kit.ETH, "2000"), pending=pending)
    assert gate(market=market).rule is Rule.TOTAL_EXPOSURE


def test_a_holding_the_market_view_cannot_value_is_rejected(gate):
    assert gate(positions=[kit.position(kit.ETH, "short", "1", "100")]).rule is Rule.UNKNOWN_INSTRUMENT


def _correlated_pair(r: float, bars: int = 100, seed: int = 3) -> tuple[list[float], list[float]]:
    """Two return series whose sample correlation is `r` (up to the closes' rounding)."""
    rng = random.Random(seed)
    x = np.array([rng.gauss(0, 0.01) for _ in range(bars)])
    z = np.array([rng.gauss(0, 0.01) for _ in range(bars)])
    x, z = x - x.mean(), z - z.mean()
    z = z - (z @ x) / (x @ x) * x  # orthogonal to x in the sample
    z *= np.linalg.norm(x) / np.linalg.norm(z)
    y = r * x + np.sqrt(1 - r * r) * z
    return list(x), list(y)


@pytest.mark.parametrize("r, approved", [(0.79, True), (0.81, False), (0.99, False), (-0.95, True)])
def test_same_direction_positions_may_not_correlate_above_point_eight(gate, r, approved):
    x, y = _correlated_pair(r)
    btc, eth = kit.hourly_closes("50000", x), kit.hourly_closes("2000", y)
    measured = float(np.corrcoef(np.diff([float(c) for _, c in btc]) / [float(c) for _, c in btc][:-1],
                                 np.diff([float(c) for _, c in eth]) / [float(c) for _, c in eth][:-1])[0, 1])
    assert measured == pytest.approx(r, abs=0.002)
    market = kit.market(kit.inst_market(closes=btc), kit.inst_market(kit.ETH, "2000", closes=eth))
    verdict = gate(positions=[kit.position(kit.ETH, "long", "1", "2000")], market=market)
    assert verdict.approved is approved
    if not approved:
        assert verdict.rule is Rule.CORRELATION and verdict.numbers["r"] == pytest.approx(r, abs=0.002)


def test_exactly_point_eight_is_allowed_only_strictly_above_rejects():
    assert not too_correlated(0.8, HARD_LIMITS)
    assert too_correlated(0.8000000001, HARD_LIMITS)


def test_correlated_positions_in_the_opposite_direction_are_allowed(gate):
    x, y = _correlated_pair(0.99)
    market = kit.market(kit.inst_market(closes=kit.hourly_closes("50000", x)),
                        kit.inst_market(kit.ETH, "2000", closes=kit.hourly_closes("2000", y)))
    assert gate(positions=[kit.position(kit.ETH, "short", "1", "2000")], market=market).approved


def test_correlation_that_cannot_be_measured_rejects(gate):
    x, y = _correlated_pair(0.1, bars=99)  # 100 closes: one return short
    market = kit.market(kit.inst_market(closes=kit.hourly_closes("50000", x)),
                        kit.inst_market(kit.ETH, "2000", closes=kit.hourly_closes("2000", y)))
    verdict = gate(positions=[kit.position(kit.ETH, "long", "1", "2000")], market=market)
    assert verdict.rule is Rule.CORRELATION and "100 common closed 1H bars, 101 needed" in verdict.reason


def test_correlation_uses_the_most_recent_common_bars_only():
    x, y = _correlated_pair(0.95, bars=150)
    a, b = kit.hourly_closes("100", x), kit.hourly_closes("100", y)
    recent = returns_correlation(a, b, 100)
    assert recent == pytest.approx(float(np.corrcoef(
        np.diff([float(c) for _, c in a[-101:]]) / [float(c) for _, c in a[-101:-1]],
        np.diff([float(c) for _, c in b[-101:]]) / [float(c) for _, c in b[-101:-1]])[0, 1]), abs=1e-9)
    with pytest.raises(CorrelationUnavailable, match="no movement"):
        flat = tuple((ts, D(100)) for ts, _ in a)
        returns_correlation(a, flat, 100)
