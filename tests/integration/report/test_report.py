"""`trading-bot report` and `generate_report` on the seeded database and on plain lists: every
section is there, its numbers are the metrics module's (computed here from the seed's own trades
and equity, not from what the report loaded) and the LLM costs the seed's own calls, the PNGs are
real pictures, every inline SVG chart draws its series, and the HTML needs no network
(test_report_browser.py opens it in Chromium)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from tests.conftest import SeededDatabase
from tests.kit.cli import clean_env, run_cli
from tests.kit.html_report import ParsedReport, parse_report
from tests.kit.report_charts import CHART_SECTIONS, expected_charts, expected_llm_cells
from tests.kit.seed import BACKTEST_RUN
from trading_bot.backtest.calibration import calibration
from trading_bot.backtest.metrics import ClosedTrade, EquityPoint, Metrics, compute_metrics
from trading_bot.backtest.report import Funnel, NoReportData, ReportData, generate_report, load_report_data
from trading_bot.backtest.report.formatting import FORMATS
from trading_bot.storage.db import Database, engine_for

GENERATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECTIONS = ["summary", "equity", "price", "breakdown", "funnel", "llm-cost", "calibration", "trades"]
CHARTS = CHART_SECTIONS


def _db(url: str) -> Database:
    return Database(engine_for(url.replace("postgresql://", "postgresql+psycopg://")))


def _assert_picture(png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 15_000
    pixels = imread(io.BytesIO(png))
    height, width = pixels.shape[:2]
    assert width >= 400 and height >= 250
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 50  # lines, text and fills, not a blank canvas
    assert (rgb.min(axis=1) < 200).mean() > 0.02  # more than 2 % of the pixels are drawn on


def _check(report: ParsedReport, key: str, value: object, kind: str) -> None:
    exact, text = report.cells[key]
    if value is None:
        assert exact == "" and text == "—", key
    elif isinstance(value, float):
        assert float(exact) == pytest.approx(value, rel=1e-12, abs=1e-15), key
    elif isinstance(value, Decimal):
        assert Decimal(exact) == value, key
    elif isinstance(value, datetime):
        assert datetime.fromisoformat(exact) == value, key
    elif isinstance(value, timedelta):
        assert float(exact) == pytest.approx(value.total_seconds()), key
    else:
        assert exact == str(value), key
    assert text == FORMATS[kind](value), key  # type: ignore[operator]


def _check_metrics(report: ParsedReport, metrics: Metrics) -> None:
    assert metrics.equity is not None and metrics.buy_and_hold is not None
    for prefix, stats in (("", metrics.equity), ("bh.", metrics.buy_and_hold)):
        for key, kind in (("total_return", "pct"), ("cagr", "pct"), ("sharpe", "ratio"), ("sortino", "ratio"),
                          ("calmar", "ratio"), ("volatility", "pct")):
            _check(report, prefix + key, getattr(stats, key), kind)
        _check(report, prefix + "max_drawdown_pct", stats.max_drawdown.pct, "pct")
        _check(report, prefix + "max_drawdown_amount", stats.max_drawdown.amount, "money")
        _check(report, prefix + "max_drawdown_peak", stats.max_drawdown.peak_ts, "when")
        _check(report, prefix + "max_drawdown_trough", stats.max_drawdown.trough_ts, "when")
        _check(report, prefix + "max_drawdown_recovery", stats.max_drawdown.recovery_ts, "when")
    for key, kind in (("net_pnl", "money"), ("trades", "count"), ("wins", "count"), ("losses", "count"),
                      ("win_rate", "pct"), ("profit_factor", "ratio"), ("expectancy", "money"),
                      ("max_consecutive_wins", "count"), ("max_consecutive_losses", "count"),
                      ("avg_hold", "duration"), ("fees", "money"), ("funding", "money"),
                      ("avg_r_multiple", "ratio")):
        _check(report, key, getattr(metrics.trades, key), kind)
    _check(report, "exposure", metrics.exposure, "pct")
    for group, stats_by in (("strategy", metrics.by_strategy), ("regime", metrics.by_regime)):
        for name, stats in stats_by.items():
            _check(report, f"{group}.{name}.net_pnl", stats.net_pnl, "money")
            _check(report, f"{group}.{name}.trades", stats.trades, "count")
            _check(report, f"{group}.{name}.win_rate", stats.win_rate, "pct")
            _check(report, f"{group}.{name}.profit_factor", stats.profit_factor, "ratio")


def test_report_of_the_seeded_live_run(seeded_db: SeededDatabase, tmp_path: Path) -> None:
    live = seeded_db.seed.live
    files = generate_report(load_report_data(_db(seeded_db.url)), tmp_path, GENERATED)
    html = files.html.read_text(encoding="utf-8")
    report = parse_report(html)
    assert report.sections == SECTIONS
    assert report.external == [] and report.scripts == 0 and report.images == 0
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids)) > 100  # seven SVGs in one page: no id twice
    assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', html)) <= set(ids)  # every marker, glyph, clip resolves
    expected = compute_metrics(live.closed_trades, live.equity, prices=live.prices)
    assert expected.trades.trades == len(live.closed_trades) > 250
    _check_metrics(report, expected)
    _check(report, "open_positions", live.open_trades, "count")
    for key, (value, kind) in expected_llm_cells(live).items():
        _check(report, key, value, kind)
    for name, value in (("cycles", live.cycles), ("screened_in", live.screened_in), ("analysed", live.analysed),
                        ("approved", live.approved), ("filled", live.filled)):
        _check(report, f"funnel.{name}", value, "count")
    for bucket in calibration(live.closed_trades):
        _check(report, f"calibration.{bucket.label}.trades", bucket.trades, "count")
        _check(report, f"calibration.{bucket.label}.realised", bucket.realised, "pct")
    assert set(files.images) == set(CHARTS) == set(report.charts)
    for name, section in CHARTS.items():
        _assert_picture(files.images[name].read_bytes())
        chart = report.charts[name]
        assert chart.section == section, name
        assert chart.drawn() == expected_charts(live)[name], name


def test_period_and_run_selection(seeded_db: SeededDatabase, tmp_path: Path) -> None:
    live = seeded_db.seed.live
    start, end = live.start + timedelta(days=10), live.start + timedelta(days=17)
    data = load_report_data(_db(seeded_db.url), "live", start, end)
    trades = [t for t in live.closed_trades if start <= t.exit_ts <= end]
    equity = [p for p in live.equity if start <= p.ts <= end]
    assert [t.trade_id for t in data.trades] == [t.trade_id for t in trades]
    files = generate_report(data, tmp_path, GENERATED)
    report = parse_report(files.html.read_text(encoding="utf-8"))
    _check_metrics(report, compute_metrics(trades, equity, prices=live.prices, start=start, end=end))
    backtest = load_report_data(_db(seeded_db.url), BACKTEST_RUN)
    assert [t.trade_id for t in backtest.trades] == [t.trade_id for t in seeded_db.seed.backtest.closed_trades]
    assert backtest.funnel is not None and backtest.funnel.cycles == seeded_db.seed.backtest.cycles


def test_unknown_run_names_the_runs_that_exist(seeded_db: SeededDatabase) -> None:
    with pytest.raises(NoReportData, match=r"'nope'.*runs in the database: bt-seed, live"):
        load_report_data(_db(seeded_db.url), "nope")


def _trade(day: int, pnl: str, strategy: str = "trend", confidence: float | None = 0.7) -> ClosedTrade:
    entry = datetime(2026, 1, day, 1, tzinfo=UTC)
    return ClosedTrade(entry_ts=entry, exit_ts=entry + timedelta(hours=5), pnl=Decimal(pnl), fees=Decimal("-0.5"),
                       strategy=strategy, regime="ranging", instrument="BTC-USDT-SWAP", entry_px=Decimal("90000"),
                       exit_px=Decimal("90100"), confidence=confidence, trade_id=day)


def test_report_from_lists_as_a_backtest_hands_them_over(tmp_path: Path) -> None:
    trades = [_trade(1, "12"), _trade(2, "-4", "<script>alert(1)</script>"), _trade(3, "7")]
    equity = [EquityPoint(datetime(2026, 1, d, tzinfo=UTC), Decimal(10_000 + 5 * d * d)) for d in range(1, 6)]
    data = ReportData(run_id="bt-42", source="backtest", trades=trades, equity=equity,
                      funnel=Funnel(cycles=400, screened_in=120, analysed=110, approved=8, filled=3),
                      notes=["rules brain; fees 0.05 % taker"])
    files = generate_report(data, tmp_path / "out", GENERATED)
    html = files.html.read_text(encoding="utf-8")
    report = parse_report(html)
    assert report.sections == SECTIONS and report.scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert report.charts["breakdown"].groups == {"strategy": 2, "regime": 1}  # the escaped name is a bar
    assert "no candles stored for the instrument" in html and "no LLM calls" in html
    assert set(files.images) == {"equity", "breakdown", "funnel", "calibration"}  # no prices, no LLM calls
    metrics = compute_metrics(trades, equity)
    _check(report, "net_pnl", metrics.trades.net_pnl, "money")
    _check(report, "sharpe", metrics.equity.sharpe if metrics.equity else None, "ratio")
    _check(report, "bh.sharpe", None, "ratio")
    _check(report, "funnel.approved", 8, "count")
    _check(report, "funnel.approved.of_previous", 8 / 110, "pct")


def test_cli_writes_the_report(seeded_db: SeededDatabase, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=seeded_db.url)
    out = tmp_path / "cli-report"
    result = run_cli("report", "--out", str(out), "--from", "2026-01-08T00:00:00Z", "--to", "2026-01-15", env=env)
    assert result.returncode == 0, result.stderr
    assert "closed trades" in result.stdout and str(out / "report.html") in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{n}.png" for n in CHARTS] + ["report.html"])
    parsed = parse_report((out / "report.html").read_text(encoding="utf-8"))
    assert set(parsed.charts) == set(CHARTS)
    missing = run_cli("report", "--run-id", "nope", "--out", str(tmp_path / "x"), env=env)
    assert missing.returncode == 1 and "runs in the database: bt-seed, live" in missing.stderr
    bad = run_cli("report", "--from", "yesterday", env=env)
    assert bad.returncode == 1 and "--from: expected an ISO-8601 time" in bad.stderr


def test_missing_data_is_said_not_drawn(tmp_path: Path) -> None:
    trades_only = ReportData(run_id="r", source="backtest", trades=[_trade(1, "3")], equity=[],
                             notes=["no account snapshots"])
    report = parse_report(generate_report(trades_only, tmp_path / "a", GENERATED).html.read_text(encoding="utf-8"))
    _check(report, "sharpe", None, "ratio")
    _check(report, "max_drawdown_pct", None, "pct")
    _check(report, "net_pnl", Decimal("2.5"), "money")
    equity_only = ReportData(run_id="r", source="backtest", trades=[],
                             equity=[EquityPoint(datetime(2026, 1, d, tzinfo=UTC), Decimal(100 + d)) for d in (1, 2, 3)])
    files = generate_report(equity_only, tmp_path / "b", GENERATED)
    html = files.html.read_text(encoding="utf-8")
    assert "no closed trades" in html and "no trade carries a stated confidence" in html
    assert set(files.images) == {"equity"}
    _check(parse_report(html), "win_rate", None, "pct")
