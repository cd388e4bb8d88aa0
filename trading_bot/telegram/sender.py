"""Sending messages: HTML, split at Telegram's limit, link previews off, flood control honoured.

`RetryAfter` is waited out here (the AIORateLimiter also paces requests and retries itself);
connection problems raise `SendFailed` so the caller keeps the work for a later retry; a refusal
(bot blocked, chat not found, bad request) raises `Undeliverable`, which retrying cannot fix. A message
Telegram cannot parse is a bug of ours: it is logged as an error and resent as plain text rather
than lost.
"""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from trading_bot.logs import get_logger
from trading_bot.telegram.format import split_message

log = get_logger(__name__)
MAX_FLOOD_WAITS = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class SendFailed(Exception):
    """Telegram could not be reached (network, timeouts, repeated flood control): retry later."""


class Undeliverable(Exception):
    """Telegram refuses this message for good (bot blocked, chat not found, bad request): retrying
    will not help."""


def keyboard(buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]])


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_html(bot: Bot, chat_id: int, text: str, notify: bool = True,
                    buttons: list[tuple[str, str]] | None = None) -> list[Message]:
    """Send `text` (split when long; the buttons go on the last part)."""
    parts = split_message(text)
    sent = []
    for index, part in enumerate(parts):
        markup = keyboard(buttons or []) if index == len(parts) - 1 else None
        sent.append(await _send_one(bot, chat_id, part, notify, markup))
    return sent


async def _send_one(bot: Bot, chat_id: int, text: str, notify: bool,
                    markup: InlineKeyboardMarkup | None) -> Message:
    parse_mode: str | None = ParseMode.HTML
    for _ in range(MAX_FLOOD_WAITS):
        try:
            return await bot.send_message(chat_id, text, parse_mode=parse_mode, disable_notification=not notify,
                                          reply_markup=markup, link_preview_options=NO_PREVIEW)
        except RetryAfter as exc:
            log.warning("telegram_flood_control", chat_id=chat_id, retry_after=_seconds(exc))
            await asyncio.sleep(_seconds(exc))
        except Forbidden as exc:
            raise Undeliverable(f"chat {chat_id}: {exc.message}") from None
        except BadRequest as exc:
            if "parse entities" in exc.message and parse_mode is not None:
                log.error("telegram_unparseable_message", chat_id=chat_id, error=exc.message, text=text[:300])
                text, parse_mode = plain(text), None
                continue
            raise Undeliverable(f"chat {chat_id}: {exc.message}") from None
        except NetworkError as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc.message}") from None
    raise SendFailed(f"chat {chat_id}: still flood-controlled after {MAX_FLOOD_WAITS} waits")
