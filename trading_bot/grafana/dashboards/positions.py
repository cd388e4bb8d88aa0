"""2. Active positions: open positions, unrealised PnL, SL/TP distances."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import MARK_CTE, RUN

# Unrealised PnL without the contract value: notional / entry price = contracts × ctVal.
OPEN_POSITIONS_CTE = f"""{MARK_CTE}, open_positions AS (
    SELECT t.*, m.mark,
           CASE WHEN t.side = 'long' THEN 1 ELSE -1 END AS direction
    FROM trades t LEFT JOIN mark m USING (instrument)
    WHERE t.{RUN} AND t.status = 'open'
)"""

DASHBOARD = Dashboard(
    uid="tb-positions",
    title="Trading Bot · Active positions",
    description="Positions open now, their unrealised PnL at the last candle close and how far "
                "their stop-loss and take-profit are.",
    time_from="now-24h",
    panels=(
        Panel("Open positions", "stat", f"""
SELECT count(*) AS open_positions FROM trades WHERE {RUN} AND status = 'open'""", ("open_positions",),
              width=6, height=4),
        Panel("Unrealised PnL", "stat", f"""
WITH {OPEN_POSITIONS_CTE}
SELECT coalesce(sum(direction * (mark - entry_px) * notional / entry_px), 0)::float8 AS unrealised_pnl
FROM open_positions""", ("unrealised_pnl",), width=6, height=4, unit="currencyUSD",
              thresholds=(("red", None), ("green", 0)),
              description="At the close of the most recent candle (≈ mark price), before fees."),
        Panel("Open notional", "stat", f"""
SELECT coalesce(sum(notional), 0)::float8 AS open_notional FROM trades WHERE {RUN} AND status = 'open'""",
              ("open_notional",), width=6, height=4, unit="currencyUSD"),
        Panel("Margin in use", "stat", f"""
SELECT frozen::float8 AS margin FROM account_snapshots WHERE {RUN} ORDER BY ts DESC LIMIT 1""", ("margin",),
              width=6, height=4, unit="currencyUSD", description="From the latest account snapshot."),
        Panel("Positions", "table", f"""
WITH {OPEN_POSITIONS_CTE}
SELECT instrument, side, size AS contracts, leverage::float8 AS leverage, entry_px::float8 AS entry,
       mark::float8 AS mark, (direction * (mark - entry_px) * notional / entry_px)::float8 AS unrealised_pnl,
       stop_loss::float8 AS stop_loss, (abs(mark - stop_loss) / mark)::float8 AS sl_distance,
       take_profit::float8 AS take_profit, (abs(take_profit - mark) / mark)::float8 AS tp_distance,
       strategy, confidence::float8 AS confidence, entry_ts AS opened, cycle_id
FROM open_positions ORDER BY entry_ts""",
              ("instrument", "side", "contracts", "leverage", "entry", "mark", "unrealised_pnl", "stop_loss",
               "sl_distance", "take_profit", "tp_distance", "strategy", "confidence", "opened", "cycle_id"),
              width=24, height=8,
              description="sl_distance / tp_distance: distance from the mark price as a fraction of it.",
              options={"sortBy": [{"displayName": "opened", "desc": True}]}),
        Panel("Unrealised PnL over time", "timeseries", f"""
SELECT ts AS "time", upl::float8 AS unrealised_pnl FROM account_snapshots
WHERE {RUN} AND $__timeFilter(ts) ORDER BY 1""", ("time", "unrealised_pnl"), width=12, height=8,
              unit="currencyUSD", format="time_series"),
        Panel("Margin and available balance", "timeseries", f"""
SELECT ts AS "time", frozen::float8 AS margin, available::float8 AS available FROM account_snapshots
WHERE {RUN} AND $__timeFilter(ts) ORDER BY 1""", ("time", "margin", "available"), width=12, height=8,
              unit="currencyUSD", format="time_series"),
    ),
)
