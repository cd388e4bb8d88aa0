"""The bot's clock, one for every actor (pipeline, CLI, Telegram): wall time on OKX; on the
simulator, the venue's market time (`/public/time`, extrapolated at SIM_SPEED between samples).

Every state transition, cooldown end and daily boundary is stamped and judged with it: a halt typed
at wall time while the simulator replays last January would otherwise sort after every later
market-time event and end cooldowns months early."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from datetime import datetime

from trading_bot.clock import Clock, SystemClock, VenueClock, to_ms
from trading_bot.config import Settings
from trading_bot.exchange.factory import shared_okx
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.endpoints import sim_host
from trading_bot.exchange.okx.envelope import first, unwrap
from trading_bot.logs import get_logger

log = get_logger(__name__)
TIME_PATH = "/api/v5/public/time"


def bot_clock(settings: Settings) -> Clock:
    if not settings.uses_simulator:
        return SystemClock()
    exchange = shared_okx(settings)
    return _venue_clock(settings, lambda: to_ms(exchange.server_time()))


def _venue_clock(settings: Settings, fetch_ms: Callable[[], int]) -> Clock:
    return VenueClock(fetch_ms, speed=settings.market_speed, refresh_seconds=1.0)


def simulator_time_ms(settings: Settings, timeout: float = 2.0) -> int:
    """The simulator's market time from its public `/public/time`, over plain HTTP with the standard
    library: a one-shot command needs neither keys nor the OKX adapter (httpx and python-okx cost it
    ~0.3 s), nor urllib.request's TLS context (35 ms) for a loopback URL. The answer is checked and
    parsed by the adapter's own envelope and parser."""
    host = sim_host(settings)
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("GET", TIME_PATH)
        payload = json.loads(connection.getresponse().read())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise OSError(f"no simulator answers at http://{host}{TIME_PATH} ({exc})") from None
    finally:
        connection.close()
    return to_ms(parse.server_time(first(unwrap(payload, TIME_PATH), TIME_PATH)))


class FallbackClock:
    """The bot's clock when the venue answers; otherwise the last market time the database saw
    (nothing trades while the simulator is down, so it is read once per retry). Retries the venue
    every `retry_seconds`."""

    def __init__(self, settings: Settings, last_known: Callable[[], datetime], retry_seconds: float = 5.0) -> None:
        self._settings, self._last_known, self._retry = settings, last_known, retry_seconds
        self._clock: Clock | None = None
        self._next_try = float("-inf")
        self._recorded: datetime | None = None

    def now(self) -> datetime:
        if time.monotonic() >= self._next_try:
            try:
                self._clock = self._clock or _venue_clock(self._settings, lambda: simulator_time_ms(self._settings))
                return self._clock.now()
            except Exception as exc:  # noqa: BLE001 - any failure to reach the venue: use the recorded time
                log.warning("the simulator's clock is unreachable; using the last recorded market time", error=str(exc))
                self._next_try = time.monotonic() + self._retry
                self._recorded = None
        if self._recorded is None:
            self._recorded = self._last_known()
        return self._recorded


def command_clock(settings: Settings, last_known: Callable[[], datetime]) -> Clock:
    return SystemClock() if not settings.uses_simulator else FallbackClock(settings, last_known)
