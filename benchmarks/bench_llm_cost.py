"""LLM cost per day and instrument at the default 300 s cadence, from recorded usage on a replayed day.

1. One real day of BTC-USDT-SWAP (15m candles from ../shared/data, 288 cycles 300 s apart) is run
   through the Claude brain against the loopback fake Messages API: every cycle is screened (Haiku)
   and analysed (Opus), all recorded in `llm_calls`. The fake counts tokens of the REAL prompts with
   the offline estimator (brain/tokens.py); answers are those of the rules brain on the same
   snapshot, with a reasoning of the length the prompt asks for (about 100 words), so output
   tokens are realistic. The screener passes what the rules screener passes (a proxy for Haiku).
2. The day is replayed (BRAIN_MODE=replay, no network): decisions must be identical.
3. From the replayed rows' usage: USD/day for Opus every cycle, with the screener, and with prompt
   caching where it applies (plus what-ifs for a prefix grown past the 4,096-token minimum).
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.llm_cost_model import CACHE_MINIMUM_TOKENS, CallUsage, cached_cost, plain_cost

DAY = datetime(2026, 4, 1, tzinfo=UTC)
CADENCE = timedelta(seconds=300)
CYCLES = int(timedelta(days=1) / CADENCE)
GOAL_USD = Decimal(2)
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.csv.gz"


def main() -> None:
    from tests.kit import services
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database, dispose_engines, engine_for

    snapshots = day_snapshots()
    with services.postgres_server() as admin:
        name = services.create_database(admin, prefix="tb_bench")
        try:
            url = services.database_url(admin, name).replace("postgresql://", "postgresql+psycopg://")
            migrate.upgrade(url)
            db = Database(engine_for(url))
            run(db, url, snapshots)
        finally:
            dispose_engines()
            services.drop_database(admin, name)


def day_snapshots() -> list[Any]:
    from trading_bot.backtest.source import precomputed_builder
    from trading_bot.market.candle_files import load_frame

    builder = precomputed_builder("BTC-USDT-SWAP", load_frame(DATA, "15m"))
    return [builder.build(DAY + i * CADENCE) for i in range(CYCLES)]


def rules_pass_rates(days: int) -> list[float]:
    """The rules screener's daily pass rate (bypasses included) over the days before DAY, no LLM."""
    from trading_bot.backtest.source import precomputed_builder
    from trading_bot.brain.calendar import EconomicCalendar
    from trading_bot.brain.playbook import default_playbook
    from trading_bot.brain.ports import BrainContext
    from trading_bot.brain.rules import RulesScreenJudge
    from trading_bot.brain.screener import bypass_reason
    from trading_bot.market.candle_files import load_frame

    builder = precomputed_builder("BTC-USDT-SWAP", load_frame(DATA, "15m"))
    judge, calendar, playbook, rates = RulesScreenJudge(), EconomicCalendar.load(), default_playbook(), []
    for day in range(days, 0, -1):
        start, passed = DAY - timedelta(days=day), 0
        for i in range(CYCLES):
            ctx = BrainContext(snapshot=builder.build(start + i * CADENCE), now=start + i * CADENCE, playbook=playbook)
            passed += bool(bypass_reason(ctx, calendar)) or judge.judge(ctx).signal
        rates.append(passed / CYCLES)
    return rates


def run(db: Any, url: str, snapshots: list[Any]) -> None:
    from pydantic import SecretStr

    from tests.kit.fake_anthropic import FakeAnthropic
    from trading_bot.config import load_settings

    base = load_settings(database_url=url.replace("+psycopg", ""), daily_llm_budget_usd=Decimal(1000))
    with FakeAnthropic() as fake:
        claude = base.model_copy(update={"brain_mode": "claude", "anthropic_api_key": SecretStr(fake.api_key),
                                         "anthropic_base_url": fake.base_url})
        recorded = run_day(claude, db, snapshots, "bench-record", fake)
    replayed = run_day(base.model_copy(update={"brain_mode": "replay"}), db, snapshots, "bench-replay", None)
    if replayed != recorded:
        raise SystemExit("replay differs from the recording: the benchmark's premise is broken")
    report(db, snapshots, replayed)


