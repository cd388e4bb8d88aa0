"""The seeded history is consistent: the database holds exactly what the seed reports, money adds
up, timelines are well-formed, runs are separated, and the same arguments give the same history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import psycopg

from tests.conftest import SeededDatabase
from tests.kit.seed import BACKTEST_RUN, SEED_START, _Seeder, _summary
from trading_bot.domain.playbook import Playbook
from trading_bot.storage.models import LIVE_RUN


def _one(url: str, sql: str, *params: object) -> tuple:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row


def _all(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_database_holds_what_the_seed_reports(seeded_db: SeededDatabase) -> None:
    live, url = seeded_db.seed.live, seeded_db.url
    assert len(live.closed_trades) >= 250 and live.open_trades == 1
    assert _one(url, "SELECT count(*) FROM trades WHERE run_id = %s AND status = 'closed'", LIVE_RUN)[0] \
        == len(live.closed_trades)
    assert _one(url, "SELECT count(*) FROM trades WHERE run_id = %s AND status = 'open'", LIVE_RUN)[0] == 1
    assert _one(url, "SELECT count(*) FROM decision_cycles WHERE run_id = %s", LIVE_RUN)[0] == live.cycles
    assert _one(url, "SELECT count(*) FROM screener_logs WHERE run_id = %s AND signal", LIVE_RUN)[0] \
        == live.screened_in
    assert _one(url, "SELECT count(*) FROM llm_calls WHERE run_id = %s", LIVE_RUN)[0] == live.llm_calls
    rules = dict(_all(url, "SELECT rule, count(*) FROM risk_rejections WHERE run_id = %s GROUP BY rule", LIVE_RUN))
    assert rules == live.rejections_by_rule and sum(rules.values()) > 20
    assert _one(url, "SELECT count(*) FROM playbook_versions")[0] == live.playbook_versions >= 10
    assert _one(url, "SELECT count(*) FROM account_snapshots WHERE run_id = %s", LIVE_RUN)[0] == len(live.equity)
    assert _one(url, "SELECT count(*) FROM bot_state_events WHERE run_id = %s", LIVE_RUN)[0] == live.state_events
    json_nulls = _one(url, "SELECT count(*) FROM decision_cycles WHERE decision = 'null'::jsonb "
                           "OR verdict = 'null'::jsonb")[0]
    assert json_nulls == 0  # "no decision" is SQL NULL, not a JSON null
    timeframes = dict(_all(url, "SELECT timeframe, count(*) FROM candles GROUP BY timeframe"))
    assert timeframes == {"15m": 35 * 96, "1H": 35 * 24, "4H": 35 * 6}


def test_money_adds_up(seeded_db: SeededDatabase) -> None:
    url, live = seeded_db.url, seeded_db.seed.live
    mismatched = _one(url, "SELECT count(*) FROM trades WHERE status = 'closed' "
                           "AND net_pnl <> realized_pnl + fees + funding")[0]
    assert mismatched == 0
    net = _one(url, "SELECT sum(net_pnl) FROM trades WHERE run_id = %s", LIVE_RUN)[0]
    assert net == sum((t.net_pnl for t in live.closed_trades), Decimal(0))
    # whenever no position is open, equity = start equity + the net PnL of the trades closed so far
    # (one position at a time: the position still open was opened after the last close)
    last_close = live.closed_trades[-1].exit_ts
    flat = [p for p in live.equity
            if p.ts <= last_close and not any(t.entry_ts <= p.ts < t.exit_ts for t in live.closed_trades)]
    assert len(flat) > 100
    for point in flat:
        closed = sum((t.net_pnl for t in live.closed_trades if t.exit_ts <= point.ts), Decimal(0))
        assert point.equity == live.initial_equity + closed, point.ts
    fills = _one(url, "SELECT sum(f.fee) FROM fills f JOIN trades t ON t.id = f.trade_id "
                      "WHERE t.run_id = %s AND t.status = 'closed'", LIVE_RUN)[0]
    assert fills == sum((t.fees for t in live.closed_trades), Decimal(0))
    days = _all(url, "SELECT date(created_at AT TIME ZONE 'UTC'), sum(cost_usd) FROM llm_calls "
                     "WHERE run_id = %s GROUP BY 1 ORDER BY 1", LIVE_RUN)
    assert dict(days) == live.llm_cost_by_day


def test_cycle_timelines_are_ordered_stage_records(seeded_db: SeededDatabase) -> None:
    rows = _all(seeded_db.url, "SELECT outcome, timeline, started_at, finished_at, latency_ms "
                               "FROM decision_cycles WHERE run_id = %s", LIVE_RUN)
    outcomes = {row[0] for row in rows}
    assert {"screened_out", "shadow", "hold", "rejected", "filled", "halted", "error"} <= outcomes
    for outcome, timeline, started, finished, latency in rows:
        assert timeline[0]["stage"] == "COLLECTING" and timeline[1]["stage"] == "SCREENING"
        assert datetime.fromisoformat(timeline[0]["started_at"]) == started
        assert datetime.fromisoformat(timeline[-1]["ended_at"]) == finished
        assert sum(entry["ms"] for entry in timeline) == latency
        if outcome == "filled":
            assert [e["stage"] for e in timeline][-4:] == ["RISK_CHECK", "EXECUTING", "CONFIRMING", "JOURNALING"]


def test_runs_are_separated(seeded_db: SeededDatabase) -> None:
    backtest = seeded_db.seed.backtest
    count = _one(seeded_db.url, "SELECT count(*) FROM trades WHERE run_id = %s AND status = 'closed'", BACKTEST_RUN)
    assert count[0] == len(backtest.closed_trades) > 20
    assert backtest.prices == seeded_db.seed.live.prices[: len(backtest.prices)]  # same market, a prefix
    triggers = _all(seeded_db.url, "SELECT DISTINCT trigger FROM decision_cycles WHERE run_id = %s", BACKTEST_RUN)
    assert triggers == [("backtest",)]


def test_same_arguments_same_history() -> None:
    def simulate() -> object:
        seeder = _Seeder(LIVE_RUN, SEED_START, 3, 7, Decimal(10000), "beat", True)
        seeder.simulate()
        curve = seeder.account_curve()
        return _summary(seeder, [(a.ts, a.equity) for a in curve])  # type: ignore[misc]

    assert simulate() == simulate()


def test_playbook_versions_are_valid_playbooks(seeded_db: SeededDatabase) -> None:
    rows = _all(seeded_db.url, "SELECT version, parent_version, content, change_log, created_by "
                               "FROM playbook_versions ORDER BY version")
    for version, parent, content, changes, created_by in rows:
        assert Playbook.model_validate(content).version == version
        assert parent == (version - 1 if version > 1 else None)
        assert changes and all(isinstance(change, str) for change in changes)
        assert created_by == ("default" if version == 1 else "reflection")
    assert len(Playbook.model_validate(rows[-1][2]).lessons) == len(rows) - 1
