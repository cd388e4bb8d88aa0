"""No secret value reaches a log line, an exception rendering or `trading-bot config`."""

import io
import json

from tests.kit.cli import clean_env, run_cli
from trading_bot.config import load_settings
from trading_bot.logs import configure_from_settings, get_logger

OKX_SECRET = "9B2F6C1E4A7D3F0E8C5B2A9D6E3F1C7A"
ANTHROPIC_KEY = "sk-ant-api03-" + "Zq7xW2" * 12 + "-AbCdEf"
PASSPHRASE = "Corr3ct-Horse-Battery"
DB_PASSWORD = "s3cr3t-db-pw"


def _secret_env() -> dict[str, str]:
    return {
        "OKX_API_KEY": "a1b2c3d4-e5f6-7788-99aa-bbccddeeff00",
        "OKX_API_SECRET": OKX_SECRET,
        "OKX_PASSPHRASE": PASSPHRASE,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "DATABASE_URL": f"postgresql://bot:{DB_PASSWORD}@db.example:5432/bot",
    }


def _assert_clean(text: str) -> None:
    for secret in (OKX_SECRET, ANTHROPIC_KEY, PASSPHRASE, DB_PASSWORD, "a1b2c3d4-e5f6-7788-99aa-bbccddeeff00"):
        assert secret not in text


def test_log_calls_and_exceptions_are_redacted(monkeypatch) -> None:  # noqa: ANN001
    for name, value in _secret_env().items():
        monkeypatch.setenv(name, value)
    for fmt in ("json", "console"):
        out = io.StringIO()
        settings = load_settings(log_format=fmt)
        configure_from_settings(settings, stream=out)
        log = get_logger("test")
        log.info("signing request", api_key=ANTHROPIC_KEY, detail=f"secret={OKX_SECRET}")
        log.warning("nested", payload={"headers": {"OK-ACCESS-PASSPHRASE": PASSPHRASE}, "body": [OKX_SECRET]})
        try:
            raise RuntimeError(f"auth failed with key {ANTHROPIC_KEY} and {DB_PASSWORD}")
        except RuntimeError:
            log.exception("boom")
        import logging

        logging.getLogger("httpx").error("request header Authorization: Bearer %s", ANTHROPIC_KEY)
        text = out.getvalue()
        assert "signing request" in text and "boom" in text and "RuntimeError" in text
        _assert_clean(text)
        if fmt == "json":  # every line is one JSON object, the stdlib loggers' too
            lines = [json.loads(line) for line in text.splitlines()]
            assert lines[0]["api_key"] == "***"
            assert {"event", "level", "timestamp"} <= set(lines[-1]) and lines[-1]["logger"] == "httpx"
            assert lines[-1]["level"] == "error" and "Bearer ***" in lines[-1]["event"]


def test_config_command_masks_secrets() -> None:
    result = run_cli("config", env=clean_env(**_secret_env()))
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr)
    assert "OKX_API_SECRET" in result.stdout and "***" in result.stdout
    assert "postgresql://bot:***@db.example:5432/bot" in result.stdout
