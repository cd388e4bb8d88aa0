"""What each chart of a report on the seeded live run must draw, from the seed's own knowledge
(not from the report's data): per chart, per series, how many `<g data-series>` groups (1 for a
line, a fill or a set of markers; one per bar) and how many shapes they draw (`<path>` or `<use>`
outside `<defs>`: a line or a fill 1, markers one per point, bars one per bar)."""

from __future__ import annotations

from decimal import Decimal

from tests.kit.seed import SeedSummary
from trading_bot.backtest.calibration import calibration
from trading_bot.backtest.metrics import compute_metrics

# chart name → section it sits in
CHART_SECTIONS = {"equity": "equity", "price": "price", "breakdown": "breakdown", "funnel": "funnel",
                  "llm_cost": "llm-cost", "llm_trade_cost": "llm-cost", "calibration": "calibration"}

Series = dict[str, tuple[int, int]]  # series → (groups, shapes)


def expected_charts(live: SeedSummary) -> dict[str, Series]:
    trades = live.closed_trades
    metrics = compute_metrics(trades, live.equity, prices=live.prices)
    wins = sum(t.net_pnl > 0 for t in trades)
    longs = sum(t.side == "long" for t in trades)
    models = sorted({model for by_model in live.llm_cost_by_day_model.values() for model in by_model})
    line = (1, 1)
    return {
        "equity": {"equity": line, "buy and hold": line, "drawdown": line},
        "price": {"close": line, "long entry": (1, longs), "short entry": (1, len(trades) - longs),
                  "exit, won": (1, wins), "exit, lost": (1, len(trades) - wins)},
        "breakdown": {"strategy": (len(metrics.by_strategy),) * 2, "regime": (len(metrics.by_regime),) * 2},
        "funnel": {"stages": (5, 5)},
        "llm_cost": {model: (len(live.llm_cost_by_day_model),) * 2 for model in models},
        "llm_trade_cost": {"own calls": (1, len(trades)), "mean of own calls": line, "all calls per trade": line},
        "calibration": {"calibrated": line, "buckets": (1, len(calibration(trades)))},
    }


def expected_llm_cells(live: SeedSummary) -> dict[str, tuple[Decimal, str]]:
    """data-metric → (exact USD, the kind it is formatted as) of the LLM cost cells."""
    cells: dict[str, tuple[Decimal, str]] = {}
    models = sorted({model for by_model in live.llm_cost_by_day_model.values() for model in by_model})
    for day, by_model in live.llm_cost_by_day_model.items():
        for model in models:
            cells[f"llm_cost.{day.isoformat()}.{model}"] = (by_model.get(model, Decimal(0)), "usd")
        cells[f"llm_cost.{day.isoformat()}"] = (live.llm_cost_by_day[day], "usd")
    total = sum(live.llm_cost_by_day.values(), Decimal(0))
    for model in models:
        cells[f"llm_cost.all.{model}"] = (sum((m.get(model, Decimal(0)) for m in live.llm_cost_by_day_model.values()),
                                              Decimal(0)), "usd")
    cells["llm_cost.all"] = (total, "usd")
    cells["llm_cost"] = (total, "money")
    trades = live.closed_trades
    cells["llm_cost.per_trade"] = (total / len(trades), "usd")
    cells["llm_cost_per_trade"] = (total / len(trades), "usd")
    own = [live.llm_cost_by_trade[t.trade_id] for t in trades if t.trade_id is not None]
    assert len(own) == len(trades)
    cells["llm_cost.own_per_trade"] = (sum(own, Decimal(0)) / len(trades), "usd")
    for trade in trades:
        cells[f"trade.{trade.trade_id}.llm_cost"] = (live.llm_cost_by_trade[trade.trade_id], "usd")  # type: ignore[index]
    net = sum((t.net_pnl for t in trades), Decimal(0))
    cells["net_pnl_after_llm"] = (net - total, "money")
    return cells
