"""Candle frames for tests: the real 15m file of ../shared/data (loaded once) and small hand-made frames."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np

from trading_bot.clock import to_ms
from trading_bot.domain.market import Candle
from trading_bot.market.candle_files import load_frame
from trading_bot.market.frame import CandleFrame, timeframe_ms

FILE_15M = "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
FILE_1M = "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather"
START = datetime(2026, 1, 5, tzinfo=UTC)


@lru_cache(maxsize=4)
def shared_frame(shared_dir: Path, name: str = FILE_15M, timeframe: str = "15m") -> CandleFrame:
    return load_frame(shared_dir / "data" / name, timeframe)


def frame(closes: Sequence[float], timeframe: str = "15m", start: datetime = START, spread: float = 1.0,
          volumes: Sequence[float] | None = None, highs: Sequence[float] | None = None,
          lows: Sequence[float] | None = None) -> CandleFrame:
    """Consecutive bars from `start` with these closes; open = previous close (within the bar's
    given high and low), high/low = max/min ± spread."""
    close = np.asarray(closes, dtype=float)
    open_ = np.r_[close[:1], close[:-1]]
    high = np.asarray(highs, dtype=float) if highs is not None else np.maximum(open_, close) + spread
    low = np.asarray(lows, dtype=float) if lows is not None else np.minimum(open_, close) - spread
    open_ = np.clip(open_, low, high)  # a bar obeys the candle rule (a gap opens at the given extreme)
    volume = np.asarray(volumes, dtype=float) if volumes is not None else np.full(len(close), 10.0)
    stamps = to_ms(start) + np.arange(len(close), dtype=np.int64) * timeframe_ms(timeframe)
    return CandleFrame.from_arrays(timeframe, stamps, open_, high, low, close, volume)


def to_candles(frame: CandleFrame, inst_id: str = "BTC-USDT-SWAP", ct_val: Decimal = Decimal("0.01")) -> list[Candle]:
    """Closed Candle models of a frame (prices as their shortest decimal repr, volume in base currency)."""
    out = []
    for i in range(len(frame)):
        volume_ccy = Decimal(repr(float(frame.volume[i])))
        close = Decimal(repr(float(frame.close[i])))
        out.append(Candle(
            inst_id=inst_id, timeframe=frame.timeframe, ts=frame.open_time(i),
            open=Decimal(repr(float(frame.open[i]))), high=Decimal(repr(float(frame.high[i]))),
            low=Decimal(repr(float(frame.low[i]))), close=close, volume=volume_ccy / ct_val,
            volume_ccy=volume_ccy, volume_quote=volume_ccy * close, confirmed=True,
        ))
    return out
