"""The commands a freqtrade user types first (/profit, /balance, /daily, /weekly, /monthly, /count,
/help), answered by the real bot from the seeded PostgreSQL history. The expected figures come from
the seed's own records (its closed trades, cost per day, equity curve), not from the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import SeededDatabase
from tests.integration.telegram.conftest import CHAT
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.backtest.inputs import ClosedTrade
from trading_bot.domain.market import MarkPrice
from trading_bot.domain.orders import Account, Position
from trading_bot.storage.market_state import put_latest
from trading_bot.storage.repos.trades import TradeRow, open_trades
from trading_bot.telegram.commands import COMMANDS
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import duration, number, pct, usd, usdt
from trading_bot.telegram.views.positions import OPEN_POSITIONS

ZERO = Decimal(0)


def _table_rows(text: str) -> list[list[str]]:
    """The whitespace-separated cells of each line of the reply's first <pre> table (head included)."""
    inner = text.split("<pre>", 1)[1].split("</pre>", 1)[0]
    return [line.split() for line in inner.splitlines()]


def _lines(*pairs: tuple[str, str]) -> list[str]:
    """`label  value` lines padded as the bot's two-column tables are (longest label + 2)."""
    width = max(len(label) for label, _ in pairs)
    return [f"{label.ljust(width)}  {value}" for label, value in pairs]


def _position(trade: TradeRow, deps: BotDeps, upl: Decimal, fee: Decimal, funding: Decimal) -> Position:
    side: Any = trade.side
    return Position(inst_id=trade.instrument, side=side, pos_side=side, mgn_mode="isolated", size=trade.size,
                    avg_px=trade.entry_px, mark_px=trade.entry_px, upl=upl, realized_pnl=ZERO, fee=fee,
                    funding_fee=funding, margin=None, imr=None, liq_px=None, leverage=trade.leverage,
                    created_at=trade.entry_ts, updated_at=deps.now())


def _closed_block(trades: list[ClosedTrade]) -> list[str]:
    nets = [t.net_pnl for t in trades]
    wins, losses = sum(n > 0 for n in nets), sum(n < 0 for n in nets)
    hold = sum((t.exit_ts - t.entry_ts for t in trades), timedelta(0)) / len(trades)
    return _lines(
        ("trades", f"{len(trades)} ({wins} won, {losses} lost, {len(trades) - wins - losses} even)"),
        ("win rate", pct(wins / len(trades))),
        ("price PnL", usdt(sum((t.pnl for t in trades), ZERO), signed=True)),
        ("fees", usdt(sum((t.fees for t in trades), ZERO), signed=True)),
        ("funding", usdt(sum((t.funding for t in trades), ZERO), signed=True)),
        ("net", usdt(sum(nets, ZERO), signed=True)),
        ("best / worst", f"{usdt(max(nets), signed=True)} / {usdt(min(nets), signed=True)}"),
        ("average hold", duration(hold)),
    )


