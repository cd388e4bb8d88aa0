"""The fault suite: the bot's real roles under its own supervisor (`trading-bot run`), on a
synthetic simulator at speed 1 (venue time = wall time), the Claude code path against a fake
Anthropic API that trades (tests/kit/fake_trader.py), 10-second cycles. Each scenario breaks one
thing, lets the bot recover by itself and checks the invariants of tests/kit/invariants.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kit.fake_anthropic import FakeAnthropic, FakeReply
from tests.kit.fake_trader import FakeTrader
from tests.kit.invariants import Invariants
from tests.kit.stack import Stack, running_stack
from tests.kit.supervised import Supervised, supervise
from trading_bot.storage.db import Database
from trading_bot.storage.redis_client import redis_for

PIPELINE = ("beat", "worker-market", "worker-brain", "worker-trade", "ws-public", "ws-private")
Responder = Callable[[dict[str, Any]], FakeReply]
CYCLE_SECONDS = 10
FAULT_ENV = {
    "INSTRUMENTS": "BTC-USDT-SWAP", "CYCLE_SECONDS": str(CYCLE_SECONDS), "CYCLE_OFFSET_SECONDS": "0",
    "BRAIN_MODE": "claude", "LLM_TIMEOUT_SECONDS": "5", "CELERY_VISIBILITY_TIMEOUT": "30",
}


@dataclass
class Bot:
    stack: Stack
    run: Supervised
    anthropic: FakeAnthropic
    db: Database
    invariants: Invariants


@contextmanager
def running_bot(db_url: str, redis_url: str, namespace: str, work_dir: Path, roles: tuple[str, ...] = PIPELINE,
                trader: Callable[[str], Responder] = FakeTrader, **env: str) -> Iterator[Bot]:
    """`trader(sim_url)` answers the fake Anthropic API from the first request on."""
    with FakeAnthropic() as anthropic, running_stack(
            db_url, redis_url, namespace, work_dir, ANTHROPIC_API_KEY=anthropic.api_key,
            ANTHROPIC_BASE_URL=anthropic.base_url, **{**FAULT_ENV, **env}) as stack:
        stack.start_sim()
        anthropic.responder = trader(stack.sim_url)
        run = supervise(stack, *roles)
        db = Database.from_settings(stack.settings)
        yield Bot(stack, run, anthropic, db, Invariants(stack, db, redis_for(redis_url)))


@pytest.fixture
def fault_dir(tmp_path: Path) -> Path:
    return tmp_path
