"""Who the bot answers: configured chats only (TELEGRAM_CHAT_IDS); admin commands only for
configured users (TELEGRAM_ADMIN_IDS). Strangers get no answer at all, not even a refusal, so the
bot does not reveal itself; each ignored update is logged with its chat and user id.

The gate is one `TypeHandler` in group -1 that sees every update first (messages, edited
messages, callback queries: `CallbackQueryHandler` has no filters of its own) and stops the ones
from elsewhere with `ApplicationHandlerStop`.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes
from trading_bot.config import Settings
from trading_bot.logs import get_logger
from trading_bot.telegram.ptb import Callback

log = get_logger(__name__)


@dataclass(frozen=True)
class Access:
    chat_ids: frozenset[int]
    admin_ids: frozenset[int]
    operator: str | None = None  # the console's one local user, who names every actor (`console:<login>`)

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        return cls(frozenset(settings.telegram_chat_ids), frozenset(settings.telegram_admin_ids))

    def allows(self, update: Update) -> bool:
        chat = update.effective_chat
        return chat is not None and chat.id in self.chat_ids and update.effective_user is not None

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def actor(self, update: Update) -> str:
        """How state events and audit entries name the person: `telegram:<user id>`, or the console's operator."""
        if self.operator is not None:
            return self.operator
        user = update.effective_user
        return f"telegram:{user.id if user else 'unknown'}"


def gate(access: Access) -> Callback:
    async def check(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update) and access.allows(update):
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        user = update.effective_user if isinstance(update, Update) else None
        log.warning("telegram_ignored", chat_id=chat.id if chat else None, user_id=user.id if user else None,
                    update_id=getattr(update, "update_id", None))
        raise ApplicationHandlerStop

    return check