def run_day(settings: Any, db: Any, snapshots: list[Any], run_id: str, fake: Any) -> list[tuple[Any, Any]]:
    from tests.kit.fake_anthropic import FakeReply
    from trading_bot.brain.alerts import MemoryAlerts
    from trading_bot.brain.factory import build_brain
    from trading_bot.brain.playbook import default_playbook
    from trading_bot.brain.ports import BrainContext
    from trading_bot.brain.rules import RulesAnalyst, RulesScreenJudge
    from trading_bot.clock import ManualClock
    from trading_bot.domain.orders import Account

    clock = ManualClock(DAY)
    brain = build_brain(settings, db, MemoryAlerts(), clock, run_id=run_id)
    playbook, results = default_playbook(), []
    for snap in snapshots:
        clock.set(snap.at)
        ctx = BrainContext(snapshot=snap, now=snap.at, playbook=playbook, cycle_id=None,
                           account=Account(equity=Decimal(10000), available=Decimal(10000), frozen=Decimal(0),
                                           upl=Decimal(0), ts=snap.at))
        if fake is not None:
            screen = RulesScreenJudge().judge(ctx)
            decision = RulesAnalyst().analyze(ctx)
            answers = {"ScreenAnswer": {"signal": screen.signal, "reason": screen.reason[:150]},
                       "AnalysisAnswer": analysis_answer(decision, snap)}
            fake.responder = lambda body, a=answers: FakeReply.answer(
                a[body["output_config"]["format"]["schema"]["title"]])
        results.append((brain.screener.screen(ctx).signal, brain.analyst.analyze(ctx)))
    return results


def analysis_answer(decision: Any, snap: Any) -> dict[str, Any]:
    """The rules decision as Opus would phrase it: the JSON schema with a ~100-word reasoning."""
    views = snap.timeframes
    regimes = ", ".join(f"{tf} {v.regime.label if v.regime else 'unknown'}" for tf, v in views.items())
    ind = views["15m"].indicators
    facts = (f"Regimes: {regimes}. On 15m RSI is {ind.rsi}, the MACD histogram {ind.macd_hist} with a "
             f"{ind.macd_cross} cross, price {snap.price} against EMA20 {ind.ema20} and EMA50 {ind.ema50} "
             f"({ind.ema_alignment} alignment), Bollinger position {ind.bb_position}, ADX {ind.adx}, ATR "
             f"{ind.atr_pct}% of price. The playbook's rules for this regime were checked one by one. ")
    reasoning = (facts + decision.reasoning + " Funding and the order book show no stress; no macro release is "
                 "due within the next hours, so the decision rests on the technical picture alone.")[:1900]
    number = lambda v: float(v) if v is not None else None  # noqa: E731
    return {"action": decision.action.value, "size_pct": float(decision.size_pct), "leverage": float(decision.leverage),
            "entry_type": decision.entry_type, "entry_price": number(decision.entry_price),
            "stop_loss": number(decision.stop_loss), "take_profit": number(decision.take_profit),
            "strategy": decision.strategy, "confidence": decision.confidence or 0.4, "reasoning": reasoning,
            "invalidation": decision.invalidation or "a 15m close through the opposite Bollinger band",
            "time_horizon": decision.time_horizon or "4-12h"}


