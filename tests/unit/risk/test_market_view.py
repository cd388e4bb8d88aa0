"""MarketView.from_snapshot: what the pipeline hands the gate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.kit import risk as kit
from tests.kit.snapshots import AT, INST, snapshot
from trading_bot.domain.market import Candle
from trading_bot.risk.market import MarketView

D = Decimal


def _bar(ts, close: str, confirmed: bool = True, timeframe: str = "1H") -> Candle:  # noqa: ANN001
    return Candle(inst_id=INST, timeframe=timeframe, ts=ts, open=D(close), high=D(close), low=D(close), close=D(close),
                  volume=D(1), volume_ccy=D(1), volume_quote=D(1), confirmed=confirmed)


def test_from_snapshot_takes_prices_from_the_snapshot_and_only_closed_hourly_bars():
    snap = snapshot(price="67000.0").model_copy(update={"mark_price": D("66990.5")})
    bars = [_bar(AT - timedelta(hours=2), "66000"), _bar(AT - timedelta(hours=3), "65000"),
            _bar(AT - timedelta(hours=1), "66500", confirmed=False), _bar(AT - timedelta(hours=1), "1", timeframe="15m")]
    view = MarketView.from_snapshot(
        snap, cycle_seconds=300, instruments={INST: kit.instrument(INST), kit.ETH: kit.instrument(kit.ETH)},
        prices={kit.ETH: (D(3000), D("3001"))}, hourly_candles={INST: bars},
        pending_orders=[kit.pending_order()])
    btc, eth = view.get(INST), view.get(kit.ETH)
    assert (btc.mark_price, btc.last_price) == (D("66990.5"), D("67000.0"))
    assert btc.closes_1h == ((AT - timedelta(hours=3), D(65000)), (AT - timedelta(hours=2), D(66000)))
    assert (eth.mark_price, eth.last_price, eth.closes_1h) == (D(3000), D(3001), ())
    assert view.snapshot_at == AT and view.cycle_seconds == 300 and len(view.pending_orders) == 1


def test_without_a_mark_price_the_last_price_stands_in():
    view = MarketView.from_snapshot(snapshot(price="67000.0"), 300, {INST: kit.instrument(INST)}, {}, {})
    assert view.get(INST).mark_price == D("67000.0")


def test_from_snapshot_stamps_the_price_ticker_and_book_from_their_ages():
    ages = {"ticker": 2.0, "book": 0.5, "mark_price": 1.25, "price": 2.0, "funding": 40.0, "candles_15m": 300.0}
    snap = snapshot().model_copy(update={"freshness_seconds": ages})
    view = MarketView.from_snapshot(snap, 300, {INST: kit.instrument(INST)}, {}, {})
    assert view.market_data_at == {"ticker": AT - timedelta(seconds=2), "book": AT - timedelta(seconds=0.5),
                                   "price": AT - timedelta(seconds=2)}  # not the mark price, funding, candles
