"""What a report shows, independent of where it came from: the database of a live run
(`load.py`), or a backtest that hands over its lists directly.

    data = ReportData(run_id="bt-1", source="backtest", trades=closed, equity=curve, prices=closes,
                      instrument="BTC-USDT-SWAP", funnel=Funnel(...), llm_cost_by_day={...},
                      llm_cost_by_trade={...})
    generate_report(data, Path("out"), generated_at)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from trading_bot.backtest.inputs import ClosedTrade, EquityPoint


@dataclass(frozen=True, slots=True)
class Funnel:
    """How cycles became trades: every cycle → screened in → analysed (live, not shadow) →
    approved by the risk gate → filled (a trade exists)."""

    cycles: int
    screened_in: int
    analysed: int
    approved: int
    filled: int

    def stages(self) -> list[tuple[str, int]]:
        return [("cycles", self.cycles), ("screened in", self.screened_in), ("analysed", self.analysed),
                ("approved", self.approved), ("filled", self.filled)]


@dataclass(frozen=True)
class ReportData:
    run_id: str
    source: str  # "database" or "backtest": said in the report's header
    trades: Sequence[ClosedTrade]  # closed trades in the period
    equity: Sequence[EquityPoint]
    prices: Sequence[tuple[datetime, Decimal]] = ()  # (close time, close) of `instrument`
    instrument: str | None = None
    start: datetime | None = None  # the period asked for; None = the data's own span
    end: datetime | None = None
    open_positions: int = 0
    funnel: Funnel | None = None  # None = not recorded (e.g. a backtest without cycle records)
    llm_cost_by_day: Mapping[date, Mapping[str, Decimal]] = field(default_factory=dict)  # day → model → USD
    # trade id → USD of the LLM calls of the cycle that opened it (the cost ledger's "per trade");
    # a trade without an entry cost nothing of its own
    llm_cost_by_trade: Mapping[int, Decimal] = field(default_factory=dict)
    notes: Sequence[str] = ()  # caveats shown at the top (e.g. "equity rebuilt from closed trades")

    @property
    def llm_cost(self) -> Decimal:
        return sum((sum(models.values(), Decimal(0)) for models in self.llm_cost_by_day.values()), Decimal(0))

    def trade_llm_cost(self, trade: ClosedTrade) -> Decimal:
        return self.llm_cost_by_trade.get(trade.trade_id, Decimal(0)) if trade.trade_id is not None else Decimal(0)

    @property
    def llm_cost_per_trade(self) -> Decimal | None:
        """The whole spend over the closed trades: what a trade cost, screens that led nowhere included."""
        return self.llm_cost / len(self.trades) if self.trades else None

    @property
    def own_llm_cost_per_trade(self) -> Decimal | None:
        """The mean of the trades' own calls."""
        if not self.trades:
            return None
        return sum((self.trade_llm_cost(t) for t in self.trades), Decimal(0)) / len(self.trades)
