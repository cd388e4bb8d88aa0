"""A local fake of the Anthropic Messages API (`POST /v1/messages`) on a loopback HTTP server, for
the REAL anthropic SDK (which runs on httpx2, invisible to respx) pointed at it with `base_url`.

Replies are scripted (`enqueue`) or produced by a `responder(body) -> FakeReply`; every request is
kept in `requests` (body and headers). Usage defaults to an offline token estimate of the request,
with prompt caching simulated the way the API does it: a system block marked `cache_control` whose
prefix reaches the model's minimum (4,096 tokens on Opus 4.6 / Haiku 4.5) is written once, then read.

Reused by the backtest to record a Claude-mode run and replay it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from trading_bot.brain.tokens import estimate_tokens

CACHE_MINIMUM_TOKENS = 4096


@dataclass
class FakeReply:
    status: int = 200
    body: dict[str, Any] | None = None
    text: str | None = None  # answer text (JSON for structured outputs)
    stop_reason: str = "end_turn"
    usage: dict[str, int] | None = None  # overrides the estimate
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def answer(cls, payload: Any, **kwargs: Any) -> FakeReply:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return cls(text=text, **kwargs)

    @classmethod
    def error(cls, status: int, kind: str, message: str, retry_after_ms: int | None = 1) -> FakeReply:
        headers = {"request-id": "req_fake_error"}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake_error"}
        return cls(status=status, body=body, headers=headers)


@dataclass
class SeenRequest:
    body: dict[str, Any]
    headers: dict[str, str]


class FakeAnthropic:
    def __init__(self, responder: Callable[[dict[str, Any]], FakeReply] | None = None,
                 api_key: str = "test-anthropic-key") -> None:
        self.responder = responder
        self.api_key = api_key
        self.requests: list[SeenRequest] = []
        self._queue: deque[FakeReply] = deque()
        self._cached: set[str] = set()
        self._lock = threading.Lock()
        self._counter = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-anthropic",
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def enqueue(self, *replies: FakeReply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> FakeReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is None:
            return FakeReply.error(500, "api_error", "fake has no scripted reply", retry_after_ms=None)
        return self.responder(body)

    def message(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            number = self._counter
        text = reply.text or ""
        return {
            "id": f"msg_fake_{number:05d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": reply.usage or self.estimate_usage(body, text),
        }

    def estimate_usage(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        system = body.get("system") or []
        blocks = [system] if isinstance(system, str) else [b.get("text", "") for b in system]
        user = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        sizes = [estimate_tokens(text) for text in blocks]
        prefix = _cached_prefix(system, sizes)
        total = 8 + sum(sizes) + estimate_tokens(user)
        write = read = 0
        if prefix >= CACHE_MINIMUM_TOKENS:
            key = json.dumps([body.get("model"), blocks[: _breakpoint(system) + 1]])
            with self._lock:
                hit = key in self._cached
                self._cached.add(key)
            read, write = (prefix, 0) if hit else (0, prefix)
        one_hour = write if write and _ttl(system) == "1h" else 0
        return {
            "input_tokens": total - write - read,
            "output_tokens": max(1, estimate_tokens(answer)),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": write - one_hour, "ephemeral_1h_input_tokens": one_hour},
        }


def _breakpoint(system: Any) -> int:
    if isinstance(system, str):
        return -1
    marked = [i for i, block in enumerate(system) if block.get("cache_control")]
    return marked[-1] if marked else -1


def _ttl(system: Any) -> str:
    return system[_breakpoint(system)]["cache_control"].get("ttl", "5m")


def _cached_prefix(system: Any, sizes: list[int]) -> int:
    last = _breakpoint(system)
    return sum(sizes[: last + 1]) if last >= 0 else 0


def _handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            return

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(SeenRequest(body, {k.lower(): v for k, v in self.headers.items()}))
            if not self._authorised():
                reply = FakeReply.error(401, "authentication_error", "invalid x-api-key", retry_after_ms=None)
            elif self.path.rstrip("/") != "/v1/messages":
                reply = FakeReply.error(404, "not_found_error", f"no route {self.path}", retry_after_ms=None)
            else:
                reply = fake.next_reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.body if reply.status != 200 or reply.body else fake.message(body, reply)
            self._send(reply.status, payload, reply.headers)

        def _authorised(self) -> bool:
            bearer = self.headers.get("authorization", "")
            return bearer == f"Bearer {fake.api_key}" or self.headers.get("x-api-key") == fake.api_key

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler
