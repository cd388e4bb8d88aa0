"""Human rendering of a MarketSnapshot for `trading-bot snapshot` (rich tables)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from trading_bot.domain.snapshot import IndicatorSet, MarketSnapshot, TimeframeView

DASH = "—"


def _num(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:,.{digits}f}"


def _with(value: float | None, label: str | None, digits: int = 2) -> str:
    return _num(value, digits) + (f" ({label})" if label else "")


def _pair(first: float | None, second: float | None) -> str:
    return f"{_num(first, 1)} / {_num(second, 1)}"


def _levels(values: list[float]) -> str:
    return ", ".join(f"{v:,.1f}" for v in values[:3]) or DASH


ROWS: list[tuple[str, Callable[[TimeframeView], str]]] = [
    ("last closed", lambda v: f"{v.last_closed:%m-%d %H:%M}Z ({v.bars} bars)" if v.last_closed else "no bars"),
    ("regime", lambda v: v.regime.label if v.regime else f"{DASH} ({v.regime_missing})"),
    ("close", lambda v: _num(v.indicators.close, 1)),
    ("RSI 14", lambda v: _with(v.indicators.rsi, v.indicators.rsi_zone, 1)),
    ("MACD 12/26/9", lambda v: _macd(v.indicators)),
    ("BB 20/2 position", lambda v: _num(v.indicators.bb_position)),
    ("EMA 20/50/200", lambda v: _emas(v.indicators)),
    ("ATR 14 (% of close)", lambda v: f"{_num(v.indicators.atr, 1)} ({_num(v.indicators.atr_pct)} %)"),
    ("ADX / +DI / −DI", lambda v: " / ".join(_num(x, 1) for x in (v.indicators.adx, v.indicators.plus_di,
                                                                   v.indicators.minus_di))),
    ("StochRSI K / D", lambda v: f"{_num(v.indicators.stochrsi_k, 1)} / {_num(v.indicators.stochrsi_d, 1)}"),
    ("VWAP (00:00 UTC)", lambda v: _num(v.indicators.vwap, 1)),
    ("Ichimoku tenkan/kijun", lambda v: _pair(v.indicators.ichimoku_tenkan, v.indicators.ichimoku_kijun)),
    ("Ichimoku cloud A/B", lambda v: _pair(v.indicators.ichimoku_senkou_a, v.indicators.ichimoku_senkou_b)),
    ("OBV", lambda v: _num(v.indicators.obv, 0)),
    ("volume / 20-bar mean", lambda v: f"{_num(v.indicators.volume)} / {_num(v.indicators.volume_mean_20)}"),
    ("supports", lambda v: _levels(v.indicators.supports)),
    ("resistances", lambda v: _levels(v.indicators.resistances)),
    ("volume profile POC (VA)", lambda v: _profile(v.indicators)),
    ("missing", lambda v: str(len(v.indicators.missing)) if v.indicators.missing else "none"),
]


def _macd(ind: IndicatorSet) -> str:
    cross = "" if ind.macd_cross in (None, "none") else f", {ind.macd_cross}"
    return f"{_num(ind.macd)} / {_num(ind.macd_signal)}{cross}"


def _emas(ind: IndicatorSet) -> str:
    values = " / ".join(_num(x, 1) for x in (ind.ema20, ind.ema50, ind.ema200))
    return values + (f" ({ind.ema_alignment})" if ind.ema_alignment else "")


def _profile(ind: IndicatorSet) -> str:
    vp = ind.volume_profile
    return DASH if vp is None else f"{vp.poc:,.1f} ({vp.value_area_low:,.1f}–{vp.value_area_high:,.1f})"


def render(snapshot: MarketSnapshot, console: Console) -> None:
    console.print(f"[bold]{snapshot.inst_id}[/bold] at {snapshot.at:%Y-%m-%d %H:%M:%S}Z   price {snapshot.price}"
                  + (f"   mark {snapshot.mark_price}" if snapshot.mark_price is not None else "")
                  + f"   1H change {_num(snapshot.price_change_1h_pct)} %")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("")
    for timeframe in snapshot.timeframes:
        table.add_column(timeframe, justify="right")
    for label, cell in ROWS:
        table.add_row(label, *(cell(view) for view in snapshot.timeframes.values()))
    console.print(table)
    for line in _market_lines(snapshot):
        console.print(line, markup=False)


def _market_lines(snapshot: MarketSnapshot) -> list[str]:
    lines = []
    book = snapshot.book
    lines.append(f"book: bid {book.best_bid} / ask {book.best_ask}, spread {book.spread_bps:.2f} bps, "
                 f"imbalance {book.imbalance:+.2f} (top 5)" if book else f"book: {DASH}")
    funding = snapshot.funding
    lines.append(f"funding: {funding.rate * 100:.4f} %, next settlement {funding.funding_time:%m-%d %H:%M}Z"
                 if funding else f"funding: {DASH}")
    oi = snapshot.open_interest
    lines.append(f"open interest: {oi.oi:,} contracts, 1H change {_num(snapshot.oi_change_1h_pct)} %"
                 if oi else f"open interest: {DASH}")
    ages = ", ".join(f"{name} {age:.0f} s" for name, age in snapshot.freshness_seconds.items())
    lines.append(f"data age: {ages or DASH}")
    for anomaly in snapshot.anomalies:
        lines.append(f"ANOMALY {anomaly.severity} {anomaly.kind}: {anomaly.message}")
    for name, reason in snapshot.missing.items():
        lines.append(f"missing {name}: {reason}")
    for view in snapshot.timeframes.values():
        for name, reason in view.indicators.missing.items():
            lines.append(f"missing {view.timeframe} {name}: {reason}")
    return lines
