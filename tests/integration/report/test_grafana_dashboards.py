"""Every panel of every provisioned dashboard, as Grafana would send it, against the migrated and
seeded PostgreSQL, connected as the read-only `grafana_reader` (in a non-UTC session time zone, to
prove the SQL does its own UTC arithmetic). Columns must match the panel's declaration, rows must
exist, and the key figures must equal what the seed and the metrics module compute."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.kit import services
from tests.kit.grafana_sql import grafana_sql
from tests.kit.seed import BACKTEST_RUN, StandardSeed
from trading_bot.backtest.metrics import compute_metrics
from trading_bot.config import load_settings
from trading_bot.grafana.dashboards import DASHBOARDS
from trading_bot.grafana.model import DATASOURCE_UID, RUN_VARIABLE_SQL, Panel
from trading_bot.storage.models import LIVE_RUN

DASHBOARD_DIR = Path(__file__).resolve().parents[3] / "grafana" / "dashboards"
SESSION_TIME_ZONE = "America/New_York"
PANELS = [(d.uid, p) for d in DASHBOARDS for p in d.panels]


@pytest.fixture(scope="module")
def reader(pg_admin_url: str, seeded_template: tuple[str, StandardSeed]) -> Iterator[tuple[str, StandardSeed]]:
    """One seeded copy for the whole module (the queries only read), and the reader's URL."""
    name = services.create_database(pg_admin_url, prefix="tb_grafana", template=seeded_template[0])
    password = load_settings().grafana_reader_password.get_secret_value()
    url = services.database_url(pg_admin_url, name).replace("://postgres@", f"://grafana_reader:{password}@")
    yield url, seeded_template[1]
    services.drop_database(pg_admin_url, name)


def _run(url: str, panel: Panel, start: datetime, end: datetime, run_id: str = LIVE_RUN) -> tuple[list[str], list]:
    sql = grafana_sql(panel.sql, start, end, {"run_id": run_id})
    with psycopg.connect(url) as conn:
        conn.execute(f"SET TIME ZONE '{SESSION_TIME_ZONE}'")
        cursor = conn.execute(sql)
        assert cursor.description is not None
        return [c.name for c in cursor.description], cursor.fetchall()


def _seed_range(seed: StandardSeed) -> tuple[datetime, datetime]:
    return seed.live.start, seed.live.end + timedelta(hours=2)  # includes the position opened at the end


def _panel(uid: str, title: str) -> Panel:
    return next(p for u, p in PANELS if u == uid and p.title == title)


def _value(url: str, seed: StandardSeed, uid: str, title: str, column: str, run_id: str = LIVE_RUN) -> Any:
    columns, rows = _run(url, _panel(uid, title), *_seed_range(seed), run_id=run_id)
    return rows[0][columns.index(column)]


@pytest.mark.parametrize(("uid", "panel"), PANELS, ids=[f"{u}:{p.title}" for u, p in PANELS])
def test_panel_query_runs_as_reader_with_the_declared_columns(reader: tuple[str, StandardSeed], uid: str,
                                                              panel: Panel) -> None:
    url, seed = reader
    columns, rows = _run(url, panel, *_seed_range(seed))
    assert tuple(columns) == panel.columns
    assert rows, f"{uid} / {panel.title}: no rows on the seeded history"
    if panel.format == "time_series":
        times = [row[0] for row in rows]
        assert all(isinstance(t, datetime | Decimal | float | int) for t in times)
        for row in rows:
            values = row[2:] if panel.columns[1] == "metric" else row[1:]
            assert all(v is None or isinstance(v, int | float | Decimal) for v in values), row


def test_variable_query_lists_both_runs(reader: tuple[str, StandardSeed]) -> None:
    with psycopg.connect(reader[0]) as conn:
        runs = [row[0] for row in conn.execute(RUN_VARIABLE_SQL).fetchall()]
    assert runs == sorted([BACKTEST_RUN, LIVE_RUN])


