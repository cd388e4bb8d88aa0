"""What each stream entry becomes in Telegram: a `Notice` with a severity, a cooldown key and an
HTML text, or None for entries that are not worth a message.

- `system:alerts`, `market:alerts` (`Alert`): their own severity; cooldown per (kind, instrument).
- `trade:fills` (`FillEvent`): INFO; one message per order (partial fills of the same order fall
  into its cooldown and are counted, not repeated).
- `trade:positions`: `PositionClosed` is INFO (CRITICAL for a liquidation) with the PnL split;
  `PositionEvent` (opened / resized / flat) is skipped: the fill and the close already say it.
- `opus:decisions` (`DecisionEvent`): entries and closes are INFO with the confidence, the risk
  verdict and the start of the reasoning; HOLDs are skipped (one every cycle would be noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from trading_bot.domain.decision import Action
from trading_bot.domain.events import Alert, DecisionEvent, FillEvent, PositionClosed
from trading_bot.storage.streams import (
    MARKET_ALERTS,
    OPUS_DECISIONS,
    SYSTEM_ALERTS,
    TRADE_FILLS,
    TRADE_POSITIONS,
    Entry,
    decode,
)
from trading_bot.telegram.format import esc, number, price, quote, usdt, utc

Severity = Literal["INFO", "WARN", "CRITICAL"]
STREAMS = [TRADE_FILLS, TRADE_POSITIONS, OPUS_DECISIONS, SYSTEM_ALERTS, MARKET_ALERTS]
RANK: dict[str, int] = {"INFO": 0, "WARN": 1, "CRITICAL": 2}
ICONS = {"INFO": "ℹ️", "WARN": "⚠️", "CRITICAL": "🚨"}


@dataclass(frozen=True)
class Notice:
    severity: Severity
    key: str  # cooldown key: kind and instrument (plus an event id for trade events)
    text: str  # Telegram HTML

    def with_suffix(self, suffix: str) -> Notice:
        return Notice(self.severity, self.key, f"{self.text}\n{suffix}")


class Undecodable(ValueError):
    """An entry whose payload does not match its type; reported once as a WARN, then acknowledged."""


def to_notice(entry: Entry) -> Notice | None:
    try:
        if entry.stream in (SYSTEM_ALERTS, MARKET_ALERTS):
            return _alert(decode(entry, Alert), entry.stream)
        if entry.stream == TRADE_FILLS:
            return _fill(decode(entry, FillEvent))
        if entry.stream == TRADE_POSITIONS and entry.type == "PositionClosed":
            return _closed(decode(entry, PositionClosed))
        if entry.stream == TRADE_POSITIONS:
            return None
        if entry.stream == OPUS_DECISIONS:
            return _decision(decode(entry, DecisionEvent))
    except ValidationError as exc:
        raise Undecodable(f"{entry.stream} entry {entry.entry_id} ({entry.type}): {exc.error_count()} errors") from None
    return None


def _alert(alert: Alert, stream: str) -> Notice:
    where = f" · {esc(alert.inst_id)}" if alert.inst_id else ""
    source = "market" if stream == MARKET_ALERTS else "system"
    text = f"{ICONS[alert.severity]} <b>{alert.severity}</b> {esc(alert.kind)}{where}\n{quote(alert.message, 800)}" \
           f"\n<i>{source} · {esc(utc(alert.ts, seconds=True))}</i>"
    return Notice(alert.severity, f"{alert.kind}|{alert.inst_id or '-'}", text)


def _fill(event: FillEvent) -> Notice:
    fill = event.fill
    pnl = f" · realised {usdt(fill.pnl, signed=True)}" if fill.pnl else ""
    text = f"✅ <b>Filled</b> {fill.side} {number(fill.size, 2)} contracts {esc(fill.inst_id)} @ {price(fill.price)}" \
           f"\nfee {usdt(fill.fee, signed=True, places=4)}{pnl} · order {esc(fill.ord_id)}" \
           f"\n<i>{esc(utc(fill.ts, seconds=True))}</i>"
    return Notice("INFO", f"fill|{fill.inst_id}|{fill.ord_id}", text)


def _closed(event: PositionClosed) -> Notice:
    severity: Severity = "CRITICAL" if event.close_reason == "liquidation" else "INFO"
    icon = "🟢" if event.net_pnl > 0 else "🔴"
    text = f"{icon} <b>Closed</b> {event.side} {number(event.size, 2)} contracts {esc(event.inst_id)} by " \
           f"{esc(event.close_reason)}\n{price(event.entry_px)} → {price(event.exit_px)} · net " \
           f"<b>{usdt(event.net_pnl, signed=True)}</b> (price {usdt(event.realized_pnl, signed=True)}, fees " \
           f"{usdt(event.fees, signed=True)}, funding {usdt(event.funding, signed=True)})" \
           f"\n<i>{esc(utc(event.closed_at, seconds=True))}</i>"
    return Notice(severity, f"closed|{event.inst_id}|{event.side}|{event.closed_at.isoformat()}", text)


def _decision(event: DecisionEvent) -> Notice | None:
    decision = event.decision
    if decision.action is Action.HOLD:
        return None
    if event.approved is None:
        verdict = "risk check pending"
    else:
        verdict = "approved by the risk gate" if event.approved else f"rejected by the risk gate ({esc(event.rule)})"
    reasoning = quote(decision.reasoning, 300) or "(no reasoning)"
    text = f"🧠 <b>{decision.action.value}</b> {esc(decision.inst_id)} · confidence {number(decision.confidence, 2)}" \
           f" · {esc(decision.strategy or 'no strategy')}\n{verdict}\n<blockquote>{reasoning}</blockquote>" \
           f"\n<i>/why {esc(event.cycle_id)}</i>"
    return Notice("INFO", f"decision|{decision.inst_id}|{event.cycle_id}", text)
