"""The demo's narration: one line per finished cycle, and one per closed trade, review and
playbook version, read from the journal the pipeline writes (nothing here is kept elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, PlaybookVersion, ReflectionLog, Trade


@dataclass
class Progress:
    """What the demo has shown so far, and whether it saw the whole loop of learning."""

    cycles: int = 0
    opened: int = 0
    closed: int = 0
    reviews: int = 0
    playbook_versions: int = 0
    _seen_cycles: set[str] = field(default_factory=set)
    _seen_closed: set[int] = field(default_factory=set)
    _seen_reviews: set[int] = field(default_factory=set)
    _seen_versions: set[int] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        """A trade opened and closed, its review ran and the playbook got a new version."""
        return self.opened > 0 and self.closed > 0 and self.reviews > 0 and self.playbook_versions > 1

    def missing(self) -> list[str]:
        wanted = [("a trade opened", self.opened), ("a trade closed", self.closed),
                  ("a post-trade review", self.reviews), ("a new playbook version", self.playbook_versions - 1)]
        return [what for what, count in wanted if count <= 0]


def new_lines(db: Database, progress: Progress) -> list[str]:
    """The story since the last call, oldest first."""
    lines: list[tuple[Any, str]] = []
    with db.session() as session:
        # (a demo's journal is small: read whole each time; a cycle may finish after later ones did)
        query = select(DecisionCycle).where(DecisionCycle.finished_at.is_not(None))
        for cycle in session.scalars(query.order_by(DecisionCycle.scheduled_for)):
            if cycle.id in progress._seen_cycles:
                continue
            progress._seen_cycles.add(cycle.id)
            progress.cycles += 1
            progress.opened += cycle.outcome == "filled"
            lines.append((cycle.scheduled_for, cycle_line(cycle)))
        for trade in session.scalars(select(Trade).where(Trade.status == "closed").order_by(Trade.exit_ts)):
            if trade.id not in progress._seen_closed:
                progress._seen_closed.add(trade.id)
                progress.closed += 1
                lines.append((trade.exit_ts, f"{trade.exit_ts:%Y-%m-%d %H:%M}  trade #{trade.id} {trade.side} closed "
                                             f"({trade.close_reason}): net {_signed(trade.net_pnl)} USDT"))
        for review in session.scalars(select(ReflectionLog).order_by(ReflectionLog.created_at, ReflectionLog.id)):
            if review.id in progress._seen_reviews:
                continue
            progress._seen_reviews.add(review.id)
            if review.kind == "post_trade":
                progress.reviews += 1
                lesson = (review.lessons or [""])[0]
                lines.append((review.created_at, f"{review.created_at:%Y-%m-%d %H:%M}  review of trade "
                                                 f"#{review.trade_id}: {_cut(lesson)}"))
            else:
                lines.append((review.created_at, f"{review.created_at:%Y-%m-%d %H:%M}  deep reflection over "
                                                 f"{(review.content or {}).get('trades', '?')} trades"))
        for version in session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.version)):
            if version.version not in progress._seen_versions:
                progress._seen_versions.add(version.version)
                progress.playbook_versions += 1
                changes = "; ".join(str(c) for c in version.change_log) or "the default"
                lines.append((version.created_at, f"{version.created_at:%Y-%m-%d %H:%M}  playbook v{version.version} "
                                                  f"({version.created_by}): {_cut(changes)}"))
    return [text for _, text in sorted(lines, key=lambda item: item[0])]


def cycle_line(cycle: DecisionCycle) -> str:
    """`2025-10-15 03:15  62,410.5  screened_out  no setup: …` — what the cycle saw and why it ended so."""
    price = (cycle.snapshot or {}).get("price")
    shown = f"{Decimal(str(price)):,.1f}" if price is not None else "—"
    return f"{cycle.scheduled_for:%Y-%m-%d %H:%M}  {shown:>10}  {cycle.outcome:<16} {_cut(_why(cycle))}"


def _why(cycle: DecisionCycle) -> str:
    details = {entry.get("stage"): entry.get("detail") or {} for entry in cycle.timeline or []}
    decision, verdict = cycle.decision or {}, cycle.verdict or {}
    if cycle.error:
        return cycle.error
    if cycle.outcome == "filled":
        journaled = details.get("JOURNALING", {})
        order = verdict.get("order") or {}
        return (f"{decision.get('action', '')} {journaled.get('size', '?')} contracts at {journaled.get('entry_px', '?')}, "
                f"stop {order.get('stop_loss', '—')}, take profit {order.get('take_profit', '—')}")
    if cycle.outcome in ("screened_out",):
        return str((details.get("SCREENING", {}).get("screen") or {}).get("reason", ""))
    if verdict and not verdict.get("approved", True):
        return str(verdict.get("reason") or verdict.get("rule") or "")
    if decision:
        return f"{decision.get('action', '')} ({decision.get('confidence', '?')}): {decision.get('reasoning', '')}"
    return ""


def _signed(value: Decimal | None) -> str:
    return "?" if value is None else f"{value:+,.2f}"


def _cut(text: str, width: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
