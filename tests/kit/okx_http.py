"""A scripted OKX-like HTTP server on a free port: each path answers from a queue of canned
responses (recorded OKX bodies, HTML error pages, delays) and every request is recorded, so the
real python-okx client and our adapter can be driven over real HTTP through exact scenarios."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.kit.services import free_port


@dataclass(frozen=True)
class Reply:
    body: Any  # dict/list → JSON; str → sent verbatim
    status: int = 200
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # raw path + query, as signed
    headers: dict[str, str]
    body: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.target).query).items()}

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Seen], Reply]


class ScriptedOkx:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._queues: dict[str, deque[Reply | Handler]] = defaultdict(deque)
        self._defaults: dict[str, Reply | Handler] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply | Handler) -> None:
        """Answer the next requests to `path` with `replies` in order, then the default."""
        with self._lock:
            self._queues[path].extend(replies)

    def always(self, path: str, reply: Reply | Handler) -> None:
        with self._lock:
            self._defaults[path] = reply

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            queue = self._queues.get(seen.path)
            step = queue.popleft() if queue else self._defaults.get(seen.path)
        if step is None:
            return Reply({"code": 404, "msg": "Not Found", "data": {}}, status=404)
        return step(seen) if callable(step) else step


def _handler_for(okx: ScriptedOkx) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            reply = okx.answer(Seen(self.command, self.path, dict(self.headers.items()), body))
            if reply.delay:
                time.sleep(reply.delay)
            raw = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = raw.encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json" if not isinstance(reply.body, str) else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        do_GET = do_POST = _serve

        def log_message(self, *_: Any) -> None:
            return

    return _Handler


@contextmanager
def scripted_okx() -> Iterator[ScriptedOkx]:
    okx = ScriptedOkx()
    server = ThreadingHTTPServer(("127.0.0.1", okx.port), _handler_for(okx))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield okx
    finally:
        server.shutdown()
        server.server_close()
