"""The alert loop: read the streams through the consumer group `telegram`, turn entries into
notices, apply silent hours and the cooldown, send, and only then acknowledge.

Once-only delivery across restarts: an entry is acknowledged after every target chat has it; the
chats already served are remembered in Redis (`telegram:delivered:<entry>`), so a retry after a
network failure or a crash sends only to the rest. The remaining window is a crash between
Telegram's answer and that mark, which no Bot API can close. On first start the group begins at
the streams' end (old history is not replayed); after that a restart resumes where it stopped.

Routing: INFO goes to TELEGRAM_CHAT_IDS without a notification sound, WARN with one, CRITICAL with
one and also to every admin (TELEGRAM_ADMIN_IDS) in private. During silent hours INFO and WARN
are kept in `telegram:held` and sent as one digest when the silent hours end.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import redis

from telegram import Bot
from trading_bot.logs import get_logger
from trading_bot.storage.streams import Entry, ack, ensure_group, read_group
from trading_bot.telegram.alerts.notices import RANK, STREAMS, Notice, Undecodable, to_notice
from trading_bot.telegram.alerts.policy import Cooldown, SilentHours, held_back
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc
from trading_bot.telegram.sender import SendFailed, Undeliverable, send_html

log = get_logger(__name__)
GROUP = "telegram"
CONSUMER = "telegram-bot"
DELIVERED_TTL_SECONDS = 7 * 24 * 3600
MAX_BACKOFF = 30.0


class AlertDispatcher:
    def __init__(self, deps: BotDeps, bot: Bot, block_ms: int = 1000) -> None:
        self.deps, self.bot, self.block_ms = deps, bot, block_ms
        self.cooldown = Cooldown(deps.redis, deps.keys)
        self._held = deps.keys.custom("telegram", "held")
        for stream in STREAMS:  # first start: from now on, not the whole history
            ensure_group(deps.redis, deps.keys, stream, GROUP, start="$")

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                await self.pass_once()
                backoff = 1.0
            except (SendFailed, redis.RedisError, OSError) as exc:  # Telegram or Redis unreachable: retry later
                log.warning("alerts_retry_later", error=str(exc), wait_seconds=backoff)
                try:
                    await asyncio.wait_for(stop.wait(), backoff)
                except TimeoutError:
                    pass
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def pass_once(self) -> int:
        """One round: the digest if silent hours just ended, then up to 50 entries. Returns entries handled."""
        now = self.deps.now()
        silent = SilentHours.parse(self.deps.live_settings().silent_hours_utc)
        if not (silent and silent.contains(now)):
            await self._flush_held(silent)
        entries = await asyncio.to_thread(self._read)
        for entry in entries:
            await self._handle(entry, silent)
        return len(entries)

    def _read(self) -> list[Entry]:
        """Up to 50 entries per stream, in publication order across streams (ids are milliseconds;
        entries of the same millisecond on different streams keep the order of STREAMS)."""
        entries = read_group(self.deps.redis, self.deps.keys, STREAMS, GROUP, CONSUMER, count=50,
                             block_ms=self.block_ms)
        return sorted(entries, key=_published)

    async def _handle(self, entry: Entry, silent: SilentHours | None) -> None:
        now = self.deps.now()
        try:
            notice = to_notice(entry)
        except Undecodable as exc:
            log.error("alert_undecodable", error=str(exc))
            notice = Notice("WARN", f"undecodable|{entry.stream}", f"⚠️ <b>WARN</b> undecodable alert\n{esc(exc)}")
        done_key = self.deps.keys.custom("telegram", "delivered", entry.stream, entry.entry_id)
        if notice is None or not self.cooldown.admit(notice, now):
            self._finish(entry, done_key)
            return
        hold = held_back(notice, silent, now)
        if not hold:
            await self._deliver(done_key, notice)
        self._finish(entry, done_key, (notice, now, hold))

    def _finish(self, entry: Entry, done_key: str, outcome: tuple[Notice, datetime, bool] | None = None) -> None:
        """Acknowledge the entry, and record a sent or held notice, in one transaction: no repeat, no loss."""
        with self.deps.redis.pipeline(transaction=True) as pipe:
            if outcome is not None:
                notice, now, hold = outcome
                if hold:
                    pipe.rpush(self._held, json.dumps(notice.__dict__))
                self.cooldown.record(pipe, notice, now)
            ack(pipe, self.deps.keys, entry, GROUP)
            pipe.delete(done_key)
            pipe.execute()

    async def _deliver(self, done_key: str, notice: Notice) -> None:
        repeats = self.cooldown.suppressed(notice)
        if repeats:
            notice = notice.with_suffix(f"<i>(+{repeats} similar in the last minute, not sent)</i>")
        await self._fan_out(done_key, self.targets(notice), notice.text, notify=notice.severity != "INFO")

    async def _fan_out(self, done_key: str, chats: list[int], text: str, notify: bool) -> None:
        """Send to every chat not served yet under `done_key`, remembering each one served (the caller
        deletes the mark in the same transaction that records the work as done)."""
        done = {int(chat) for chat in self.deps.redis.smembers(done_key)}
        for chat_id in chats:
            if chat_id in done:
                continue
            await self._send(chat_id, text, notify=notify)
            self.deps.redis.sadd(done_key, chat_id)
            self.deps.redis.expire(done_key, DELIVERED_TTL_SECONDS)

    def targets(self, notice: Notice) -> list[int]:
        chats = list(self.deps.settings.telegram_chat_ids)
        if notice.severity == "CRITICAL":
            chats += [admin for admin in self.deps.settings.telegram_admin_ids if admin not in chats]
        return chats

    async def _send(self, chat_id: int, text: str, notify: bool) -> None:
        try:
            await send_html(self.bot, chat_id, text, notify=notify)
        except Undeliverable as exc:
            log.error("alert_undeliverable", chat_id=chat_id, error=str(exc))

    async def _flush_held(self, silent: SilentHours | None) -> None:
        """After silent hours: everything held, as one digest (split if long), then forget it."""
        raw = self.deps.redis.lrange(self._held, 0, -1)
        if not raw:
            return
        notices = [Notice(**json.loads(item)) for item in raw]
        worst = max(notices, key=lambda n: RANK[n.severity]).severity
        counts = ", ".join(f"{sum(n.severity == s for n in notices)} {s}" for s in ("WARN", "INFO")
                           if any(n.severity == s for n in notices))
        window = f" ({silent})" if silent else ""
        text = "\n\n".join([f"🌙 <b>Held during silent hours{esc(window)}</b>: {counts}",
                            *(n.text for n in notices)])
        done_key = self.deps.keys.custom("telegram", "delivered", "digest")
        await self._fan_out(done_key, list(self.deps.settings.telegram_chat_ids), text, notify=worst != "INFO")
        with self.deps.redis.pipeline(transaction=True) as pipe:
            pipe.ltrim(self._held, len(raw), -1)
            pipe.delete(done_key)
            pipe.execute()
        log.info("alerts_digest_sent", notices=len(notices))


def _published(entry: Entry) -> tuple[int, int]:
    millis, _, sequence = entry.entry_id.partition("-")
    return int(millis), int(sequence or 0)