def report(db: Any, snapshots: list[Any], results: list[tuple[Any, Any]]) -> None:
    from trading_bot.brain.calendar import EconomicCalendar
    from trading_bot.brain.playbook import default_playbook
    from trading_bot.brain.ports import BrainContext
    from trading_bot.brain.prices import PriceTable
    from trading_bot.brain.prompts import analysis_prompt, static_prefix_tokens
    from trading_bot.brain.screener import bypass_reason
    from trading_bot.storage.repos.llm_calls import list_calls

    prices = PriceTable.load()
    calls = list_calls(db, DAY - timedelta(days=1), DAY + timedelta(days=2), run_id="bench-replay")
    static = static_prefix_tokens(analysis_prompt(BrainContext(snapshot=snapshots[0], now=DAY,
                                                               playbook=default_playbook()), []))
    analyses = [CallUsage(c.created_at, c.input_tokens, c.output_tokens, static) for c in calls if c.purpose == "analyze"]
    screens = [CallUsage(c.created_at, c.input_tokens, c.output_tokens, 0) for c in calls if c.purpose == "screen"]
    opus, haiku = prices.price("claude-opus-4-6"), prices.price("claude-haiku-4-5-20251001")
    calendar = EconomicCalendar.load()
    passed = [i for i, (signal, _) in enumerate(results) if signal]
    bypassed = sum(1 for s in snapshots if bypass_reason(BrainContext(snapshot=s, now=s.at,
                                                                      playbook=default_playbook()), calendar))
    passed_calls = [analyses[i] for i in passed]

    every = plain_cost(opus, analyses)
    screen_cost = plain_cost(haiku, screens)
    gated = screen_cost + plain_cost(opus, passed_calls)
    per_analysis = every / len(analyses)
    print(f"day {DAY.date()} replayed: {len(results)} cycles at {CADENCE.seconds}s, {len(calls)} recorded calls "
          f"({len(analyses)} analyses, {len(screens)} screens), replay identical to the recording")
    print(f"analysis prompt (estimated tokens): mean {statistics.mean(c.input_tokens for c in analyses):.0f} "
          f"(min {min(c.input_tokens for c in analyses)}, max {max(c.input_tokens for c in analyses)}), "
          f"static cacheable prefix {static}, per-cycle part {statistics.mean(c.input_tokens for c in analyses) - static:.0f}; "
          f"answer {statistics.mean(c.output_tokens for c in analyses):.0f} tokens")
    print(f"screen prompt: mean {statistics.mean(c.input_tokens for c in screens):.0f} tokens in, "
          f"{statistics.mean(c.output_tokens for c in screens):.0f} out")
    print(f"cost per call: Opus analysis ${per_analysis:.5f}, Haiku screen ${screen_cost / len(screens):.6f}")
    print(f"A. Opus on every cycle:            ${every:.2f}/day")
    print(f"B. with the Haiku screener:        ${gated:.2f}/day  (passes {len(passed)}/{len(results)} = "
          f"{len(passed) / len(results):.0%}, of which {bypassed} bypassed; screens ${screen_cost:.2f}) "
          f"goal ≤ ${GOAL_USD}: {'MET' if gated <= GOAL_USD else 'NOT MET'}")
    print(f"   break-even pass rate for ${GOAL_USD}/day: {(GOAL_USD - screen_cost) / every:.0%}; by pass rate: "
          + ", ".join(f"{rate:.0%} ${screen_cost + every * Decimal(str(rate)):.2f}" for rate in (0.1, 0.2, 0.3, 0.5)))
    rates = rules_pass_rates(days=30)
    print(f"   rules-screener pass rate per day over the 30 days before: mean {statistics.mean(rates):.0%}, "
          f"min {min(rates):.0%}, max {max(rates):.0%} (Haiku's own rate is only known from a live run)")
    five, hour = timedelta(minutes=5), timedelta(hours=1)
    print(f"C. B with caching where it applies: ${screen_cost + cached_cost(opus, passed_calls, hour):.2f}/day "
          f"(static prefix {static} < {CACHE_MINIMUM_TOKENS} tokens: the API caches nothing; the screen prompt is "
          f"far below the minimum too)")
    grown = CACHE_MINIMUM_TOKENS
    for label, subset in (("every cycle", analyses), ("screened", passed_calls)):
        plain = plain_cost(opus, subset, grown)
        print(f"   what-if prefix grown to {grown} tokens, {label}: no cache ${plain:.2f}, "
              f"5m TTL ${cached_cost(opus, subset, five, grown):.2f}, 1h TTL ${cached_cost(opus, subset, hour, grown):.2f}")
