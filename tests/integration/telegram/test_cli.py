"""`trading-bot telegram` as the Procfile runs it: a real process polling the fake Bot API,
healthy by its heartbeat, stopped cleanly by SIGTERM, refusing to start half-configured; the bot
token never appears in its output; a rejected token ends it with exit code 2."""

from __future__ import annotations

import signal

from tests.integration.telegram.conftest import ADMIN, CHAT
from tests.kit.cli import clean_env, run_cli
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.processes import Proc, python_module


def _env(fake: FakeTelegram, db_url: str, redis_url: str, namespace: str, **extra: str) -> dict[str, str]:
    values = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_NAMESPACE": namespace,
              "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
              "TELEGRAM_CHAT_IDS": f"{CHAT},{ADMIN}", "TELEGRAM_ADMIN_IDS": str(ADMIN), "LOG_FORMAT": "json"}
    return clean_env(**{**values, **extra})


def test_the_role_serves_reports_health_and_stops_on_sigterm(fake_telegram: FakeTelegram, db_url: str,
                                                             redis_url: str, namespace: str) -> None:
    env = _env(fake_telegram, db_url, redis_url, namespace)
    proc = Proc(python_module("trading_bot", "telegram"), env, name="telegram")
    try:
        proc.wait_for("telegram_started", timeout=60)
        assert fake_telegram.reply_to("/trades", CHAT, timeout=30).plain == "No closed trades yet."
        health = run_cli("health", "telegram", env=env)
        assert health.returncode == 0, health.stdout + health.stderr
        assert "OK telegram: heartbeat" in health.stdout
    finally:
        proc.signal(signal.SIGTERM)
        code = proc.popen.wait(timeout=30)
    assert code == 0, proc.output[-3000:]
    assert "telegram_stopped" in proc.output
    assert fake_telegram.token not in proc.output and fake_telegram.token.split(":")[1] not in proc.output


def test_the_role_refuses_to_start_without_chats_or_token(fake_telegram: FakeTelegram, db_url: str, redis_url: str,
                                                          namespace: str) -> None:
    calls = len(fake_telegram.calls)
    result = run_cli("telegram", env=_env(fake_telegram, db_url, redis_url, namespace, TELEGRAM_CHAT_IDS=""))
    assert result.returncode == 2
    assert "TELEGRAM_CHAT_IDS: expected at least one chat id" in result.stderr
    env = _env(fake_telegram, db_url, redis_url, namespace)
    del env["TELEGRAM_BOT_TOKEN"]
    result = run_cli("telegram", env=env)
    assert result.returncode == 2 and "TELEGRAM_BOT_TOKEN: required for the telegram role" in result.stderr
    assert len(fake_telegram.calls) == calls  # it never talked to Telegram
    health = run_cli("health", "telegram", env=env)
    assert health.returncode == 1 and "no heartbeat from telegram" in health.stdout


def test_a_rejected_token_is_a_configuration_error_in_one_line(fake_telegram: FakeTelegram, db_url: str,
                                                               redis_url: str, namespace: str) -> None:
    wrong = "999999:wrong-token_abcdefghijklmnop"
    result = run_cli("telegram", env=_env(fake_telegram, db_url, redis_url, namespace, TELEGRAM_BOT_TOKEN=wrong))
    assert result.returncode == 2  # its supervisor does not restart it
    assert result.stderr.splitlines()[-1] == "configuration error: TELEGRAM_BOT_TOKEN: rejected by the Telegram Bot API"
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert wrong not in output and wrong.split(":")[1] not in output
