"""After a position closes: the trade is journaled with its realised PnL, fees and funding (so the
risk counters that derive from the journal move), reviewed (REFLECTING on the entry's cycle), and
every DEEP_REFLECTION_EVERY_TRADES trades or _HOURS hours a deep reflection may update the playbook.

Close events come from a `CloseFeed`: ws-private's `position_closed` events on `trade:positions`
(live), or the in-process venue (backtests). Each is acknowledged only after it is journaled, and
journaling twice is harmless (a closed trade is not closed again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from trading_bot.brain.playbook import PlaybookChanged
from trading_bot.brain.ports import Review
from trading_bot.domain.events import PositionClosed
from trading_bot.logs import get_logger
from trading_bot.pipeline.context import recap, recent_trades
from trading_bot.pipeline.cycle import stage_of_ended
from trading_bot.pipeline.ports import Ports
from trading_bot.storage.repos import cycles, journal, reflections

log = get_logger(__name__)
REVIEWS_FOR_REFLECTION = 20


def journal_pending_closes(ports: Ports) -> int:
    """Journal every pending close event (fast: no LLM call here). Returns how many were handled."""
    handled = 0
    for handle, event in ports.closes.pending():
        journal_close(ports, event)
        ports.closes.done(handle)
        handled += 1
    return handled


REVIEW_BATCH = 10


def review_pending(ports: Ports, limit: int = REVIEW_BATCH) -> int:
    """Review closed trades that have no post-trade review yet, then reflect deeply if due."""
    rows = journal.unreviewed_closed(ports.db, limit, ports.run_id)
    for row in rows:
        review_trade(ports, row)
    maybe_reflect_deeply(ports)
    return len(rows)


def journal_close(ports: Ports, event: PositionClosed) -> int | None:
    """Close the matching open trade; returns the trade id (None if no open trade matched)."""
    trade_id = journal.find_open_trade(ports.db, event.inst_id, event.side, event.closed_at, ports.run_id)
    if trade_id is None:
        log.warning("close without an open trade", instrument=event.inst_id, side=event.side, pos_id=event.pos_id)
        return None
    ct_val = ports.exchange.instrument(event.inst_id).ct_val
    closed = journal.close_trade(ports.db, trade_id, exit_ts=event.closed_at, exit_px=event.exit_px,
                                 realized_pnl=event.realized_pnl, fees=event.fees, funding=event.funding,
                                 close_reason=event.close_reason, ct_val=ct_val)
    if closed is None:
        return trade_id
    log.info("trade closed", trade_id=trade_id, instrument=event.inst_id, net_pnl=str(closed.net_pnl),
             reason=event.close_reason)
    return trade_id


def review_trade(ports: Ports, closed: journal.ClosedTradeRow) -> None:
    now = ports.clock.now()
    if reflections.exists_for_trade(ports.db, closed.id):
        return
    if closed.cycle_id and not cycles.cycle_exists(ports.db, closed.cycle_id):
        raise LookupError(f"decision cycle {closed.cycle_id} does not exist")
    playbook = ports.playbooks.current(now)
    if closed.cycle_id is None:
        review = ports.brain.reflector.review(recap(closed), playbook, now)
    else:
        with stage_of_ended(ports.db, closed.cycle_id, closed.instrument, "REFLECTING", ports.clock) as run:
            review = ports.brain.reflector.review(recap(closed), playbook, now)
            run.outcome = "reviewed"
            run.detail.update(trade_id=closed.id, net_pnl=str(closed.net_pnl), lesson=review.lesson[:200])
    reflections.insert(ports.db, kind="post_trade", model=review.model, content=review.model_dump(mode="json"),
                       lessons=[review.lesson], created_at=now, trade_id=closed.id,
                       llm_call_id=review.llm_call_id, version_before=playbook.version, run_id=ports.run_id)


def deep_reflection_due(ports: Ports, now: datetime) -> bool:
    last = reflections.last_of_kind(ports.db, "deep", ports.run_id)
    trades = journal.count_closed_since(ports.db, last, ports.run_id)
    if trades == 0:
        return False
    if trades >= ports.config.deep_every_trades:
        return True
    reference = last or _first_trade_exit(ports)
    return reference is not None and now - reference >= timedelta(hours=ports.config.deep_every_hours)


def _first_trade_exit(ports: Ports) -> datetime | None:
    return journal.first_exit(ports.db, ports.run_id)


def maybe_reflect_deeply(ports: Ports) -> bool:
    now = ports.clock.now()
    if not deep_reflection_due(ports, now):
        return False
    reflect_deeply(ports, now)
    return True


def reflect_deeply(ports: Ports, now: datetime) -> int | None:
    """Ask the reflector for the next playbook; store it (validated) as a new version.
    Returns the new version, or None when the playbook stays as it is."""
    last = reflections.last_of_kind(ports.db, "deep", ports.run_id)
    playbook = ports.playbooks.current(now)
    trades = [recap(row) for row in journal.recent_closed(ports.db, 50, ports.run_id, since=last)] or recent_trades(ports)
    reviews = [Review.model_validate(c) for c in reflections.recent_contents(ports.db, "post_trade",
                                                                              REVIEWS_FOR_REFLECTION, ports.run_id)]
    proposal = ports.brain.reflector.reflect(playbook, trades, reviews, now)
    after = None
    if proposal is not None:
        try:
            stored = ports.playbooks.save(proposal.playbook, proposal.changes, created_by="reflection", now=now,
                                          parent=playbook.version)
        except PlaybookChanged as exc:  # another reflection landed first and covered these trades
            log.warning("deep reflection dropped: the playbook changed while it ran", reason=str(exc))
            return None
        after = stored.version
        log.info("playbook updated", version=after, changes=proposal.changes)
    reflections.insert(ports.db, kind="deep", model=proposal.model if proposal else ports.brain.label,
                       content={"changes": proposal.changes if proposal else [], "trades": len(trades)},
                       lessons=proposal.changes if proposal else [], created_at=now,
                       llm_call_id=proposal.llm_call_id if proposal else None, version_before=playbook.version,
                       version_after=after, run_id=ports.run_id)
    return after


class ReviewGate:
    """Backtests: the journal's follow-up after every cycle, calling `review_pending` only when it
    can do something — a position closed since the last pass (`closes()` counts the close events
    read so far: collect journals some before this runs), or a deep reflection falls due by time —
    with exactly the outcome of calling it every cycle. What `deep_reflection_due` reads (closed
    trades since the last deep reflection and the time reference) changes only with a close or a
    reflection, so it is read after each pass and kept until then."""

    def __init__(self, closes: Callable[[], int]) -> None:
        self._closes = closes
        self._seen = -1  # close events at the last pass (-1: no pass yet)
        self._complete = False
        self._trades = 0
        self._reference: datetime | None = None

    def __call__(self, ports: Ports) -> None:
        journal_pending_closes(ports)
        seen = self._closes()
        if seen != self._seen or not self._complete or self._due(ports, ports.clock.now()):
            reviewed = review_pending(ports)
            self._learn(ports, complete=reviewed < REVIEW_BATCH)
            self._seen = seen

    def _due(self, ports: Ports, now: datetime) -> bool:
        if self._trades == 0:
            return False
        if self._trades >= ports.config.deep_every_trades:
            return True
        return self._reference is not None and now - self._reference >= timedelta(hours=ports.config.deep_every_hours)

    def _learn(self, ports: Ports, complete: bool) -> None:
        last = reflections.last_of_kind(ports.db, "deep", ports.run_id)
        self._trades = journal.count_closed_since(ports.db, last, ports.run_id)
        self._reference = (last or _first_trade_exit(ports)) if self._trades else None
        self._complete = complete  # a full batch reviewed: there may be more, look again next time