def test_portfolio_figures_equal_the_metrics_module(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    live = seed.live
    metrics = compute_metrics(live.closed_trades, live.equity)
    assert metrics.equity is not None
    uid = "tb-portfolio"
    assert Decimal(str(_value(url, seed, uid, "Net PnL", "net_pnl"))) == pytest.approx(metrics.trades.net_pnl)
    assert _value(url, seed, uid, "Trades", "trades") == metrics.trades.trades
    assert _value(url, seed, uid, "Win rate", "win_rate") == pytest.approx(metrics.trades.win_rate)
    assert _value(url, seed, uid, "Return", "total_return") == pytest.approx(metrics.equity.total_return)
    assert _value(url, seed, uid, "Sharpe (daily, annualised)", "sharpe") == pytest.approx(metrics.equity.sharpe,
                                                                                          rel=1e-9)
    assert _value(url, seed, uid, "Max drawdown", "max_drawdown") == pytest.approx(-metrics.equity.max_drawdown.pct)
    backtest = sum((t.net_pnl for t in seed.backtest.closed_trades), Decimal(0))
    assert Decimal(str(_value(url, seed, uid, "Net PnL", "net_pnl", run_id=BACKTEST_RUN))) == pytest.approx(backtest)


def test_daily_pnl_bars_sum_by_utc_day(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    columns, rows = _run(url, _panel("tb-portfolio", "Daily PnL"), *_seed_range(seed))
    by_day: dict[float, Decimal] = {}
    for trade in seed.live.closed_trades:
        day = math.floor(trade.exit_ts.timestamp() / 86400) * 86400
        by_day[day] = by_day.get(day, Decimal(0)) + trade.net_pnl
    assert {float(r[0]): pytest.approx(float(r[1])) for r in rows} == {k: float(v) for k, v in by_day.items()}


def test_strategy_table_equals_grouped_metrics(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    columns, rows = _run(url, _panel("tb-strategies", "By strategy"), *_seed_range(seed))
    expected = compute_metrics(seed.live.closed_trades, seed.live.equity).by_strategy
    table = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    assert set(table) == set(expected)
    for name, stats in expected.items():
        assert table[name]["trades"] == stats.trades
        assert table[name]["net_pnl"] == pytest.approx(float(stats.net_pnl))
        assert table[name]["win_rate"] == pytest.approx(stats.win_rate)
        assert table[name]["profit_factor"] == pytest.approx(stats.profit_factor)
        assert table[name]["avg_r_multiple"] == pytest.approx(stats.avg_r_multiple)


def test_brain_rates_and_costs_equal_the_seed(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    live = seed.live
    assert _value(url, seed, "tb-brain", "Screener pass rate", "pass_rate") \
        == pytest.approx((live.screened_in - live.bypassed) / (live.cycles - live.bypassed))
    assert _value(url, seed, "tb-brain", "Screener miss rate (shadow)", "miss_rate") \
        == pytest.approx(live.shadow_missed / live.shadow_analysed)
    assert _value(url, seed, "tb-brain", "LLM cost", "cost_usd") \
        == pytest.approx(float(sum(live.llm_cost_by_day.values())))


def test_risk_monitor_at_the_end_of_the_seed(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    start, end = _seed_range(seed)
    _, rows = _run(url, _panel("tb-risk", "Rejections by rule"), start, end)
    assert dict(rows) == seed.live.rejections_by_rule
    assert _value(url, seed, "tb-risk", "Open positions", "open_positions") == seed.live.open_trades == 1
    streak = 0
    for trade in seed.live.closed_trades:
        streak = streak + 1 if trade.net_pnl < 0 else 0
    assert _value(url, seed, "tb-risk", "Consecutive losses", "consecutive_losses") == streak


def test_daily_loss_and_drawdown_gauges_at_a_past_evening(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    start, end = seed.live.start, seed.live.end - timedelta(hours=6)  # 18:00 UTC on the last day
    curve = [p for p in seed.live.equity if p.ts <= end]
    day_start = [p for p in curve if p.ts <= end.replace(hour=0)][-1]
    columns, rows = _run(url, _panel("tb-risk", "Daily PnL vs limit"), start, end)
    assert rows[0][0] == pytest.approx(float(curve[-1].equity / day_start.equity - 1) * 100)
    assert rows[0][0] != 0
    peak = max(p.equity for p in curve)
    columns, rows = _run(url, _panel("tb-risk", "Drawdown vs limit"), start, end)
    assert rows[0][0] == pytest.approx(float(curve[-1].equity / peak - 1) * 100)


def test_system_and_playbook_counts(reader: tuple[str, StandardSeed]) -> None:
    url, seed = reader
    start, end = _seed_range(seed)
    _, rows = _run(url, _panel("tb-system", "Cycles per hour by outcome"), start, end)
    assert sum(row[2] for row in rows) == seed.live.cycles
    _, stages = _run(url, _panel("tb-system", "Stage durations"), start, end)
    assert [row[0] for row in stages][:2] == ["COLLECTING", "SCREENING"]
    assert _value(url, seed, "tb-playbook", "Playbook version", "version") == seed.live.playbook_versions
    _, buckets = _run(url, _panel("tb-playbook", "Confidence calibration"), start, end)
    trades = [t for t in seed.live.closed_trades if t.confidence is not None]
    assert sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label, *_ in buckets) == len(trades)


# --- the files Grafana provisions --------------------------------------------------------------
def _files() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def test_dashboard_files_are_generated_from_the_code() -> None:
    from trading_bot.grafana.__main__ import stale_files

    assert stale_files(DASHBOARD_DIR) == [], "run `python -m trading_bot.grafana` and commit the result"
    assert len(_files()) == 7


def test_dashboard_json_is_what_provisioning_accepts() -> None:
    files = _files()
    uids = [d["uid"] for d in files.values()]
    assert len(set(uids)) == len(uids) == 7
    for name, dashboard in files.items():
        assert {"uid", "title", "panels", "schemaVersion", "templating", "time"} <= set(dashboard), name
        assert dashboard["schemaVersion"] == 39 and dashboard["id"] is None
        assert len(dashboard["uid"]) <= 40
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(set(ids)) == len(ids), name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == DATASOURCE_UID
            assert all(t["datasource"]["uid"] == DATASOURCE_UID and t["rawSql"] for t in panel["targets"])
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
        for variable in dashboard["templating"]["list"]:
            assert variable["datasource"]["uid"] == DATASOURCE_UID