def test_profit_adds_closed_and_open_pnl_and_subtracts_the_llm_cost(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                                    fake_telegram: FakeTelegram,
                                                                    shared_seeded: SeededDatabase) -> None:
    live = shared_seeded.seed.live
    closed = live.closed_trades
    closed_net = sum((t.net_pnl for t in closed), ZERO)
    llm = sum(live.llm_cost_by_day.values(), ZERO)
    (trade,) = open_trades(seeded_deps.db)
    assert trade.fees is not None and trade.fees < 0 and trade.funding is None  # the entry fee, no funding yet
    start_equity = live.equity[0].equity
    assert start_equity == live.initial_equity

    # ws-private not running: the journal's open trade at ws-public's mark price
    mark = (trade.entry_px * Decimal("1.004")).quantize(Decimal("0.1"))
    put_latest(seeded_deps.redis, seeded_deps.keys.mark_price(trade.instrument),
               MarkPrice(inst_id=trade.instrument, mark_px=mark, ts=seeded_deps.now()))
    try:
        text = fake_telegram.reply_to("/profit", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.mark_price(trade.instrument))
    direction = 1 if trade.side == "long" else -1
    upl = direction * (mark - trade.entry_px) / trade.entry_px * trade.notional
    open_net = upl + trade.fees
    total = closed_net + open_net - llm
    assert text.startswith("Profit · all time (2026-02-05 00:10 UTC)\n\nClosed trades\n")
    assert "\n".join(_closed_block(closed)) in text
    assert "\n".join(_lines(("positions", "1"), ("uPnL", usdt(upl, signed=True)),
                            ("fees", usdt(trade.fees, signed=True)), ("funding", "0.00 USDT"),
                            ("net", usdt(open_net, signed=True)))) in text
    assert "\n".join(_lines(
        ("closed net", usdt(closed_net, signed=True)),
        ("LLM cost", f"-{usd(llm)} (LLM and research calls)"),
        ("closed − LLM", usdt(closed_net - llm, signed=True)),
        ("open net", usdt(open_net, signed=True)),
        ("total", f"{usdt(total, signed=True)} (1 USD counted as 1 USDT)"),
        ("return", f"{pct(total / start_equity, 2, signed=True)} of 10,000.00 USDT at 2026-01-01 00:00 UTC"),
    )) in text
    assert text.endswith("Source: the trade journal; ws-private has not reported positions; mark = mark price.")

    # ws-private running: its position's uPnL, fees and funding count instead
    position = _position(trade, seeded_deps, upl=Decimal("-3.25"), fee=Decimal("-0.31"), funding=Decimal("0.04"))
    seeded_deps.redis.set(seeded_deps.keys.positions(), OPEN_POSITIONS.dump_json([position]))
    try:
        text = fake_telegram.reply_to("/profit", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.positions())
    open_net = Decimal("-3.25") - Decimal("0.31") + Decimal("0.04")
    assert "\n".join(_lines(("positions", "1"), ("uPnL", "-3.25 USDT"), ("fees", "-0.31 USDT"),
                            ("funding", "+0.04 USDT"), ("net", usdt(open_net, signed=True)))) in text
    assert f"total         {usdt(closed_net + open_net - llm, signed=True)} (1 USD" in text
    assert text.endswith("Source: exchange positions (ws-private).")

    # no price for the open position: the total is not guessed
    text = fake_telegram.reply_to("/profit", CHAT).plain
    assert "uPnL       n/a (no price for a position)" in text
    assert f"closed − LLM  {usdt(closed_net - llm, signed=True)}" in text
    assert "total         n/a (1 USD counted as 1 USDT)" in text and "return" not in text
    assert fake_telegram.reply_to("/profit all", CHAT).plain == "usage: /profit (no arguments)"


def test_balance_shows_the_account_and_the_change_since_the_start(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                                  fake_telegram: FakeTelegram,
                                                                  shared_seeded: SeededDatabase) -> None:
    live = shared_seeded.seed.live
    now = seeded_deps.now()
    latest = [p for p in live.equity if p.ts <= now][-1]
    text = fake_telegram.reply_to("/balance", CHAT).plain
    change = latest.equity - live.initial_equity
    assert text.startswith("Balance · USDT (snapshot 10m 00s ago)\n\n")
    assert f"equity       {usdt(latest.equity)}\n" in text
    assert (f"since start  {usdt(change, signed=True)} ({pct(change / live.initial_equity, 2, signed=True)}) "
            "from 10,000.00 USDT at 2026-01-01 00:00 UTC") in text

    account = Account(equity=Decimal("10250.5"), available=Decimal("9800.25"), frozen=Decimal("450.25"),
                      upl=Decimal("-12.4"), ts=now - timedelta(seconds=7))
    put_latest(seeded_deps.redis, seeded_deps.keys.account(), account)
    try:
        text = fake_telegram.reply_to("/balance", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.account())
    assert text == "\n".join([
        "Balance · USDT (live, 7s ago)", "",
        *_lines(("equity", "10,250.50 USDT"), ("available", "9,800.25 USDT"),
                ("in use", "450.25 USDT (margin and pending orders)"), ("uPnL", "-12.40 USDT"),
                ("since start", "+250.50 USDT (+2.51 %) from 10,000.00 USDT at 2026-01-01 00:00 UTC")),
        "", "2026-02-05 00:10 UTC"])


