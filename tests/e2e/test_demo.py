"""`make demo` (`trading-bot demo`) as a new user runs it: the real roles in fast-forward on the real
15m history, narrated cycle by cycle, ending by itself once a trade opened and closed, was reviewed
and a deep reflection wrote playbook v2, with the report's path. DEMO_SECONDS bounds it (the
user's default is 300 s; it needs about 70 s here). Its own settings only: keys in the shell and a
`.env` in the working directory must not reach it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.kit.cli import ROOT, clean_env
from tests.kit.services import free_port
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, PlaybookVersion, ReflectionLog, Trade

pytestmark = [pytest.mark.shared, pytest.mark.slow, pytest.mark.timeout(400)]
STORY = re.compile(r"^2025-10-2\d \d\d:\d\d +[\d,]+\.\d +(screened_out|hold|shadow_hold|filled|skipped_\w+) ", re.M)


def test_make_demo_runs_the_whole_loop_and_ends_with_the_report(db_url: str, redis_url: str, namespace: str,
                                                                 tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OKX_API_KEY=real-key\nOKX_API_SECRET=real-secret\nOKX_PASSPHRASE=p\n"
                                   "BRAIN_MODE=claude\nANTHROPIC_API_KEY=sk-ant-real\n")
    env = clean_env(DEMO_SECONDS=os.environ.get("DEMO_SECONDS", "200"), OKX_API_KEY="shell-key",
                    TELEGRAM_BOT_TOKEN="123:shell", PYTHONPATH=str(ROOT))
    env.pop("TRADING_BOT_ENV_FILE")  # as a user's shell: the .env of the working directory would be read
    var_dir = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "trading_bot", "demo", "--var-dir", str(var_dir), "--database-url", db_url,
         "--redis-url", redis_url, "--redis-namespace", namespace, "--sim-port", str(free_port())],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=380)
    out = done.stdout
    assert done.returncode == 0, f"{out[-4000:]}\n{done.stderr[-4000:]}"
    assert out.startswith("demo: real BTC-USDT-SWAP 15m candles from 2025-10-20"), out[:500]
    assert "trading on the local simulator" in out
    assert len(STORY.findall(out)) >= 10, out[-3000:]
    assert re.search(r"  filled +OPEN_(LONG|SHORT) [\d.]+ contracts at \d+", out), out[-3000:]
    assert re.search(r"trade #\d+ (long|short) closed \(\w+\): net [+-][\d,.]+ USDT", out)
    assert re.search(r"review of trade #\d+: ", out) and re.search(r"playbook v2 \(reflection\): ", out)
    assert re.search(r"^demo: the whole loop ran: \d+ cycles, [1-9]\d* trades opened, [1-9]\d* closed, "
                     r"[1-9]\d* reviews, [2-9] playbook versions in \d+ s$", out, re.M), out[-1500:]
    report = var_dir / "report" / "report.html"
    assert out.rstrip().endswith(f"report: {report}") and report.stat().st_size > 10_000
    assert "Traceback" not in out + done.stderr
    for secret in ("real-key", "real-secret", "sk-ant-real", "shell-key", "123:shell"):
        assert secret not in out + done.stderr + (var_dir / "roles.log").read_text()

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with Database(engine).session() as session:
        assert session.scalar(select(func.count()).select_from(Trade).where(Trade.status == "closed")) >= 1
        assert session.scalar(select(func.count()).select_from(ReflectionLog)
                              .where(ReflectionLog.kind == "post_trade")) >= 1
        assert session.scalar(select(func.max(PlaybookVersion.version))) >= 2
        unfinished = session.scalar(select(func.count()).select_from(DecisionCycle)
                                    .where(DecisionCycle.finished_at.is_(None)))
    engine.dispose()
    assert unfinished <= 1, "every cycle but one stopped by the end has an outcome"
