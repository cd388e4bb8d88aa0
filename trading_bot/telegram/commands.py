"""The command table (what /help and Telegram's command menu show) and the PTB handlers around
the views: admin checks, arguments, running the view off the event loop, and sending the reply.

A failing view never leaves the user without an answer: usage errors are explained; anything else
is logged with its traceback and answered with the error's type only (messages may carry
connection strings)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace

from telegram import BotCommand, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters
from trading_bot.logs import get_logger
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc
from trading_bot.telegram.ptb import BotApplication, Callback
from trading_bot.telegram.sender import keyboard, send_html
from trading_bot.telegram.views import Reply, Request, UsageError
from trading_bot.telegram.views.balance import balance_view
from trading_bot.telegram.views.costs import cost_view
from trading_bot.telegram.views.count import count_view
from trading_bot.telegram.views.performance import PERIODS, performance_view
from trading_bot.telegram.views.performance import render as render_performance
from trading_bot.telegram.views.periods import DAILY, MONTHLY, WEEKLY, Span, period_view
from trading_bot.telegram.views.playbook import playbook_view
from trading_bot.telegram.views.positions import positions_view
from trading_bot.telegram.views.profit import profit_view
from trading_bot.telegram.views.reflect import reflect_view
from trading_bot.telegram.views.research import research_view
from trading_bot.telegram.views.settings import config_view, risk_refusal
from trading_bot.telegram.views.state import halt_view, resume_view
from trading_bot.telegram.views.status import status_view
from trading_bot.telegram.views.trades import trades_view
from trading_bot.telegram.views.why import why_view

log = get_logger(__name__)
View = Callable[[BotDeps, Request], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    view: View
    admin: bool = False
    slow: str | None = None  # a "working on it" line sent first for slow commands
    refusal: Callable[[Request], str | None] = lambda request: None  # answered before the admin check
    alias_of: str | None = None  # the command this one is another name for (same view, same checks)

    def alias(self, name: str) -> Command:
        return replace(self, name=name, alias_of=self.name)

    @property
    def description(self) -> str:
        """The one line /help and Telegram's command menu show."""
        if self.alias_of is None:
            return self.summary
        return f"same as /{self.alias_of}: " + self.summary.replace(f"/{self.alias_of} ", f"/{self.name} ")


def _help_view(deps: BotDeps, request: Request) -> Reply:
    lines = ["<b>OKX Opus bot</b> — commands"]
    for command in COMMANDS:
        lock = " (admin)" if command.admin else ""
        lines.append(f"/{command.name}{lock} — {esc(command.description)}")
    return Reply("\n".join(lines))


def _period_command(span: Span) -> Command:
    name = span.title.lower()
    return Command(name, f"net PnL, trades and LLM cost per {span.each}: /{name} [n] (default {span.default}, "
                         f"max {span.most})", period_view(span))


HALT = Command("halt", "no new entries from the next cycle on, open positions keep their stops: /halt [reason]",
               halt_view, admin=True)
COMMANDS: tuple[Command, ...] = (
    Command("status", "state, equity, PnL and LLM cost today, positions, last cycle", status_view),
    Command("balance", "equity, available, margin in use, uPnL, change since the start", balance_view),
    Command("profit", "closed and open PnL net of fees and funding, LLM cost, the total", profit_view),
    Command("positions", "open positions with entry, mark, uPnL, SL/TP", positions_view),
    Command("count", "open positions against the limit", count_view),
    Command("trades", "last n closed trades: /trades [n] (max 50)", trades_view),
    _period_command(DAILY),
    _period_command(WEEKLY),
    _period_command(MONTHLY),
    Command("performance", "win rate, profit factor, Sharpe, drawdown: /performance [day|week|all]",
            performance_view),
    Command("playbook", "current playbook version and recent changes", playbook_view),
    Command("why", "reasoning, verdicts and cost of a trade or cycle: /why <id>", why_view),
    Command("cost", "LLM and research spend today, this week, per trade", cost_view),
    Command("research", "news research now: /research [question]", research_view, slow="🔎 Researching…"),
    HALT,
    HALT.alias("stopentry"),
    Command("resume", "trade again after a halt or an emergency halt: /resume [reason]", resume_view, admin=True),
    Command("reflect", "queue a deep reflection on recent trades", reflect_view, admin=True),
    Command("config", "settings; change a non-risk one: /config [key] [value]", config_view, admin=True,
            refusal=risk_refusal),
    Command("help", "this list", _help_view),
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(c.name, c.description[:256]) for c in COMMANDS]


def _request(update: Update, context: ContextTypes.DEFAULT_TYPE, deps: BotDeps) -> Request:
    user = update.effective_user
    return Request(args=list(context.args or []), actor=deps.access.actor(update),
                   is_admin=deps.access.is_admin(user.id if user else None))


async def run_view(command: Command, deps: BotDeps, request: Request) -> Reply:
    """The view's reply, or the explanation of why there is none."""
    refused = command.refusal(request)
    if refused is not None:
        return Reply(refused)
    if command.admin and not request.is_admin:
        log.warning("telegram_admin_refused", command=command.name, actor=request.actor)
        return Reply(f"⛔ /{command.name} is for admins only (TELEGRAM_ADMIN_IDS).")
    try:
        return await asyncio.to_thread(command.view, deps, request)
    except UsageError as exc:
        return Reply(esc(exc))
    except Exception as exc:  # the user gets an answer; the log gets the traceback
        log.exception("telegram_command_failed", command=command.name, actor=request.actor)
        return Reply(f"⚠️ /{command.name} failed ({type(exc).__name__}); the details are in the bot's log.")


def _handler(command: Command, deps: BotDeps) -> Callback:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None  # the gate lets only chat updates through
        request = _request(update, context, deps)
        log.info("telegram_command", command=command.name, actor=request.actor, args=len(request.args))
        if command.slow:
            await send_html(context.bot, chat.id, command.slow)
        reply = await run_view(command, deps, request)
        await send_html(context.bot, chat.id, reply.text, buttons=reply.buttons)

    return handle


def _performance_button(deps: BotDeps) -> Callback:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        period = query.data.removeprefix("perf:")
        if period not in PERIODS:
            await query.answer("Unknown button")
            return
        await query.answer()
        try:
            text = await asyncio.to_thread(render_performance, deps, period)
        except Exception as exc:  # as run_view: an answer for the user, the traceback for the log
            log.exception("telegram_button_failed", data=query.data)
            text = f"⚠️ /performance failed ({type(exc).__name__}); the details are in the bot's log."
        buttons = [(PERIODS[p][0], f"perf:{p}") for p in PERIODS if p != period]
        try:
            await query.edit_message_text(text, parse_mode="HTML", reply_markup=keyboard(buttons))
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise

    return handle


async def _unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    assert chat is not None
    await send_html(context.bot, chat.id, "Unknown command. /help lists what I understand.")


def add_handlers(application: BotApplication, deps: BotDeps, concurrent: bool = True) -> None:
    """`concurrent`: a slow command runs beside the others (/halt never waits for /research); the
    console answers one line after the other instead."""
    for command in COMMANDS:
        block = command.slow is None or not concurrent
        application.add_handler(CommandHandler(command.name, _handler(command, deps), block=block))
    application.add_handler(MessageHandler(filters.COMMAND, _unknown))  # after the known ones
    application.add_handler(CallbackQueryHandler(_performance_button(deps), pattern=r"^perf:"))
