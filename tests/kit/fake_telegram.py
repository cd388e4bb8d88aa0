"""A loopback fake of the Telegram Bot API for the real python-telegram-bot Application.

PTB POSTs every method to `<base_url><token>/<method>` with a form-encoded body (non-string values
JSON-encoded); the fake answers like Telegram: `{"ok": true, "result": ...}` or `{"ok": false,
"error_code": ..., "description": ..., "parameters": {...}}`. It implements what the bot uses:
getMe, deleteWebhook, getUpdates (long polling with offsets), sendMessage, editMessageText,
answerCallbackQuery, setMyCommands.

Like Telegram, sendMessage with `parse_mode=HTML` rejects text that is not valid Telegram HTML
(unknown or unbalanced tags, bare `<`, `>` or `&`) and text longer than 4096 characters, so a
formatting bug fails the test instead of passing silently. Tests push updates (`command`,
`callback`), read what the bot sent (`sent`, `wait_for`) and script failures (`fail_next`).
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:TEST-token_abcdefghijklmnop"
BOT_ID = 123456
MAX_TEXT = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                "tg-emoji", "code", "pre", "blockquote"}
_TOKEN_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>|"
                       r"&(?:#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class HtmlError(ValueError):
    pass


def parse_html(text: str) -> str:
    """The visible text of a Telegram HTML message; HtmlError where Telegram would answer 400."""
    stack: list[str] = []
    visible: list[str] = []
    position = 0
    for match in _TOKEN_RE.finditer(text):
        _plain(text[position:match.start()], visible)
        position = match.end()
        token = match.group(0)
        if token.startswith("&"):
            visible.append(html.unescape(token))
            continue
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            raise HtmlError(f"can't parse entities: unsupported start tag \"{tag}\" at byte offset {match.start()}")
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            raise HtmlError(f"can't parse entities: can't find end tag corresponding to start tag \"{tag}\"")
    _plain(text[position:], visible)
    if stack:
        raise HtmlError(f"can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(visible)


def _plain(chunk: str, visible: list[str]) -> None:
    for bad in "<>&":
        if bad in chunk:
            raise HtmlError(f"can't parse entities: unexpected {bad!r} in {chunk[:40]!r}")
    visible.append(chunk)


@dataclass(frozen=True)
class Sent:
    """One message the bot sent (or edited)."""

    method: str
    chat_id: int
    text: str  # as sent (HTML when parse_mode is HTML)
    plain: str  # what the user sees
    parse_mode: str | None
    disable_notification: bool
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float  # time.monotonic() when the fake received it

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    bot_username: str = "opus_test_bot"
    forbidden_chats: set[int] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # every method call, in order
    commands: list[dict[str, str]] = field(default_factory=list)  # from setMyCommands
    callback_answers: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1000
        self._next_message = 1
        self._failures: dict[str, list[Failure]] = {}
        self._closing = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-telegram",
                                        daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what tests push ---------------------------------------------------------------------
    def command(self, text: str, chat_id: int, user_id: int | None = None) -> int:
        """A message from `user_id` (default: the chat's id, a private chat) in `chat_id`."""
        user = user_id if user_id is not None else chat_id
        first = text.split(maxsplit=1)[0] if text.strip() else ""
        message: dict[str, Any] = {"message_id": self._message_id(), "date": int(time.time()), "text": text,
                                   "chat": _chat(chat_id, user), "from": _user(user)}
        if first.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(first.encode("utf-16-le")) // 2}]
        return self._push({"message": message})

    def callback(self, data: str, chat_id: int, user_id: int | None = None, message_id: int = 1) -> int:
        user = user_id if user_id is not None else chat_id
        message = {"message_id": message_id, "date": int(time.time()), "chat": _chat(chat_id, user),
                   "from": _user(BOT_ID, bot=True), "text": "…"}
        query = {"id": f"cb{self._next_update}", "from": _user(user), "chat_instance": str(chat_id),
                 "message": message, "data": data}
        return self._push({"callback_query": query})

    def fail_next(self, method: str, status: int = 500, description: str = "Internal Server Error",
                  retry_after: int | None = None, times: int = 1) -> None:
        with self._cond:
            self._failures.setdefault(method, []).extend([Failure(status, description, retry_after)] * times)

    # --- what tests read ---------------------------------------------------------------------
    def messages(self, chat_id: int | None = None, since: int = 0) -> list[Sent]:
        with self._cond:
            found = self.sent[since:]
        return [s for s in found if chat_id is None or s.chat_id == chat_id]

    def wait_for(self, predicate: Callable[[Sent], bool], timeout: float = 15.0, since: int = 0) -> Sent:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.sent[since:]:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = "\n---\n".join(f"[{s.chat_id}] {s.plain}" for s in self.sent[since:])
                    raise AssertionError(f"no matching message within {timeout}s; sent:\n{shown}")
                self._cond.wait(left)

    def reply_to(self, text: str, chat_id: int, user_id: int | None = None, timeout: float = 15.0,
                 expect: str | None = None) -> Sent:
        """Push a command and wait for the next message the bot sends to that chat (containing
        `expect`, when alerts may arrive in between)."""
        mark = len(self.sent)
        self.command(text, chat_id, user_id)
        return self.wait_for(lambda s: s.chat_id == chat_id and (expect is None or expect in s.plain),
                             timeout=timeout, since=mark)

    def wait_consumed(self, timeout: float = 15.0) -> None:
        """Until the bot has fetched every pushed update (its next getUpdates offset passed them)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self._updates)} updates never confirmed by the bot")
                self._cond.wait(left)

    # --- the API -----------------------------------------------------------------------------
    def handle(self, token: str, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 401, _error(401, "Unauthorized")
        with self._cond:
            self.calls.append((method, params))
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            extra = {"parameters": {"retry_after": failure.retry_after}} if failure.retry_after else {}
            return failure.status, {**_error(failure.status, failure.description), **extra}
        action = getattr(self, f"_api_{method}", None)
        if action is None:
            return 404, _error(404, "Not Found: method not found")
        return action(params)

    def _api_getMe(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return _ok({**_user(BOT_ID, bot=True), "username": self.bot_username, "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False})

    def _api_deleteWebhook(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return _ok(True)

    def _api_setMyCommands(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        self.commands = json.loads(params.get("commands", "[]"))
        return _ok(True)

    def _api_answerCallbackQuery(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        self.callback_answers.append(params)
        return _ok(True)

    def _api_getUpdates(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._cond.notify_all()
            while not self._updates and not self._closing and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return _ok(self._updates[:limit])

    def _api_sendMessage(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        chat_id = int(params["chat_id"])
        if chat_id in self.forbidden_chats:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        return self._store("sendMessage", chat_id, params, self._message_id())

    def _api_editMessageText(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return self._store("editMessageText", int(params["chat_id"]), params, int(params["message_id"]))

    def _store(self, method: str, chat_id: int, params: dict[str, str], message_id: int) -> tuple[int, dict[str, Any]]:
        text = params.get("text", "")
        parse_mode = params.get("parse_mode")
        try:
            plain = parse_html(text) if parse_mode == "HTML" else text
        except HtmlError as exc:
            return 400, _error(400, f"Bad Request: {exc}")
        if not plain.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(plain) > MAX_TEXT:
            return 400, _error(400, "Bad Request: message is too long")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        sent = Sent(method, chat_id, text, plain, parse_mode, params.get("disable_notification") == "true",
                    markup, message_id, time.monotonic())
        with self._cond:
            self.sent.append(sent)
            self._cond.notify_all()
        return _ok({"message_id": message_id, "date": int(time.time()), "chat": _chat(chat_id, chat_id),
                    "from": _user(BOT_ID, bot=True), "text": plain})

    # --- helpers -----------------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def _message_id(self) -> int:
        with self._cond:
            self._next_message += 1
            return self._next_message


def _chat(chat_id: int, user_id: int) -> dict[str, Any]:
    if chat_id == user_id:
        return {"id": chat_id, "type": "private", "first_name": f"user{user_id}"}
    return {"id": chat_id, "type": "group", "title": f"group{chat_id}"}


def _user(user_id: int, bot: bool = False) -> dict[str, Any]:
    return {"id": user_id, "is_bot": bot, "first_name": "Opus" if bot else f"user{user_id}"}


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _handler(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stall

        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            match = re.match(r"^/bot([^/]+)/(\w+)$", self.path)
            if match is None:
                status, body = 404, _error(404, "Not Found")
            else:
                kind = self.headers.get("content-type", "")
                params = dict(parse_qsl(raw, keep_blank_values=True)) if "urlencoded" in kind else {}
                status, body = fake.handle(match.group(1), match.group(2), params)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the bot stopped while a long poll was open

    return Handler
