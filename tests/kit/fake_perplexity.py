"""A local fake of Perplexity's Agent API (`POST /v1/agent`, alias `/v1/responses`) on a loopback
HTTP server, for the real httpx client. Replies are scripted; requests are kept for assertions."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class AgentReply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def completed(cls, text: str, sources: list[dict[str, Any]], cost: float | None = 0.0061,
                  input_tokens: int = 900, output_tokens: int = 160) -> AgentReply:
        usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                                 "total_tokens": input_tokens + output_tokens,
                                 "tool_calls_details": {"search_web": {"invocation": 1}}}
        if cost is not None:
            usage["cost"] = {"currency": "USD", "total_cost": cost}
        output = [
            {"type": "search_results", "queries": ["q"],
             "results": [{"id": i + 1, "source": "web", **s} for i, s in enumerate(sources)]},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": text, "annotations": []}]},
        ]
        return cls(body={"id": "resp_fake", "object": "response", "status": "completed",
                         "model": "perplexity/sonar", "output": output, "usage": usage, "error": None})

    @classmethod
    def failed(cls, message: str = "upstream search failed") -> AgentReply:
        return cls(body={"id": "resp_fake_failed", "object": "response", "status": "failed",
                         "model": "perplexity/sonar", "output": [],
                         "error": {"code": "internal_error", "message": message}})


class FakePerplexity:
    def __init__(self, api_key: str = "test-pplx-key") -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self._queue: deque[AgentReply] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-perplexity",
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakePerplexity:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def enqueue(self, *replies: AgentReply) -> None:
        self._queue.extend(replies)

    def reply_for(self, path: str, headers: dict[str, str]) -> AgentReply:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return AgentReply(401, {"error": {"message": "unauthorized", "type": "forbidden", "code": 401}})
        if path.rstrip("/") not in ("/v1/agent", "/v1/responses"):
            return AgentReply(404, {"error": {"message": f"no route {path}", "type": "not_found", "code": 404}})
        if not self._queue:
            return AgentReply(500, {"error": {"message": "no scripted reply", "type": "internal_error", "code": 500}})
        return self._queue.popleft()


def _handler(fake: FakePerplexity) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            fake.requests.append(body)
            reply = fake.reply_for(self.path, {k.lower(): v for k, v in self.headers.items()})
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