def _by_period(trades: Iterable[ClosedTrade], costs: dict[date, Decimal], first_day: Any,
               ) -> tuple[dict[date, list[Decimal]], dict[date, Decimal]]:
    nets: dict[date, list[Decimal]] = defaultdict(list)
    for trade in trades:
        nets[first_day(trade.exit_ts.date())].append(trade.net_pnl)
    spent: dict[date, Decimal] = defaultdict(Decimal)
    for day, cost in costs.items():
        spent[first_day(day)] += cost
    return nets, spent


def _expected_rows(firsts: list[date], labels: list[list[str]], nets: dict[date, list[Decimal]],
                   spent: dict[date, Decimal]) -> list[list[str]]:
    rows = [[*label, str(len(nets.get(first, []))), number(sum(nets.get(first, []), ZERO), 2, signed=True),
             number(spent.get(first, ZERO), 4)] for first, label in zip(firsts, labels, strict=True)]
    count = sum(len(nets.get(f, [])) for f in firsts)
    net = sum((sum(nets.get(f, []), ZERO) for f in firsts), ZERO)
    cost = sum((spent.get(f, ZERO) for f in firsts), ZERO)
    return [*rows, ["total", str(count), number(net, 2, signed=True), number(cost, 4)]]


def test_daily_weekly_and_monthly_sum_the_closed_trades_and_the_spend_of_each_period(
        seeded_bot: RunningBot, seeded_deps: BotDeps, fake_telegram: FakeTelegram,
        shared_seeded: SeededDatabase) -> None:
    live = shared_seeded.seed.live
    today = seeded_deps.now().date()
    assert today == date(2026, 2, 5)  # a Thursday, ten minutes into the day

    days = [today - timedelta(days=i) for i in range(7)]
    nets, spent = _by_period(live.closed_trades, live.llm_cost_by_day, lambda d: d)
    text = fake_telegram.reply_to("/daily", CHAT).text
    assert text.startswith("<b>Daily profit</b> · last 7 days (UTC), newest first")
    expected = _expected_rows(days, [[f"{d:%Y-%m-%d}", f"{d:%a}"] for d in days], nets, spent)
    assert _table_rows(text) == [["day", "trades", "net", "USDT", "LLM", "USD"], *expected]
    net = sum((n for d in days for n in nets.get(d, [])), ZERO)
    cost = sum((spent.get(d, ZERO) for d in days), ZERO)
    assert f"spend ({usd(cost)}). After LLM cost: {usdt(net - cost, signed=True)}." in text
    assert sum(len(nets.get(d, [])) for d in days) > 20  # the window is not empty

    text = fake_telegram.reply_to("/daily 1", CHAT).text
    assert "<b>Daily profit</b> · today (UTC)" in text
    assert _table_rows(text)[1:] == _expected_rows([today], [["2026-02-05", "Thu"]], nets, spent)

    mondays = [date(2026, 2, 2) - timedelta(weeks=i) for i in range(3)]
    nets, spent = _by_period(live.closed_trades, live.llm_cost_by_day, lambda d: d - timedelta(days=d.weekday()))
    text = fake_telegram.reply_to("/weekly 3", CHAT).text
    assert _table_rows(text) == [["week", "from", "trades", "net", "USDT", "LLM", "USD"],
                                 *_expected_rows(mondays, [[f"{m}"] for m in mondays], nets, spent)]

    months = [date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1), date(2025, 10, 1),
              date(2025, 9, 1)]
    nets, spent = _by_period(live.closed_trades, live.llm_cost_by_day, lambda d: d.replace(day=1))
    text = fake_telegram.reply_to("/monthly", CHAT).text
    rows = _table_rows(text)
    assert rows == [["month", "trades", "net", "USDT", "LLM", "USD"],
                    *_expected_rows(months, [[f"{m:%Y-%m}"] for m in months], nets, spent)]
    all_net = sum((t.net_pnl for t in live.closed_trades), ZERO)  # the whole run lies in these six months
    assert rows[-1] == ["total", str(len(live.closed_trades)), number(all_net, 2, signed=True),
                        number(sum(live.llm_cost_by_day.values(), ZERO), 4)]


