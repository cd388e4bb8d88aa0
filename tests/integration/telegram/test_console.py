"""`trading-bot telegram --console` as a user runs it: a real process fed commands on stdin, against
the seeded database, printing each reply exactly as the real bot sends it to the (fake) Bot API,
with no token needed, no request to Telegram, and no secret in its output."""

from __future__ import annotations

import getpass
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SeededDatabase
from tests.integration.telegram.conftest import ADMIN, CHAT, telegram_settings
from tests.kit.cli import ROOT, clean_env, run_cli
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.clock import ManualClock
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.recorded_time import last_recorded_time
from trading_bot.storage.repos.trades import open_trades
from trading_bot.telegram.deps import build_deps
from trading_bot.telegram.format import number

SECRET = "console-test-anthropic-key-0123456789"  # a configured key value, not a real one
# one line each, as a user would type them; every one answers with a single message
COMMANDS = ["/help", "/status", "/balance", "/profit", "/count", "/daily 3", "/weekly", "/monthly 2",
            "/daily x", "/trades 3", "/performance all", "/cost", "/positions", "/frobnicate"]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port nobody listens on, for SIM_PORT: with no simulator (nor its credentials in VAR_DIR) both
    bots read the time the database last recorded, whatever else runs on this machine."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _console(env: dict[str, str], lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trading_bot", "telegram", "--console"], input="\n".join(lines),
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_the_console_prints_what_the_bot_sends_to_telegram(fake_telegram: FakeTelegram, seeded_db: SeededDatabase,
                                                           redis_url: str, namespace: str, tmp_path: Path,
                                                           closed_port: int) -> None:
    settings = telegram_settings(fake_telegram, seeded_db.url, redis_url, namespace, tmp_path / "var",
                                 sim_port=closed_port, anthropic_api_key=SECRET)
    db = Database.from_settings(settings)
    now = last_recorded_time(db, LIVE_RUN)
    expected = []
    with RunningBot(build_deps(settings, ManualClock(now))):  # the real bot on Telegram (the fake Bot API)
        for command in COMMANDS:
            sent = fake_telegram.reply_to(command, ADMIN)
            buttons = " ".join(f"[{label}]" for label, _ in sent.buttons)
            expected.append(f"» {command}\n{sent.text}\n"
                            + (f"» buttons (they work in Telegram): {buttons}\n" if buttons else "") + "\n")
    calls = len(fake_telegram.calls)

    env = clean_env(DATABASE_URL=seeded_db.url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
                    VAR_DIR=str(tmp_path / "var"), SIM_PORT=str(closed_port), ANTHROPIC_API_KEY=SECRET,
                    TELEGRAM_BOT_TOKEN=fake_telegram.token, TELEGRAM_BASE_URL=fake_telegram.base_url,
                    TELEGRAM_CHAT_IDS=f"{CHAT},{ADMIN},-100777", TELEGRAM_ADMIN_IDS=f"{ADMIN},555")
    result = _console(env, [*COMMANDS, "", "hello", "/stopentry console drill", "/count", "/config"])
    assert result.returncode == 0, result.stderr[-3000:]
    transcript = result.stdout
    assert transcript[:len("".join(expected))] == "".join(expected)  # byte for byte what Telegram got
    assert len(fake_telegram.calls) == calls  # it never talked to the Bot API
    output = transcript + result.stderr
    assert SECRET not in output and fake_telegram.token not in output
    assert fake_telegram.token.split(":")[1] not in output

    (trade,) = open_trades(db)
    operator = f"console:{getpass.getuser()}"
    halted = f"🔴 <b>HALTED</b> · since {now:%Y-%m-%d %H:%M} UTC · {operator}: console drill"
    tail, config = transcript[len("".join(expected)):].split("» /config\n")
    assert tail == "\n".join([
        "» hello", "» no reply (the bot answers /commands only)", "",
        "» /stopentry console drill", halted,
        "No new entries from the next cycle on; open positions keep their exchange-side stop-loss and "
        "take-profit. /resume to trade again.", "",
        "» /count", "<b>Open positions</b> 1 of 3 · 2 free",
        f"• {trade.instrument} {trade.side} {number(trade.size, 2)} contracts (trade #{trade.id})",
        f"No new entries now: {halted}",
        "<i>Source: the trade journal; ws-private has not reported positions; mark = no price.</i>", "", ""])
    assert config.startswith("<b>Effective configuration</b> (secrets masked; * = runtime override)\n<pre>")
    assert "ANTHROPIC_API_KEY             ***\n" in config and "TELEGRAM_BOT_TOKEN            ***\n" in config


def test_the_console_needs_no_token_and_ends_at_end_of_input(seeded_db: SeededDatabase, redis_url: str,
                                                             namespace: str, tmp_path: Path,
                                                             closed_port: int) -> None:
    env = clean_env(DATABASE_URL=seeded_db.url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
                    VAR_DIR=str(tmp_path / "var"), SIM_PORT=str(closed_port))
    result = _console(env, ["/count"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("» /count\n<b>Open positions</b> 1 of 3 · 2 free\n")
    assert _console(env, []).stdout == ""  # nothing read, nothing printed


def test_the_command_line_help_documents_the_console() -> None:
    result = run_cli("telegram", "--help", env=clean_env(COLUMNS="100"))
    assert result.returncode == 0
    text = " ".join(result.stdout.replace("│", " ").split())  # the option's text, unwrapped from rich's box
    assert "With --console: the same commands on stdin/stdout, without Telegram." in text
    assert ("--console <bool> Talk to the bot here instead of in Telegram: read commands from stdin, one per line "
            "(/help lists them), and print each reply exactly as the Bot API would get it (Telegram HTML). No token "
            "or chat ids needed; you act as an admin, recorded as console:<login>, on the same database and Redis "
            "as the bot. End of input (Ctrl-D) ends it.") in text
