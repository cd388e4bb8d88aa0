"""/daily [n], /weekly [n], /monthly [n]: per UTC day, week (from Monday, as /cost) or calendar
month, newest first and the current one included, the trades closed in it, their net PnL (price
PnL + fees + funding, from the journal's `ClosedTrade`s) and the LLM and research spend."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from trading_bot.storage.repos.llm_calls import Period, cost_by_period
from trading_bot.storage.repos.trades import closed_trades
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import number, table, usd, usdt
from trading_bot.telegram.views import Reply, Request, UsageError, whole_number

ZERO = Decimal(0)


@dataclass(frozen=True)
class Span:
    period: Period
    title: str  # "Daily"
    unit: str  # "day", for the usage text and the column head
    each: str  # what one row covers, for /help
    default: int
    most: int
    label: Callable[[date], str]  # how a period's first day is shown

    @property
    def usage(self) -> str:
        return (f"usage: /{self.title.lower()} [n], the last n {self.unit}s (UTC, the current one included; "
                f"n from 1 to {self.most}, default {self.default})")


DAILY = Span("day", "Daily", "day", "UTC day", 7, 90, lambda day: f"{day:%Y-%m-%d %a}")
WEEKLY = Span("week", "Weekly", "week", "week (UTC, from Monday)", 8, 52, lambda day: f"{day:%Y-%m-%d}")
MONTHLY = Span("month", "Monthly", "month", "calendar month (UTC)", 6, 24, lambda day: f"{day:%Y-%m}")


def first_day(day: date, period: Period) -> date:
    """The first day of the period holding `day` (weeks start on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def recent_periods(today: date, period: Period, count: int) -> list[date]:
    """The first days of the `count` periods up to and including today's, newest first."""
    current = first_day(today, period)
    if period == "day":
        return [current - timedelta(days=i) for i in range(count)]
    if period == "week":
        return [current - timedelta(weeks=i) for i in range(count)]
    months = current.year * 12 + current.month - 1
    return [date((months - i) // 12, (months - i) % 12 + 1, 1) for i in range(count)]


def period_view(span: Span) -> Callable[[BotDeps, Request], Reply]:
    def view(deps: BotDeps, request: Request) -> Reply:
        if len(request.args) > 1:
            raise UsageError(span.usage)
        try:
            count = whole_number(request.args[0], "n", 1, span.most) if request.args else span.default
        except UsageError as exc:
            raise UsageError(f"{exc}. {span.usage}") from None
        return Reply(render(deps, span, count))

    return view


def render(deps: BotDeps, span: Span, count: int) -> str:
    now = deps.now()
    firsts = recent_periods(now.date(), span.period, count)
    start = datetime.combine(firsts[-1], time(), UTC)
    trades: dict[date, list[Decimal]] = defaultdict(list)
    for trade in closed_trades(deps.db, deps.run_id, start, now):
        trades[first_day(trade.exit_ts.date(), span.period)].append(trade.net_pnl)
    costs = cost_by_period(deps.db, span.period, start, now, deps.run_id)
    rows: list[tuple[str, ...]] = [(span.unit if span.period != "week" else "week from", "trades", "net USDT",
                                    "LLM USD")]
    for first in firsts:
        nets = trades.get(first, [])
        rows.append((span.label(first), str(len(nets)), number(sum(nets, ZERO), 2, signed=True),
                     number(costs.get(first, ZERO), 4)))
    net = sum((sum(nets, ZERO) for nets in trades.values()), ZERO)
    spent = sum(costs.values(), ZERO)
    rows.append(("total", str(sum(len(nets) for nets in trades.values())), number(net, 2, signed=True),
                 number(spent, 4)))
    which = f"last {count} {span.unit}s" if count > 1 else ("today" if span.period == "day" else f"this {span.unit}")
    head = f"<b>{span.title} profit</b> · {which} (UTC), newest first"
    foot = (f"net = price PnL + fees + funding of the trades closed in the {span.unit}; LLM = LLM and research "
            f"spend ({usd(spent)}). After LLM cost: {usdt(net - spent, signed=True)}.")
    return f"{head}\n\n{table(rows, right=(1, 2, 3))}\n\n{foot}"
