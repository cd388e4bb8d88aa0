"""Run a real OKX v5 simulator server for a test.

    from tests.kit.sim import running_sim

    with running_sim(data=[f"{shared}/data/okx_BTC-USDT-SWAP_1m_20260101-20260116.feather"],
                     start="2026-01-05T00:00:00Z") as sim:
        trade = sim.okx(TradeAPI)                 # python-okx client pointed at the sim, with credentials
        trade.place_order(instId="BTC-USDT-SWAP", tdMode="cross", side="buy", ordType="market", sz="1")
        sim.advance(minutes=15)                   # move market time (the clock is paused by default)
        sim.ws_public_url, sim.ws_private_url, sim.ws_business_url   # ws://127.0.0.1:PORT/ws/v5/…
        sim.api_key, sim.secret_key, sim.passphrase

Options: `data` (files; `INST=PATH` allowed) or `seed` (synthetic market), `speed` (0 = paused, the
default; 600 = ten market minutes per second), `start` (ISO string or datetime; synthetic default
2026-01-05T00:00Z so tests are deterministic), `equity`, `credentials` (a `Credentials`; default a
fixed test set), `rate_limits` (default off), `idle_timeout_s`, `state_file`, `faults` (a dict of
Faults switches). The server runs on a free port in a background thread with its own event loop;
`sim.call(fn)` runs `fn(server)` on that loop (the only safe way to touch the venue directly), and
`sim.venue_state()` / `sim.set_faults(...)` / `sim.drop_websockets()` are shortcuts. Leaving the
`with` block stops the server (WebSocket clients get OKX's 64008 notice first).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from trading_bot.clock import parse_iso
from trading_bot.exchange.sim.auth import Credentials
from trading_bot.exchange.sim.faults import Faults
from trading_bot.exchange.sim.runtime import SimSpec, build_clock, build_venue
from trading_bot.exchange.sim.server import ServerOptions, SimServer

T = TypeVar("T")
TEST_CREDENTIALS = Credentials("sim-test-key", "sim-test-secret", "sim-test-pass")
DEFAULT_START = "2026-01-05T00:00:00Z"


@dataclass
class RunningSim:
    server: SimServer
    loop: asyncio.AbstractEventLoop
    credentials: Credentials

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.base}"

    @property
    def ws_public_url(self) -> str:
        return f"ws://{self.base}/ws/v5/public"

    @property
    def ws_private_url(self) -> str:
        return f"ws://{self.base}/ws/v5/private"

    @property
    def ws_business_url(self) -> str:
        return f"ws://{self.base}/ws/v5/business"

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def secret_key(self) -> str:
        return self.credentials.secret_key

    @property
    def passphrase(self) -> str:
        return self.credentials.passphrase

    def okx(self, api_class: type[T], flag: str = "1") -> T:
        """A python-okx API object (MarketAPI, PublicAPI, AccountAPI, TradeAPI…) aimed at this sim."""
        return api_class(self.api_key, self.secret_key, self.passphrase, flag=flag, domain=self.rest_url)  # type: ignore[call-arg]

    def call(self, fn: Callable[[SimServer], T]) -> T:
        async def run() -> T:
            return fn(self.server)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=30)

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> dict[str, Any]:
        """Move market time forward (processing every tick in between) and return the sim state."""
        total = seconds + 60 * minutes + 3600 * hours
        return self.call(lambda s: s.control("advance", {"seconds": total}))

    def venue_state(self) -> dict[str, Any]:
        return self.call(lambda s: s.control("state", {}))

    def set_faults(self, **switches: Any) -> dict[str, Any]:
        return self.call(lambda s: s.control("faults", switches))

    def drop_websockets(self) -> int:
        return self.call(lambda s: s.hub.drop_all())


@contextmanager
def running_sim(data: list[str | Path] | None = None, seed: int = 7, speed: float = 0.0,
                start: str | datetime | None = DEFAULT_START, equity: Decimal | str = Decimal("10000"),
                credentials: Credentials = TEST_CREDENTIALS, rate_limits: bool = False,
                idle_timeout_s: float = 30.0, state_file: Path | None = None,
                faults: dict[str, Any] | None = None, instruments: tuple[str, ...] | None = None) -> Iterator[RunningSim]:
    start_at = parse_iso(start) if isinstance(start, str) else start
    spec = SimSpec(data=[str(d) for d in data or []], seed=seed, speed=speed, start=start_at,
                   equity=Decimal(str(equity)), instruments=instruments)
    venue = build_venue(spec, start_at or parse_iso(DEFAULT_START))
    if state_file is not None and state_file.exists():
        from trading_bot.exchange.sim import persistence

        persistence.load(venue, state_file)
    switches = Faults()
    switches.update(faults or {})
    options = ServerOptions(port=0, rate_limits=rate_limits, idle_timeout_s=idle_timeout_s, state_file=state_file)
    server = SimServer(venue, build_clock(venue, speed), credentials, options, switches)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    thread = threading.Thread(target=_serve, args=(loop, server, started), daemon=True, name="sim-server")
    thread.start()
    if not started.wait(30):
        raise RuntimeError("the simulator did not start within 30 s")
    try:
        yield RunningSim(server, loop, credentials)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def _serve(loop: asyncio.AbstractEventLoop, server: SimServer, started: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.run_until_complete(server.start())
    started.set()
    loop.run_forever()
    loop.close()


def write_candles(path: Path, bars: list[tuple[float, float, float, float]], start: str,
                  inst_id: str = "BTC-USDT-SWAP", bar_seconds: int = 60, volume: float = 10.0) -> Path:
    """Write an OKX candle JSON file with a scripted price path (open, high, low, close per bar)
    starting at `start`, for tests that need to know exactly where the price goes."""
    import json

    first = int(parse_iso(start).timestamp() * 1000)
    rows = [[str(first + i * bar_seconds * 1000), str(o), str(h), str(lo), str(c), str(volume * 100), str(volume),
             str(volume * c), "1"] for i, (o, h, lo, c) in enumerate(bars)]
    path.write_text(json.dumps({"instId": inst_id, "data": rows[::-1]}))
    return path


def flat_bars(price: float, count: int) -> list[tuple[float, float, float, float]]:
    """`count` quiet bars around `price` (±0.2 %), ending exactly at `price`."""
    bars = []
    for i in range(count):
        wobble = price * 0.002 * ((i % 7) - 3) / 3
        o = round(price + wobble, 1)
        c = price if i == count - 1 else round(price - wobble / 2, 1)
        bars.append((o, round(max(o, c) + 5, 1), round(min(o, c) - 5, 1), c))
    return bars
