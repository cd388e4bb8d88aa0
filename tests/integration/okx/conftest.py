"""Fixtures of the OKX adapter tests: the real simulator (tests/kit/sim.py) and our adapter on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trading_bot.exchange.okx.endpoints import OkxCredentials, OkxEndpoints
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.okx.retry import RetryPolicy
from trading_bot.exchange.okx.transport import OkxTransport

SIM_START = "2026-01-05T00:00:00Z"


def data_files(shared_dir: Path) -> list[str]:
    """15m bars for long history (200 × 4H before the start) and 1m bars for the fine replay."""
    return [str(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"),
            str(shared_dir / "data" / "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather")]


def endpoints_of(sim) -> OkxEndpoints:  # noqa: ANN001 - tests.kit.sim.RunningSim
    return OkxEndpoints(
        rest_url=sim.rest_url, ws_public_url=sim.ws_public_url, ws_private_url=sim.ws_private_url,
        ws_business_url=sim.ws_business_url, flag="1",
        credentials=OkxCredentials(sim.api_key, sim.secret_key, sim.passphrase), simulator=True,
    )


def adapter_for(sim, timeout: float = 5.0, attempts: int = 3) -> OkxRest:  # noqa: ANN001
    policy = RetryPolicy(attempts=attempts, initial_seconds=0.05, max_seconds=0.2)
    return OkxRest(OkxTransport(endpoints_of(sim), timeout_seconds=timeout, policy=policy))


@pytest.fixture
def sim(shared_dir: Path) -> Iterator:
    from tests.kit.sim import running_sim

    with running_sim(data=data_files(shared_dir), start=SIM_START) as running:
        yield running


@pytest.fixture
def adapter(sim) -> Iterator[OkxRest]:  # noqa: ANN001
    adapter = adapter_for(sim)
    yield adapter
    adapter.close()
