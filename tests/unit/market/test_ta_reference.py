"""Every indicator of a snapshot on the real 15m BTC-USDT-SWAP candles against an independent
computation: TA-Lib called directly through its public API (≤ 1e-9 relative), pandas-ta for VWAP and
Ichimoku (which TA-Lib lacks)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pandas_ta as pta
import pytest
import talib
from talib import abstract

from tests.kit.candles import shared_frame
from trading_bot.market import ta_engine
from trading_bot.market.frame import CandleFrame
from trading_bot.market.frame_series import FrameSeries
from trading_bot.market.indicators import analyse_bar

pytestmark = pytest.mark.shared

LOOKBACK = 200
REL_TOL = 1e-9


def _sample(frame: CandleFrame, count: int = 40) -> list[int]:
    rng = np.random.default_rng(5)
    return sorted(rng.choice(np.arange(LOOKBACK, len(frame)), count, replace=False).tolist())


def _close_enough(ours: float | None, reference: float) -> bool:
    assert ours is not None
    return abs(ours - reference) <= REL_TOL * max(abs(reference), 1e-12)


def _talib_reference(window: CandleFrame) -> dict[str, float]:
    h, lo, c, v = window.high, window.low, window.close, window.volume
    macd, signal, hist = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0, matype=0)
    rsi = talib.RSI(c, timeperiod=14)
    k, d = talib.STOCH(rsi, rsi, rsi, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)
    series = {
        "rsi": rsi, "macd": macd, "macd_signal": signal, "macd_hist": hist,
        "bb_upper": upper, "bb_middle": middle, "bb_lower": lower,
        "ema20": talib.EMA(c, 20), "ema50": talib.EMA(c, 50), "ema200": talib.EMA(c, 200),
        "atr": talib.ATR(h, lo, c, 14), "adx": talib.ADX(h, lo, c, 14),
        "plus_di": talib.PLUS_DI(h, lo, c, 14), "minus_di": talib.MINUS_DI(h, lo, c, 14),
        "stochrsi_k": k, "stochrsi_d": d, "obv": talib.OBV(c, v),
    }
    return {name: float(values[-1]) for name, values in series.items()}


@pytest.fixture(scope="module")
def real(shared_dir):  # noqa: ANN001, ANN201
    frame = shared_frame(shared_dir)
    return frame, FrameSeries.compute(frame, LOOKBACK, _sample(frame))


def test_every_talib_indicator_matches_talib_called_directly_on_the_bar_window(real) -> None:  # noqa: ANN001
    frame, series = real
    worst: dict[str, float] = {}
    for index in _sample(frame):
        window = frame.slice(index - LOOKBACK + 1, index + 1)
        indicators = analyse_bar(series, index).indicators
        for name, reference in _talib_reference(window).items():
            ours = getattr(indicators, name)
            assert _close_enough(ours, reference), (name, index, ours, reference)
            worst[name] = max(worst.get(name, 0.0), abs(ours - reference) / max(abs(reference), 1e-12))
    assert len(worst) == 17


def test_derived_values_follow_from_talib_values(real) -> None:  # noqa: ANN001
    frame, series = real
    for index in _sample(frame)[:10]:
        ind = analyse_bar(series, index).indicators
        assert ind.close == frame.close[index]
        assert ind.atr_pct == pytest.approx(ind.atr / ind.close * 100, rel=1e-12)
        assert ind.bb_position == pytest.approx((ind.close - ind.bb_lower) / (ind.bb_upper - ind.bb_lower), rel=1e-12)
        assert ind.volume_mean_20 == pytest.approx(frame.volume[index - 19:index + 1].mean(), rel=1e-12)


def test_bars_needed_is_talib_lookback_plus_one() -> None:
    def lookback(name: str, **params: float) -> int:
        function = abstract.Function(name)
        function.set_parameters(params)
        return int(function.lookback)

    needed = ta_engine.BARS_NEEDED
    assert needed["rsi"] == lookback("RSI", timeperiod=14) + 1
    assert needed["macd"] == lookback("MACD", fastperiod=12, slowperiod=26, signalperiod=9) + 1
    assert needed["bb"] == lookback("BBANDS", timeperiod=20) + 1
    assert needed["ema200"] == lookback("EMA", timeperiod=200) + 1
    assert needed["atr"] == lookback("ATR", timeperiod=14) + 1
    assert needed["adx"] == lookback("ADX", timeperiod=14) + 1
    assert needed["di"] == lookback("PLUS_DI", timeperiod=14) + 1
    stoch = lookback("STOCH", fastk_period=14, slowk_period=3, slowd_period=3)
    assert needed["stochrsi"] == lookback("RSI", timeperiod=14) + stoch + 1


def _pandas_frame(frame: CandleFrame) -> pd.DataFrame:
    index = pd.to_datetime(frame.ts, unit="ms", utc=True)
    return pd.DataFrame({"high": frame.high, "low": frame.low, "close": frame.close, "volume": frame.volume},
                        index=index)


def test_vwap_and_ichimoku_match_pandas_ta(shared_dir) -> None:  # noqa: ANN001
    frame = shared_frame(shared_dir).slice(40_000, 42_000)
    series = FrameSeries.compute(frame, LOOKBACK, np.arange(LOOKBACK, len(frame)))
    data = _pandas_frame(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vwap = pta.vwap(data.high, data.low, data.close, data.volume, anchor="D").to_numpy()
        ichimoku, _ = pta.ichimoku(data.high, data.low, data.close, tenkan=9, kijun=26, senkou=52, lookahead=False)
    assert "ICS_26" not in ichimoku.columns  # no chikou span: it reads future closes
    columns = {"ichimoku_tenkan": "ITS_9", "ichimoku_kijun": "IKS_26", "ichimoku_senkou_a": "ISA_9",
               "ichimoku_senkou_b": "ISB_26"}
    for index in range(LOOKBACK, len(frame), 7):
        ind = analyse_bar(series, index).indicators
        assert _close_enough(ind.vwap, float(vwap[index]))
        for ours, theirs in columns.items():
            assert _close_enough(getattr(ind, ours), float(ichimoku[theirs].iloc[index])), (ours, index)


def test_pandas_ta_talib_mode_reports_directional_movement_not_di_which_is_why_talib_is_called_directly() -> None:
    rng = np.random.default_rng(1)
    close = 100 + np.cumsum(rng.normal(0, 1, 300))
    high, low = close + rng.uniform(0.1, 1, 300), close - rng.uniform(0.1, 1, 300)
    data = pd.DataFrame({"high": high, "low": low, "close": close})
    adx = pta.adx(data.high, data.low, data.close, length=14, talib=True)
    np.testing.assert_allclose(adx["DMP_14"].to_numpy()[-50:], talib.PLUS_DM(high, low, 14)[-50:])
    assert not np.allclose(adx["DMP_14"].to_numpy()[-50:], talib.PLUS_DI(high, low, close, 14)[-50:])
