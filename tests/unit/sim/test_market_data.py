"""Market data of the simulator: tick paths, exact aggregation, history before the start, the
synthetic generator, funding schedule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trading_bot.exchange.sim import files
from trading_bot.exchange.sim.funding import FundingSchedule, next_settlement, settlements_between
from trading_bot.exchange.sim.instruments import INSTRUMENTS
from trading_bot.exchange.sim.market import SimMarket
from trading_bot.exchange.sim.series import Bars, bucket_start, merge_resolutions, tick_path
from trading_bot.exchange.sim.synthetic import SyntheticMarket

DATA = "data/okx_BTC-USDT-SWAP_{}"
JAN5 = 1767571200000  # 2026-01-05T00:00Z


def test_tick_path_visits_the_nearer_extreme_first() -> None:
    bars = Bars.from_columns([0, 60_000], 60_000, [100, 100], [101, 110], [90, 99], [95, 105], [1, 1])
    times, prices = tick_path(bars)
    assert prices.tolist() == [100, 101, 90, 95, 100, 99, 110, 105]  # high nearer, then low nearer
    assert times.tolist() == [0, 18_000, 42_000, 59_999, 60_000, 78_000, 102_000, 119_999]


def test_bucket_alignment_follows_okx() -> None:
    ts = JAN5 + 5 * 3_600_000
    assert bucket_start(ts, "4H") == JAN5 + 4 * 3_600_000
    assert bucket_start(ts, "1Dutc") == JAN5
    assert bucket_start(JAN5 + 17 * 3_600_000, "1D") == JAN5 + 16 * 3_600_000  # 00:00 in UTC+8


@pytest.mark.shared
def test_one_minute_bars_aggregate_exactly_to_the_real_fifteen_minute_file(shared_dir: Path) -> None:
    fine = files.load(shared_dir / DATA.format("1m_20260101-20260116.feather"))
    coarse = files.load(shared_dir / DATA.format("15m_20230101-20260418.feather"))
    market = SimMarket.from_files([str(fine.path)])
    data = market.data["BTC-USDT-SWAP"]
    now = int(fine.bars.ts[-1])
    rows = data.candles("15m", now, data.price_at(now), limit=300, confirmed_only=True)
    ours = {r.ts: (r.o, r.h, r.l, r.c, r.vol_ccy) for r in rows}
    index = {int(t): i for i, t in enumerate(coarse.bars.ts)}
    assert len(ours) == 300
    for ts, (o, h, low, c, v) in ours.items():
        i = index[ts]
        assert (o, h, low, c) == (coarse.bars.o[i], coarse.bars.h[i], coarse.bars.l[i], coarse.bars.c[i])
        assert v == pytest.approx(coarse.bars.v[i], rel=1e-9)


@pytest.mark.shared
def test_history_before_the_start_and_no_look_ahead(shared_dir: Path) -> None:
    market = SimMarket.from_files([str(shared_dir / DATA.format("15m_20230101-20260418.feather")),
                                   str(shared_dir / DATA.format("1m_20260101-20260116.feather"))])
    data = market.data["BTC-USDT-SWAP"]
    start = market.default_start()
    assert start == 1767225600000  # the 1m file's first bar: 15m history before it
    now = start + 90_000  # 1.5 minutes in
    rows = data.candles("4H", now, data.price_at(now), limit=200)
    assert len(rows) == 200 and not rows[0].confirmed and all(r.confirmed for r in rows[1:])
    assert [b - a for a, b in zip([r.ts for r in rows[1:]], [r.ts for r in rows[:-1]], strict=True)] == [14_400_000] * 199
    forming = data.candles("1m", now, data.price_at(now), limit=1)[0]
    bar = int(np.searchsorted(data.bars.ts, start + 60_000))
    assert forming.ts == start + 60_000 and forming.o == data.bars.o[bar]
    assert forming.h <= data.bars.h[bar] and forming.l >= data.bars.l[bar]  # only the ticks passed so far


def test_synthetic_market_is_seeded_correlated_and_extendable() -> None:
    insts = list(INSTRUMENTS.values())
    first = SyntheticMarket.starting_at(3, insts, JAN5)
    second = SyntheticMarket(3, insts, first.origin_ms)
    second.extend_to(first.end_ms)
    for inst_id, bars in first.bars.items():
        assert np.array_equal(bars.c, second.bars[inst_id].c)
        assert (bars.l <= np.minimum(bars.o, bars.c)).all() and (bars.h >= np.maximum(bars.o, bars.c)).all()
    btc, eth = (np.diff(np.log(first.bars[i].c)) for i in ("BTC-USDT-SWAP", "ETH-USDT-SWAP"))
    assert 0.6 < np.corrcoef(btc, eth)[0, 1] < 0.95
    daily = np.diff(np.log(first.bars["BTC-USDT-SWAP"].c[::1440]))
    assert 0.005 < daily.std() < 0.08  # plausible BTC daily volatility
    assert first.extend_to(first.end_ms + 1) and len(first.bars["BTC-USDT-SWAP"]) == 42 * 1440


def test_funding_schedule() -> None:
    assert next_settlement(JAN5) == JAN5 + 8 * 3_600_000
    assert settlements_between(JAN5 - 1, JAN5 + 16 * 3_600_000) == [JAN5, JAN5 + 8 * 3_600_000, JAN5 + 16 * 3_600_000]
    rising = FundingSchedule("X", lambda ms: 100.0 + (ms - JAN5) / 3_600_000)
    assert rising.rate_for(JAN5 + 16 * 3_600_000) == pytest.approx(0.0001 + 0.01 * (108 / 100 - 1))


@pytest.mark.shared
def test_real_funding_rates_are_used_where_the_file_covers(shared_dir: Path) -> None:
    funding_file = files.load(shared_dir / DATA.format("funding-rate_8h_20251013-20260115.feather"))
    schedule = FundingSchedule("BTC-USDT-SWAP", lambda ms: 90000.0, funding_file)  # type: ignore[arg-type]
    assert schedule.rate_for(int(funding_file.times[0])) == float(funding_file.rates[0])


def test_merge_prefers_fine_bars() -> None:
    coarse = Bars.from_columns(np.arange(4) * 900_000, 900_000, [1] * 4, [2] * 4, [0.5] * 4, [1] * 4, [1] * 4)
    fine = Bars.from_columns(900_000 + np.arange(15) * 60_000, 60_000, [1] * 15, [3] * 15, [0.4] * 15, [1] * 15, [1] * 15)
    merged = merge_resolutions([coarse, fine])
    assert merged.ts.tolist() == [0, *range(900_000, 1_800_000, 60_000), 1_800_000, 2_700_000]


SIM_CSV = "ts_ms,date,open,high,low,close,volume\n"
SIM_ROWS = [f"{JAN5 + k * 60_000},2026-01-05T00:0{k}:00Z,100,101,99,100.5,2" for k in range(3)]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("inverted.csv", SIM_CSV + "\n".join([SIM_ROWS[0], SIM_ROWS[1].replace(",101,99,", ",98,99,"), SIM_ROWS[2]]),
     "data row 2 (bar 2026-01-05 00:01Z): high 98.0 is below low 99.0"),
    ("nan.csv", SIM_CSV + "\n".join([*SIM_ROWS[:2], SIM_ROWS[2].replace(",100.5,", ",NaN,")]),
     "data row 3 (bar 2026-01-05 00:02Z): close NaN is not a finite number"),
    ("negative.csv", SIM_CSV + "\n".join([SIM_ROWS[0].replace(",2", ",-2"), *SIM_ROWS[1:]]),
     "data row 1 (bar 2026-01-05 00:00Z): volume -2.0 is negative"),
    ("text.csv", SIM_CSV + "\n".join([SIM_ROWS[0], SIM_ROWS[1].replace(",100.5,", ",abc,"), SIM_ROWS[2]]),
     "data row 2: close 'abc' is not a number"),
    ("twice.csv", SIM_CSV + "\n".join([SIM_ROWS[2], SIM_ROWS[0], SIM_ROWS[2]]),
     "data rows 1 and 3 have the same bar time 2026-01-05 00:02Z"),
    ("bad.json", '{"data": [["1767571200000", "100", "101", "99", "100", "10", "0.1"], ["1767571260000", "x"]]}',
     'data row 2: expected numbers [ts, o, h, l, c, vol, volCcy, …], got ["1767571260000", "x"]'),
    ("inverted.json", '{"data": [["1767571200000", "100", "101", "99", "100", "10", "0.1"], '
                      '["1767571260000", "100", "99", "101", "100", "10", "0.1"]]}',
     "data row 2 (bar 2026-01-05 00:01Z): high 99.0 is below low 101.0"),
])
def test_a_bad_row_in_a_data_file_is_refused_naming_the_file_and_the_row(tmp_path: Path, name: str, content: str,
                                                                         message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(files.DataFileError) as refused:
        SimMarket.from_files([str(path)])
    assert str(refused.value) == f"{path}: {message}"
