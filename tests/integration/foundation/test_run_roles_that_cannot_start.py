"""`trading-bot run` with a role that cannot work: the reason is one line, said once; the role is
not restarted; the other roles run on; the end of the run says which roles were not running and why.
Real processes on the machine's PostgreSQL and Redis, `--only` a few roles to keep them cheap."""

import re
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from tests.kit.services import free_port

QUIET_SECONDS = 10  # the old supervisor restarted such a role after 1, 2, 4, 8 s


@pytest.fixture
def env(db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
                     VAR_DIR=str(tmp_path / "var"), FLOWER_PORT=str(free_port()), SIM_PORT=str(free_port()))


def _run(env: dict[str, str], *roles: str) -> Proc:
    return Proc(python_module("trading_bot", "run", *[arg for name in roles for arg in ("--only", name)]), env,
                name="run")


def _beat_runs_on_while(run: Proc, role: str) -> None:
    """Beat starts and keeps running for QUIET_SECONDS while `role` is down."""
    run.wait_for("beat: Starting", timeout=60)
    pid = int(re.search(r"started beat \(pid (\d+)\)", run.output).group(1))  # type: ignore[union-attr]
    time.sleep(QUIET_SECONDS)
    beat = psutil.Process(pid)
    assert beat.is_running() and beat.status() != psutil.STATUS_ZOMBIE, run.output[-3000:]
    assert "beat exited" not in run.output and f"started {role}" not in run.output, run.output[-3000:]


def _stop(run: Proc) -> list[str]:
    run.popen.send_signal(signal.SIGINT)
    assert run.popen.wait(timeout=30) == 0, run.output[-3000:]
    time.sleep(0.2)  # the last lines through the pipe
    return run.output.splitlines()


@pytest.mark.slow
def test_telegram_without_chats_is_reported_once_and_the_bot_runs_on(env: dict[str, str]) -> None:
    run = _run({**env, "TELEGRAM_BOT_TOKEN": "123456:not-a-real-token"}, "beat", "telegram")
    try:
        _beat_runs_on_while(run, "telegram")
        reason = "TELEGRAM_CHAT_IDS: expected at least one chat id (the bot answers no one else)"
        assert run.output.count("TELEGRAM_CHAT_IDS") == 1, run.output
        assert f"telegram: {reason}; not starting it" in run.output
        lines = _stop(run)
        assert lines[-1] == f"run      | not running: telegram — {reason}"
    finally:
        run.stop()


@pytest.mark.slow
def test_flower_on_a_taken_port_is_one_line_without_a_traceback(env: dict[str, str], held_port: int) -> None:
    run = _run({**env, "FLOWER_PORT": str(held_port)}, "beat", "flower")
    try:
        _beat_runs_on_while(run, "flower")
        reason = f"port {held_port} on 127.0.0.1 is taken (FLOWER_PORT)"
        assert [line for line in run.output.splitlines() if str(held_port) in line and "Flower on" not in line] == [
            f"run    | flower: {reason}; not starting it"], run.output
        assert "Traceback" not in run.output
        lines = _stop(run)
        assert lines[-1] == f"run    | not running: flower — {reason}"
    finally:
        run.stop()


def test_the_simulator_on_a_taken_port_ends_a_run_of_it_alone_with_exit_code_2(env: dict[str, str],
                                                                                held_port: int) -> None:
    run = _run({**env, "SIM_PORT": str(held_port)}, "sim")
    try:
        assert run.popen.wait(timeout=60) == 2, run.output[-3000:]
        time.sleep(0.2)
        reason = f"port {held_port} on 127.0.0.1 is taken (SIM_PORT)"
        assert f"run | sim: {reason}; not starting it" in run.output.splitlines()
        assert "run | no role left to run" in run.output.splitlines()
        assert run.output.splitlines()[-1] == f"run | not running: sim — {reason}"
        assert "started sim" not in run.output and "Traceback" not in run.output
    finally:
        run.stop()


def test_a_configuration_error_only_the_role_sees_is_final(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-candles.csv.gz"
    run = _run({**env, "SIM_DATA": str(missing)}, "sim")  # the simulator itself finds the file missing
    try:
        assert run.popen.wait(timeout=60) == 2, run.output[-3000:]
        time.sleep(0.2)
        lines = run.output.splitlines()
        assert lines.count(f"sim | error: {missing}: no such file") == 1, run.output
        assert "run | sim exited with code 2 (a configuration error); not restarting" in lines
        assert run.output.count("started sim") == 1
        assert lines[-1] == f"run | not running: sim — exited with code 2: error: {missing}: no such file"
    finally:
        run.stop()
