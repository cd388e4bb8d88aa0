"""Orders, fills and position closes into real PostgreSQL and Redis: stored once, published once,
whether they come from a push, a repeated push or a REST catch-up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import redis

from tests.kit.okx_fixtures import recorded
from trading_bot.domain.events import FillEvent, OrderEvent, PositionClosed, PositionEvent
from trading_bot.domain.market import Instrument
from trading_bot.exchange.okx import parse
from trading_bot.ingest.ledger import TradeLedger
from trading_bot.ingest.positions import PositionBook
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.models import Order as OrderRow
from trading_bot.storage.repos.fills import count_fills, insert_fill
from trading_bot.storage.repos.orders import get_order, upsert_order
from trading_bot.storage.repos.positions import closed_positions
from trading_bot.storage.streams import TRADE_FILLS, TRADE_ORDERS, TRADE_POSITIONS, Keys

pytestmark = pytest.mark.shared
D = Decimal
INST = "BTC-USDT-SWAP"
T = datetime(2025, 5, 11, 7, tzinfo=UTC)
BTC = Instrument(inst_id=INST, ct_val=D("0.01"), ct_val_ccy="BTC", settle_ccy="USDT", lot_sz=D("0.01"),
                 min_sz=D("0.01"), tick_sz=D("0.1"), max_leverage=100)


def stream(client: redis.Redis, keys: Keys, name: str) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(keys.stream(name))]


def order_push(**changes: Any) -> dict[str, Any]:
    return dict(recorded("ws_orders__BTC-USDT-SWAP_market_filled.json")["data"][0], **changes)


def test_fill_push_stored_and_published_once_even_when_repeated(database: Database, redis_client: redis.Redis,
                                                                keys: Keys) -> None:
    ledger = TradeLedger(database, redis_client, keys)
    live = order_push(state="live", accFillSz="0", fillSz="0", fillPx="", tradeId="", avgPx="", fee="0",
                      uTime="1746947317401")
    ledger.on_order_push(live)
    fill = ledger.on_order_push(order_push())
    ledger.on_order_push(order_push())  # the same push again (reconnect replay)
    assert fill is not None and fill.fee == D("-0.021776769")
    assert count_fills(database, INST) == 1
    fills = stream(redis_client, keys, TRADE_FILLS)
    assert len(fills) == 1 and FillEvent.model_validate_json(fills[0]["data"]).fill.trade_id == "1518905529"
    orders = [OrderEvent.model_validate_json(f["data"]).order.state for f in stream(redis_client, keys, TRADE_ORDERS)]
    assert orders == ["live", "filled"]
    stored = get_order(database, INST, "2497956918703120384")
    assert stored is not None and stored.state == "filled" and stored.avg_px == D("103698.9")


def test_rest_catch_up_fill_after_push_is_not_a_second_fill(database: Database, redis_client: redis.Redis,
                                                             keys: Keys) -> None:
    ledger = TradeLedger(database, redis_client, keys)
    pushed = ledger.on_order_push(order_push())
    assert pushed is not None
    assert ledger.on_fill(pushed) is False  # the same trade id learnt over REST
    assert len(stream(redis_client, keys, TRADE_FILLS)) == 1


def test_stale_update_never_overwrites_newer_state_and_keeps_the_cycle_link(database: Database) -> None:
    with database.session() as session:
        session.add(DecisionCycle(id="cyc7", instrument=INST, trigger="manual", scheduled_for=T, started_at=T,
                                  stage="EXECUTING"))
    newer = parse.order(order_push())
    upsert_order(database, newer.model_copy(update={"state": "live", "filled": D(0)}), cycle_id="cyc7",
                 purpose="entry")
    upsert_order(database, newer)
    older = newer.model_copy(update={"state": "live", "updated_at": datetime(2025, 1, 1, tzinfo=UTC)})
    upsert_order(database, older)
    stored = get_order(database, INST, newer.ord_id)
    assert stored is not None and stored.state == "filled"
    with database.session() as session:
        row = session.query(OrderRow).one()
        assert (row.cycle_id, row.purpose) == ("cyc7", "entry")


def position_push(pos: str, **changes: Any) -> dict[str, Any]:
    base = dict(recorded("account_positions__LTC-USDT-SWAP_long_cross_with_upl.json")["data"][0])
    base.update(instId=INST, posSide="net", mgnMode="isolated", pos=pos, avgPx="100000", posId="77",
                cTime="1746947317402", uTime="1746947317402", pnl="0", fee="-0.5", fundingFee="0",
                realizedPnl="-0.5", margin="100", liqPx="50000", imr="")
    base.update(changes)
    return base


def feed(book: PositionBook, item: dict[str, Any]) -> None:
    book.on_push(parse.position_state(item), parse.position(item))


def test_close_push_publishes_one_position_closed_with_okx_totals(database: Database, redis_client: redis.Redis,
                                                                  keys: Keys) -> None:
    book = PositionBook(database, redis_client, keys, lambda _: BTC)
    feed(book, position_push("0.5"))
    feed(book, position_push("0.5", markPx="100100", upl="0.5"))  # mark moved: no new event
    final = position_push("0", avgPx="", pnl="10", fee="-1.3", fundingFee="-0.2", realizedPnl="8.5",
                          uTime="1746950000000")
    feed(book, final)
    feed(book, final)  # OKX may repeat it
    events = stream(redis_client, keys, TRADE_POSITIONS)
    kinds = [e["type"] for e in events]
    assert kinds == ["PositionEvent", "PositionClosed", "PositionEvent"]
    closed = PositionClosed.model_validate_json(events[1]["data"])
    assert (closed.side, closed.size, closed.entry_px, closed.realized_pnl, closed.fees, closed.funding) == (
        "long", D("0.5"), D("100000"), D("10"), D("-1.3"), D("-0.2"))
    assert closed.exit_px == D("100000") + D("10") / (D("0.5") * D("0.01"))  # 102000 from the PnL
    assert closed.net_pnl == D("8.5")
    assert PositionEvent.model_validate_json(events[2]["data"]).position is None
    assert [p.realized_pnl for p in closed_positions(database, INST)] == [D("10")]
    assert redis_client.get(keys.positions()) == "[]"


def test_position_that_vanished_while_away_is_closed_from_the_stored_fills(database: Database,
                                                                          redis_client: redis.Redis,
                                                                          keys: Keys) -> None:
    book = PositionBook(database, redis_client, keys, lambda _: BTC)
    feed(book, position_push("0.03", avgPx="103698.9"))
    ledger = TradeLedger(database, redis_client, keys)
    ledger.on_order_push(order_push(posSide="net"))  # the opening buy, fee -0.021776769
    close = order_push(posSide="net", side="sell", ordId="2", tradeId="2", fillPx="104698.9", avgPx="104698.9",
                       fee="-0.02", fillPnl="0.3", pnl="0.3", fillTime="1746950000000", uTime="1746950000000",
                       clOrdId="cclose1")
    ledger.on_order_push(close)
    restarted = PositionBook(database, redis_client, keys, lambda _: BTC)  # remembers what was open
    assert list(restarted.held) == [(INST, "net")]
    restarted.on_snapshot([], now=datetime(2025, 5, 11, 8, tzinfo=UTC))
    closed = restarted.closes[0]
    assert (closed.realized_pnl, closed.fees, closed.exit_px) == (D("0.3"), D("-0.041776769"), D("104698.9"))
    assert closed.close_reason == "manual"  # our own clOrdId closed it
    assert closed.closed_at == datetime.fromtimestamp(1746950000, UTC)


def test_a_fill_is_not_published_again_after_redis_lost_its_markers(database: Database, redis_client: redis.Redis,
                                                                    keys: Keys) -> None:
    ledger = TradeLedger(database, redis_client, keys)
    pushed = ledger.on_order_push(order_push())
    assert pushed is not None
    for key in redis_client.scan_iter(match=f"{keys.namespace}:*"):  # a Redis restarted without its data
        redis_client.delete(key)
    assert ledger.on_fill(pushed) is False  # the catch-up after the restart learns it again
    assert stream(redis_client, keys, TRADE_FILLS) == [], "the outbox mark in PostgreSQL says it went out"


def test_a_fill_stored_but_not_published_goes_out_with_the_next_catch_up(database: Database, redis_client: redis.Redis,
                                                                        keys: Keys) -> None:
    ledger = TradeLedger(database, redis_client, keys)
    fill = parse.fill_from_order_push(order_push(), D(0), D(0))
    assert fill is not None
    insert_fill(database, fill)  # stored, then Redis failed (or the process died) before the publish
    assert ledger.on_fill(fill) is False
    fills = stream(redis_client, keys, TRADE_FILLS)
    assert [FillEvent.model_validate_json(f["data"]).fill.trade_id for f in fills] == [fill.trade_id]
    assert ledger.on_fill(fill) is False and len(stream(redis_client, keys, TRADE_FILLS)) == 1


def journaled_open(database: Database, entry_ts: datetime, size: str = "0.03") -> int:
    """The journal's open long, as the pipeline's JOURNALING stage writes it."""
    from trading_bot.storage.repos.journal import OpenedTrade, open_trade

    return open_trade(database, OpenedTrade(
        cycle_id=None, instrument=INST, side="long", strategy="s", regime=None, confidence=None, leverage=D(2),
        size=D(size), notional=D("31.1"), entry_ts=entry_ts, entry_px=D("103698.9"), stop_loss=D("100000"),
        take_profit=D("110000"), entry_cl_ord_id=None, entry_ord_id=None))


def test_a_position_the_book_never_saw_is_closed_through_the_journal(database: Database, redis_client: redis.Redis,
                                                                     keys: Keys) -> None:
    """ws-private was down from before the position's first push until after its close (or Redis lost
    the book): the journal's open trade, with no position on the venue and its closing fill stored,
    is closed once, from the fills."""
    ledger = TradeLedger(database, redis_client, keys)
    ledger.on_order_push(order_push(posSide="net"))  # the opening buy, learnt by the catch-up
    journaled_open(database, datetime.fromtimestamp(1746947317.401, UTC))
    ledger.on_order_push(order_push(posSide="net", side="sell", ordId="2", tradeId="2", fillPx="104698.9",
                                    avgPx="104698.9", fee="-0.02", fillPnl="0.3", pnl="0.3",
                                    fillTime="1746950000000", uTime="1746950000000", clOrdId="cclose1"))
    book = PositionBook(database, redis_client, keys, lambda _: BTC)
    assert book.held == {}, "it never saw the position"
    book.on_snapshot([], now=datetime(2025, 5, 11, 8, tzinfo=UTC))
    book.on_snapshot([], now=datetime(2025, 5, 11, 8, 1, tzinfo=UTC))  # the next catch-up
    [closed] = book.closes
    assert (closed.side, closed.size, closed.entry_px, closed.realized_pnl, closed.fees, closed.exit_px) == (
        "long", D("0.03"), D("103698.9"), D("0.3"), D("-0.041776769"), D("104698.9"))
    assert closed.close_reason == "manual" and closed.closed_at == datetime.fromtimestamp(1746950000, UTC)
    kinds = [e["type"] for e in stream(redis_client, keys, TRADE_POSITIONS)]
    assert kinds.count("PositionClosed") == 1


def test_an_open_trade_is_not_closed_without_its_closing_fills_or_when_journaled_after_the_snapshot(
        database: Database, redis_client: redis.Redis, keys: Keys) -> None:
    ledger = TradeLedger(database, redis_client, keys)
    ledger.on_order_push(order_push(posSide="net"))  # entry stored, no close yet
    entered = datetime.fromtimestamp(1746947317.401, UTC)
    journaled_open(database, entered)
    book = PositionBook(database, redis_client, keys, lambda _: BTC)
    book.on_snapshot([], now=datetime(2025, 5, 11, 8, tzinfo=UTC))
    book.on_snapshot([], now=entered)  # the list was asked for before the trade was journaled
    assert book.closes == [], "no closing fill stored: the venue's list may predate the entry"
