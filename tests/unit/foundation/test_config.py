from decimal import Decimal

import pytest

from tests.kit.cli import clean_env, run_cli
from trading_bot.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "nonsense", "expected a postgresql:// URL"),
        ("OKX_FLAG", "2", "'0' or '1'"),
        ("CYCLE_SECONDS", "-5", "greater than or equal to 5"),
        ("INSTRUMENTS", "btcusdt", "BTC-USDT-SWAP"),
        ("REDIS_URL", "http://x", "redis://"),
        ("SILENT_HOURS_UTC", "25-3", "START-END"),
        ("FLOWER_BASIC_AUTH", "admin", "user:password"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                      expected: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "env",
    [{"DATABASE_URL": "nonsense"}, {"OKX_FLAG": "2"}, {"CYCLE_SECONDS": "-5"}, {"INSTRUMENTS": "BTC/USDT"}],
)
@pytest.mark.parametrize("command", [["config"], ["doctor"], ["db", "current"], ["run"], ["services", "status"]])
def test_every_command_exits_2_with_one_line(env: dict[str, str], command: list[str]) -> None:
    result = run_cli(*command, env=clean_env(**env))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert next(iter(env)) in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_partial_okx_credentials_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKX_API_KEY", "abc")
    with pytest.raises(ConfigError, match="must be set together"):
        load_settings()


def test_defaults_mean_embedded_simulator_and_rules_brain() -> None:
    settings = load_settings()
    assert settings.embedded_database and settings.embedded_redis
    assert settings.uses_simulator and not settings.uses_claude
    assert settings.instruments == ["BTC-USDT-SWAP"]
    assert settings.cycle_seconds == 300
    assert settings.daily_llm_budget_usd == Decimal("10")
    assert settings.database_dsn().startswith("postgresql+psycopg://postgres@127.0.0.1:")


def test_instrument_list_and_ids_parse_from_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTRUMENTS", "BTC-USDT-SWAP, ETH-USDT-SWAP")
    monkeypatch.setenv("TELEGRAM_CHAT_IDS", "42,-100123")
    settings = load_settings()
    assert settings.instruments == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]
    assert settings.telegram_chat_ids == [42, -100123]


def test_env_example_documents_every_variable() -> None:
    from pathlib import Path

    from trading_bot.config import Settings

    text = (Path(__file__).resolve().parents[3] / ".env.example").read_text()
    documented = {line.split("=", 1)[0].lstrip("# ").strip() for line in text.splitlines() if "=" in line}
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f".env.example lacks {sorted(missing)}"
