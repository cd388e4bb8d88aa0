"""`trading-bot costs` and `trading-bot calendar` as a user runs them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.kit.cli import clean_env, run_cli
from tests.kit.snapshots import AT
from trading_bot.storage.repos.llm_calls import LlmCallRecord, insert_call


def call(model: str, purpose: str, cost: str, error: str | None = None, days: int = 0) -> LlmCallRecord:
    return LlmCallRecord(purpose=purpose, provider="anthropic", model=model, prompt_version="v", prompt_hash="h",
                         request={}, response=None, created_at=AT + timedelta(days=days), error=error,
                         input_tokens=1000, output_tokens=100, cost_usd=Decimal(cost))


def test_costs_lists_the_day_by_model_and_purpose(database, db_url):
    for record in (call("claude-opus-4-6", "analyze", "0.0175"), call("claude-opus-4-6", "analyze", "0.0125", "timeout"),
                   call("claude-haiku-4-5-20251001", "screen", "0.0015"), call("claude-opus-4-6", "analyze", "1", days=1)):
        insert_call(database, record)
    result = run_cli("costs", "--day", "2026-02-03", env=clean_env(DATABASE_URL=db_url, DAILY_LLM_BUDGET_USD="2"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("LLM cost on 2026-02-03 (UTC), run live: $0.031500 of $2 budget (1.6%)")
    assert "claude-opus-4-6" in lines[1] and "2 calls (1 failed)" in lines[1] and "$0.030000" in lines[1]
    assert "claude-haiku-4-5-20251001" in lines[2] and "$0.001500" in lines[2]


def test_calendar_validates_a_user_file(tmp_path: Path):
    good = run_cli("calendar", env=clean_env())
    assert good.returncode == 0 and good.stdout.startswith("64 events from packaged")
    bad = tmp_path / "calendar.csv"
    bad.write_text("event,time_utc\nFOMC,2026-13-01T19:00Z\n")
    result = run_cli("calendar", env=clean_env(ECONOMIC_CALENDAR_FILE=str(bad)))
    assert result.returncode == 1 and "row 2: time_utc '2026-13-01T19:00Z' is not ISO-8601 UTC" in result.stderr
