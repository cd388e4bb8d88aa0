"""`trading-bot telegram --console`: the Telegram bot without Telegram. Each line read is handed to
the same python-telegram-bot Application the role runs (access gate, command table, handlers,
splitting at Telegram's limit), as a private message from the local operator; the Bot API is
answered in-process, and the text of every `sendMessage` is printed exactly as Telegram would get
it (HTML). No token, no network; end of input ends it.

The operator acts as an admin (like the CLI, which can halt and resume too) and is recorded as
`console:<login>`. Lines the console adds itself start with `» ` (the command read when the input
is not a terminal, inline buttons, "no reply"); everything else is a message as sent."""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from telegram import Update
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData
from trading_bot.config import Settings
from trading_bot.telegram.access import Access
from trading_bot.telegram.deps import BotDeps, build_deps
from trading_bot.telegram.ptb import BotApplication

OPERATOR_ID = 1  # the console's one user; their private chat has the same id, as in Telegram
BOT = {"id": 2, "is_bot": True, "first_name": "OKX Opus bot", "username": "okx_opus_console_bot"}
TOKEN = "2:console"  # PTB needs one; no request ever leaves the process
MARK = "» "  # starts every line that is the console's own, not a message


def operator_name() -> str:
    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container's uid without a passwd entry)
        return "console:local"


def console_access(operator: str) -> Access:
    return Access(frozenset({OPERATOR_ID}), frozenset({OPERATOR_ID}), operator=operator)


class Transcript:
    """What the console prints: the messages as sent, and its own `» ` lines."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.messages = 0

    def note(self, text: str) -> None:
        self._write(f"{MARK}{text}\n")

    def no_reply(self) -> None:
        self._write(f"{MARK}no reply (the bot answers /commands only)\n\n")

    def message(self, text: str, buttons: list[str]) -> None:
        self.messages += 1
        extra = f"{MARK}buttons (they work in Telegram): {' '.join(f'[{b}]' for b in buttons)}\n" if buttons else ""
        self._write(f"{text}\n{extra}\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


class ConsoleBotApi(BaseRequest):
    """The Bot API methods the command handlers call, answered in-process."""

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self._message_id = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        if name == "getMe":
            return _ok(BOT)
        if name == "sendMessage":
            text = str(params["text"])
            self._transcript.message(text, _buttons(params.get("reply_markup")))
            self._message_id += 1
            return _ok({"message_id": self._message_id, "date": int(time.time()), "chat": _chat(),
                        "from": BOT, "text": text})
        return 400, json.dumps({"ok": False, "error_code": 400,
                                "description": f"Bad Request: the console does not offer {name}"}).encode()


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def _chat() -> dict[str, Any]:
    return {"id": OPERATOR_ID, "type": "private", "first_name": "console"}


def _buttons(markup: object) -> list[str]:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [str(button["text"]) for row in rows for button in row]


def message_update(update_id: int, text: str) -> dict[str, Any]:
    """A private text message from the operator, with the `bot_command` entity Telegram would add
    (its length in UTF-16 code units, as Telegram counts)."""
    message: dict[str, Any] = {"message_id": update_id, "date": int(time.time()), "chat": _chat(),
                               "from": {"id": OPERATOR_ID, "is_bot": False, "first_name": "console"}, "text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]
    return {"update_id": update_id, "message": message}


def build_console_application(deps: BotDeps, transcript: Transcript) -> BotApplication:
    from trading_bot.telegram.app import with_handlers

    api = ConsoleBotApi(transcript)
    builder = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).updater(None)
    return with_handlers(builder.build(), deps, concurrent=False)  # one line after the other


def prompted(stream: TextIO, prompt: TextIO | None) -> Iterator[str]:
    """The lines of `stream`; with `prompt` (a terminal), a `› ` before each."""
    while True:
        if prompt is not None:
            prompt.write("› ")
            prompt.flush()
        line = stream.readline()
        if not line:
            return
        yield line


async def converse(deps: BotDeps, lines: Iterable[str], out: TextIO, echo: bool) -> int:
    """Answer each non-empty line; returns how many were read."""
    transcript = Transcript(out)
    application = build_console_application(deps, transcript)
    await application.initialize()
    read = 0
    try:
        for line in lines:
            text = line.strip()
            if not text:
                continue
            read += 1
            if echo:
                transcript.note(text)
            before = transcript.messages
            await application.process_update(Update.de_json(message_update(read, text), application.bot))
            if transcript.messages == before:
                transcript.no_reply()
    finally:
        await application.shutdown()
    return read


async def run_console(settings: Settings, stream: TextIO, out: TextIO, prompt: TextIO | None) -> int:
    """The console on the bot's own services and clock (as `serve` builds them, without a token)."""
    from trading_bot.telegram.app import telegram_clock

    deps = build_deps(settings, telegram_clock(settings), access=console_access(operator_name()))
    return await converse(deps, prompted(stream, prompt), out, echo=prompt is None)