def test_period_commands_explain_a_bad_count(seeded_bot: RunningBot, fake_telegram: FakeTelegram) -> None:
    daily = "usage: /daily [n], the last n days (UTC, the current one included; n from 1 to 90, default 7)"
    weekly = "usage: /weekly [n], the last n weeks (UTC, the current one included; n from 1 to 52, default 8)"
    monthly = "usage: /monthly [n], the last n months (UTC, the current one included; n from 1 to 24, default 6)"
    cases = {
        "/daily x": f"n must be a whole number from 1 to 90. {daily}",
        "/daily 0": f"n must be from 1 to 90 (got 0). {daily}",
        "/daily 91": f"n must be from 1 to 90 (got 91). {daily}",
        "/daily 2.5": f"n must be a whole number from 1 to 90. {daily}",
        "/daily 3 4": daily,
        "/weekly 53": f"n must be from 1 to 52 (got 53). {weekly}",
        "/monthly -1": f"n must be a whole number from 1 to 24. {monthly}",
        "/monthly 1_0": f"n must be a whole number from 1 to 24. {monthly}",
    }
    for command, reply in cases.items():
        assert fake_telegram.reply_to(command, CHAT).plain == reply, command


def test_count_shows_open_positions_against_the_limit(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                      fake_telegram: FakeTelegram) -> None:
    (trade,) = open_trades(seeded_deps.db)
    journal = "Source: the trade journal; ws-private has not reported positions; mark = no price."
    assert fake_telegram.reply_to("/count", CHAT).plain == "\n".join([
        "Open positions 1 of 3 · 2 free",
        f"• {trade.instrument} {trade.side} {number(trade.size, 2)} contracts (trade #{trade.id})", journal])

    other: Any = "long" if trade.side == "short" else "short"
    held = [_position(trade, seeded_deps, ZERO, ZERO, ZERO),
            _position(trade, seeded_deps, ZERO, ZERO, ZERO).model_copy(
                update={"inst_id": "ETH-USDT-SWAP", "side": other, "pos_side": other, "size": Decimal("3")})]
    seeded_deps.redis.set(seeded_deps.keys.positions(), OPEN_POSITIONS.dump_json(held))
    try:
        text = fake_telegram.reply_to("/count", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.positions())
    assert text == "\n".join([
        "Open positions 2 of 3 · 1 free",
        f"• {trade.instrument} {trade.side} {number(trade.size, 2)} contracts (trade #{trade.id})",
        f"• ETH-USDT-SWAP {other} 3.00 contracts",
        "Source: exchange positions (ws-private)."])
    assert fake_telegram.reply_to("/count 2", CHAT).plain == "usage: /count (no arguments)"


def test_help_has_one_line_per_command_from_the_command_table(seeded_bot: RunningBot,
                                                              fake_telegram: FakeTelegram) -> None:
    lines = fake_telegram.reply_to("/help", CHAT).plain.splitlines()
    assert lines[0] == "OKX Opus bot — commands"
    assert lines[1:] == [f"/{c.name}{' (admin)' if c.admin else ''} — {c.description}" for c in COMMANDS]
    names = [c.name for c in COMMANDS]
    for name in ("profit", "balance", "daily", "weekly", "monthly", "count", "stopentry", "help"):
        assert name in names
    assert ("/stopentry (admin) — same as /halt: no new entries from the next cycle on, open positions keep "
            "their stops: /stopentry [reason]") in lines
    assert "/daily — net PnL, trades and LLM cost per UTC day: /daily [n] (default 7, max 90)" in lines
    assert [c["command"] for c in fake_telegram.commands] == names  # Telegram's menu is the same table
