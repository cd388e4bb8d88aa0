"""`trading-bot run` end to end with real processes: the simulator replaying real BTC-USDT-SWAP
candles (15m history, 1m replay, real funding) in fast-forward, beat and the three workers, ws-public
and ws-private, the offline rules brain, this machine's PostgreSQL and Redis.

It trades until an entry is open with its stop-loss and take-profit on the venue, lets the bot run
on (protective orders may close it), then an emergency halt from the command line flattens
everything. The journal must then hold every cent the venue's account moved, every closed trade
must be reviewed, a deep reflection must have written a new playbook, and no cycle may have placed
two orders."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from okx.Account import AccountAPI
from okx.Trade import TradeAPI
from sqlalchemy import func, select

from tests.kit.cli import clean_env, run_cli
from tests.kit.processes import Proc, python_module
from tests.kit.services import free_port
from trading_bot.exchange.okx.endpoints import load_sim_credentials
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, Order, PlaybookVersion, ReflectionLog, Trade

pytestmark = [pytest.mark.shared, pytest.mark.slow, pytest.mark.timeout(600)]
INST = "BTC-USDT-SWAP"
ROLES = ("sim", "beat", "worker-market", "worker-brain", "worker-trade", "ws-public", "ws-private")
FULL_TIMELINE = {"COLLECTING", "SCREENING", "RESEARCHING", "ANALYZING", "RISK_CHECK", "EXECUTING", "CONFIRMING",
                 "JOURNALING"}


def _until(what: str, check: Callable[[], Any], timeout: float, run: Proc) -> Any:
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            print(f"{what}: {time.monotonic() - started:.1f} s")
            return found
        if run.popen.poll() is not None:
            raise AssertionError(f"trading-bot run exited ({run.popen.returncode}) before {what}:\n{run.output[-5000:]}")
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; last output:\n{run.output[-5000:]}")


@pytest.fixture
def env(shared_dir: Path, db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> dict[str, str]:
    data = shared_dir / "data"
    files = [data / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather",
             data / "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather",
             data / "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather"]
    return clean_env(
        DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, VAR_DIR=str(tmp_path / "var"),
        SIM_PORT=str(free_port()), SIM_DATA=",".join(map(str, files)), SIM_START="2026-01-05T00:00:00Z",
        SIM_SPEED="300", SIM_EQUITY="10000", INSTRUMENTS=INST, CYCLE_SECONDS="300", BRAIN_MODE="rules",
        DEEP_REFLECTION_EVERY_TRADES="1", FLOWER_PORT=str(free_port()), LOG_LEVEL="INFO",
        CELERY_VISIBILITY_TIMEOUT="60")


@pytest.fixture
def run(env: dict[str, str], tmp_path: Path) -> Iterator[Proc]:
    args = [arg for role in ROLES for arg in ("--only", role)]
    proc = Proc(python_module("trading_bot", "run", *args), env, name="run")
    try:
        yield proc
    finally:
        proc.stop(timeout=30)


def _data(call: Callable[..., dict[str, Any]], **params: str) -> list[dict[str, Any]]:
    """One python-okx call; the bot's own roles share the simulator's rate limits with this test,
    so a 50011 (too many requests) is waited out as any OKX client must."""
    for _ in range(10):
        reply = call(**params)
        if reply.get("code") != "50011":
            break
        time.sleep(0.5)
    assert reply.get("code") == "0", reply
    return reply["data"]


def _okx(env: dict[str, str]) -> tuple[AccountAPI, TradeAPI]:
    creds = load_sim_credentials(Path(env["VAR_DIR"]) / "sim" / "credentials.json")
    args = (creds.api_key, creds.secret_key, creds.passphrase, False)
    domain = f"http://127.0.0.1:{env['SIM_PORT']}"
    return AccountAPI(*args, flag="1", domain=domain), TradeAPI(*args, flag="1", domain=domain)


def test_run_trades_on_the_simulator_journals_every_cent_and_learns(run: Proc, env: dict[str, str],
                                                                    database: Database) -> None:
    def scalar(query: Any) -> Any:
        with database.session() as session:
            return session.scalar(query)

    open_trade = _until("an entry to fill", lambda: scalar(select(Trade).where(Trade.status == "open")),
                        timeout=300, run=run)
    account, trade_api = _okx(env)
    position = _data(account.get_positions, instType="SWAP", instId=INST)
    algos = _data(trade_api.order_algos_list, ordType="oco", instId=INST) + \
        _data(trade_api.order_algos_list, ordType="conditional", instId=INST)
    if position:  # it may already have closed at its stop or target: then the journal shows it
        assert any(a["slTriggerPx"] for a in algos) and any(a["tpTriggerPx"] for a in algos), algos
    assert open_trade.stop_loss is not None and open_trade.take_profit is not None

    time.sleep(10)  # the bot runs on: more cycles, maybe a protective close
    halted = run_cli("halt", "--emergency", "--reason", "end of the e2e test", env=env, timeout=60)
    assert halted.returncode == 0, halted.stdout + halted.stderr
    assert "EMERGENCY_HALTED" in halted.stdout

    _until("every trade journaled as closed", lambda: scalar(select(func.count()).select_from(Trade)) and not scalar(
        select(func.count()).select_from(Trade).where(Trade.status != "closed")), timeout=120, run=run)
    closed = scalar(select(func.count()).select_from(Trade))
    _until("a post-trade review of every closed trade", lambda: scalar(select(func.count()).select_from(
        ReflectionLog).where(ReflectionLog.kind == "post_trade")) >= closed, timeout=120, run=run)
    _until("a deep reflection's playbook", lambda: (scalar(select(func.max(PlaybookVersion.version))) or 0) >= 2,
           timeout=120, run=run)
    time.sleep(5)  # cycles go on while halted: none may enter
    with database.session() as session:
        trades = session.scalars(select(Trade)).all()
        cycles = session.scalars(select(DecisionCycle)).all()
        entries = Counter(session.scalars(select(Order.cycle_id).where(Order.purpose == "entry")))

    # the journal's PnL (price PnL, fees, funding) is exactly the venue's account change
    equity = Decimal(_data(account.get_account_balance)[0]["totalEq"])
    assert _data(account.get_positions, instType="SWAP") == []
    assert equity - Decimal("10000") == sum((t.net_pnl for t in trades), Decimal(0))

    assert max(entries.values()) == 1, "no cycle placed two orders"
    filled = [c for c in cycles if c.outcome == "filled"]
    assert filled and {e["stage"] for e in filled[0].timeline} >= FULL_TIMELINE
    finished = [c for c in cycles if c.finished_at is not None and c.outcome != "missed"]
    assert len(finished) >= 10 and all(c.timeline[0]["stage"] == "COLLECTING" for c in finished)
    missed = [c for c in cycles if c.outcome == "missed"]  # slots no cycle started for (one every second here)
    assert all(c.error and not c.timeline for c in missed), [(c.id, c.error) for c in missed]
    halted_cycles = [c for c in finished if c.outcome and "emergency" in c.outcome]
    assert halted_cycles, Counter(c.outcome for c in finished)
    assert not [c for c in finished if c.started_at > halted_cycles[0].started_at and c.outcome == "filled"]

    # the command line reads the same state and runs the same stages
    manual = run_cli("cycle", INST, env=env, timeout=90)
    for _ in range(5):  # the beat's cycle may hold the instrument's lock for a moment
        if "is running" not in manual.stderr:
            break
        time.sleep(1)
        manual = run_cli("cycle", INST, env=env, timeout=90)
    assert manual.returncode == 0, manual.stdout + manual.stderr
    assert "COLLECTING" in manual.stdout and "outcome: skipped_emergency_halted" in manual.stdout
    status = run_cli("status", "--cycles", "3", env=env, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "EMERGENCY_HALTED" in status.stdout and "positions  0 open" in status.stdout
    assert f"equity     {equity:,.2f} USDT" in status.stdout

    run.popen.send_signal(signal.SIGINT)
    assert run.popen.wait(timeout=30) == 0, run.output[-3000:]
