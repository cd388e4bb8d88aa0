"""`trading-bot run` on embedded defaults: services, migrations, roles; SIGINT stops it all."""

import shutil
import signal
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from tests.kit.services import free_port
from trading_bot.storage.migrate import head_revision


def _descendants_and_servers(var_dir: Path, root_pid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if str(var_dir) in cmdline or f"--pidfile {var_dir}" in cmdline:
            found.append(proc)
    try:
        found += psutil.Process(root_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        pass
    return found


@pytest.mark.slow
def test_run_starts_everything_and_sigint_stops_it_within_10s(tmp_path: Path) -> None:
    # VAR_DIR outside pytest's temp root (pytest resets it to 0700; the postgres OS user must traverse it)
    var_parent = Path(tempfile.mkdtemp(prefix="tb-run-"))
    var_dir = var_parent / "var"
    env = clean_env(VAR_DIR=str(var_dir), EMBEDDED_PG_PORT=str(free_port()),
                    EMBEDDED_REDIS_PORT=str(free_port()), FLOWER_PORT=str(free_port()))
    run = Proc(python_module("trading_bot", "run"), env, cwd=tmp_path, name="run")
    try:
        for role in ("market@", "brain@", "trade@"):
            run.wait_for(lambda out, r=role: f"{r}" in out and "ready." in out.split(r, 1)[1], timeout=90)
        run.wait_for("beat: Starting", timeout=30)
        assert "started embedded postgres" in run.output and "started embedded redis" in run.output
        assert f"database schema at {head_revision()}" in run.output
        children = psutil.Process(run.popen.pid).children(recursive=True)
        assert len(children) >= 5
        servers = _descendants_and_servers(var_dir, run.popen.pid)
        assert any("postgres" in " ".join(p.cmdline()) for p in servers if p.is_running())
        started = time.monotonic()
        run.popen.send_signal(signal.SIGINT)
        try:
            run.popen.wait(timeout=20)
        finally:
            elapsed = time.monotonic() - started
            print(run.output[-2500:])
        assert run.popen.returncode == 0, run.output[-3000:]
        assert elapsed < 10, f"stopping took {elapsed:.1f}s"
        time.sleep(0.5)
        leftovers = [p for p in _descendants_and_servers(var_dir, run.popen.pid) if p.is_running()
                     and p.status() != psutil.STATUS_ZOMBIE]
        leftovers += [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        assert leftovers == [], [" ".join(p.cmdline()) for p in leftovers]
        assert "stopped embedded postgres" in run.output
    finally:
        run.stop()
        shutil.rmtree(var_parent, ignore_errors=True)
