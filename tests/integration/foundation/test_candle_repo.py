from datetime import UTC, datetime, timedelta
from decimal import Decimal

from structlog.testing import capture_logs

from trading_bot.domain.market import Candle
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import count, fetch_candles, latest_ts, upsert_candles

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _bar(i: int, close: str, confirmed: bool = True) -> Candle:
    px = Decimal(close)
    return Candle(inst_id="BTC-USDT-SWAP", timeframe="15m", ts=T0 + timedelta(minutes=15 * i), open=px,
                  high=px + 5, low=px - 5, close=px, volume=Decimal("12.5"), volume_ccy=Decimal("0.125"),
                  volume_quote=Decimal("12000.5"), confirmed=confirmed)


def test_upsert_is_idempotent_and_closed_bars_win(database: Database) -> None:
    assert upsert_candles(database, [_bar(0, "90000.1"), _bar(1, "90010.2"), _bar(2, "90020.3", confirmed=False)]) == 3
    assert upsert_candles(database, [_bar(0, "90000.1"), _bar(1, "90010.2")]) == 2
    assert count(database, "BTC-USDT-SWAP", "15m") == 3
    upsert_candles(database, [_bar(2, "90030.4", confirmed=False)])  # forming bar updated in place
    upsert_candles(database, [_bar(2, "90031.0", confirmed=True)])  # then closed
    assert upsert_candles(database, [_bar(2, "99999.9", confirmed=False)]) == 0  # a late forming push is ignored
    bars = fetch_candles(database, "BTC-USDT-SWAP", "15m")
    assert [b.close for b in bars] == [Decimal("90000.1"), Decimal("90010.2"), Decimal("90031.0")]
    assert all(b.confirmed for b in bars)
    assert bars[0].volume_quote == Decimal("12000.5")
    assert latest_ts(database, "BTC-USDT-SWAP", "15m") == T0 + timedelta(minutes=30)
    last_two = fetch_candles(database, "BTC-USDT-SWAP", "15m", limit=2)
    assert [b.ts for b in last_two] == [T0 + timedelta(minutes=15), T0 + timedelta(minutes=30)]


def test_upsert_reports_rows_written(database: Database) -> None:
    assert upsert_candles(database, [_bar(0, "100.0"), _bar(1, "200.0")]) == 2
    assert upsert_candles(database, [_bar(0, "100.0", confirmed=False)]) == 0  # a closed bar is kept


def test_a_closed_bar_replaced_by_a_different_closed_bar_is_logged(database: Database) -> None:
    upsert_candles(database, [_bar(0, "90000.1"), _bar(1, "90010.2", confirmed=False)])
    with capture_logs() as logs:
        upsert_candles(database, [_bar(0, "90000.1")])  # the same closed bar again (a REST backfill)
        upsert_candles(database, [_bar(1, "90011.0", confirmed=False), _bar(1, "90012.0", confirmed=True)])
        assert logs == []  # a forming bar changes until it closes: nothing to say
        assert upsert_candles(database, [_bar(0, "90001.5"), _bar(1, "90012.0"), _bar(2, "90020.0")]) == 3
    assert logs == [{"event": "candles_replaced", "log_level": "warning", "logger": "trading_bot.storage.repos.candles",
                     "instrument": "BTC-USDT-SWAP", "timeframe": "15m", "bars": 1, "first_ts": T0.isoformat(),
                     "stored": "open=90000.1 high=90005.1 low=89995.1 close=90000.1",
                     "received": "open=90001.5 high=90006.5 low=89996.5 close=90001.5"}]
    assert [b.close for b in fetch_candles(database, "BTC-USDT-SWAP", "15m")] == [
        Decimal("90001.5"), Decimal("90012.0"), Decimal("90020.0")]
    with capture_logs() as asked:
        upsert_candles(database, [_bar(0, "90002.5")], compared=True)  # `data import` compared and reports itself
    assert asked == []
