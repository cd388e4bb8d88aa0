"""Builds the brain the settings ask for, so the pipeline never branches on the mode.

BRAIN_MODE: `auto` = Claude when ANTHROPIC_API_KEY is set, else the offline rules brain; `claude`;
`rules`; `replay` = Claude's code path answered from recorded `llm_calls` (no network at all).
"""

from __future__ import annotations

from typing import Literal

import httpx

from trading_bot.brain.alerts import AlertSink
from trading_bot.brain.analyst import ClaudeAnalyst
from trading_bot.brain.budget import BudgetGovernor, CostLedger
from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.brain.calls import LlmCaller
from trading_bot.brain.llm import AnthropicGateway
from trading_bot.brain.ports import Brain, Researcher
from trading_bot.brain.prices import PriceTable
from trading_bot.brain.reflection import ClaudeReflector, RulesReflector
from trading_bot.brain.replay import ReplayGateway
from trading_bot.brain.research import NoResearch, PerplexityGateway, PerplexityResearcher
from trading_bot.brain.rules import RULES_MODEL, RulesAnalyst, RulesScreenJudge
from trading_bot.brain.safe_mode import SafeMode
from trading_bot.brain.screener import ClaudeScreenJudge, GatedScreener
from trading_bot.clock import Clock
from trading_bot.config import ConfigError, Settings
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN

log = get_logger(__name__)
Mode = Literal["claude", "rules", "replay"]


def resolve_mode(settings: Settings) -> Mode:
    if settings.brain_mode == "auto":
        return "claude" if settings.anthropic_api_key is not None else "rules"
    if settings.brain_mode == "claude" and settings.anthropic_api_key is None:
        raise ConfigError("BRAIN_MODE: claude needs ANTHROPIC_API_KEY (or use auto, rules or replay)")
    return settings.brain_mode


def build_brain(settings: Settings, db: Database, alerts: AlertSink, clock: Clock, run_id: str = LIVE_RUN,
                http_client: httpx.Client | None = None) -> Brain:
    mode = resolve_mode(settings)
    calendar = EconomicCalendar.load(settings.economic_calendar_file)
    if mode == "rules":
        brain = _rules_brain(calendar, db, alerts, run_id)
    else:
        brain = _claude_brain(settings, mode, calendar, db, alerts, clock, run_id, http_client)
    log.info("brain.ready", mode=brain.mode, brain=brain.label)
    return brain


def _rules_brain(calendar: EconomicCalendar, db: Database, alerts: AlertSink, run_id: str) -> Brain:
    return Brain(
        screener=GatedScreener(RulesScreenJudge(), calendar, db, alerts, run_id),
        analyst=RulesAnalyst(),
        researcher=NoResearch("research skipped: the offline rules brain does not read news"),
        reflector=RulesReflector(),
        label=f"offline rules brain ({RULES_MODEL})",
        mode="rules",
    )


def _claude_brain(settings: Settings, mode: Mode, calendar: EconomicCalendar, db: Database, alerts: AlertSink,
                  clock: Clock, run_id: str, http_client: httpx.Client | None) -> Brain:
    prices = PriceTable.load(settings.llm_price_file)
    for model in (settings.opus_model, settings.haiku_model):
        if not prices.has(model):
            raise ConfigError(f"LLM_PRICE_FILE: no price for model {model!r}; every call must be priced")
    governor = BudgetGovernor(CostLedger(db, run_id), alerts, settings.daily_llm_budget_usd)
    if mode == "replay":
        gateway: AnthropicGateway | ReplayGateway = ReplayGateway(db)
    else:
        gateway = AnthropicGateway(settings.anthropic_api_key.get_secret_value(),  # type: ignore[union-attr]
                                   settings.anthropic_base_url, settings.llm_max_retries)
    caller = LlmCaller(gateway, db, prices, clock, run_id, on_spend=governor.after_spend)
    # A replay answers every call from the recording: a miss must show as one, never as safe mode.
    safe_mode = SafeMode(db, alerts, run_id) if mode == "claude" else None
    return Brain(
        screener=GatedScreener(ClaudeScreenJudge(caller, settings.haiku_model, settings.screener_timeout_seconds),
                               calendar, db, alerts, run_id, safe_mode),
        analyst=ClaudeAnalyst(caller, settings.opus_model, settings.llm_timeout_seconds, calendar, governor,
                              safe_mode, settings.prompt_cache_ttl),
        researcher=_researcher(settings, mode, calendar, db, prices, governor, run_id, http_client),
        reflector=ClaudeReflector(caller, settings.opus_model, settings.llm_timeout_seconds, governor),
        label=f"{'replay of ' if mode == 'replay' else ''}claude: {settings.opus_model} + {settings.haiku_model}",
        mode=mode,
    )


def _researcher(settings: Settings, mode: Mode, calendar: EconomicCalendar, db: Database, prices: PriceTable,
                governor: BudgetGovernor, run_id: str, http_client: httpx.Client | None) -> Researcher:
    # Replay mirrors the recording's settings: research only if a key was (and is) configured.
    if settings.perplexity_api_key is None:
        return NoResearch("research skipped: no PERPLEXITY_API_KEY configured")
    gateway: object
    if mode == "replay":
        gateway = ReplayGateway(db, recorded_provider="perplexity")
    else:
        gateway = PerplexityGateway(settings.perplexity_api_key.get_secret_value(), settings.perplexity_base_url,
                                    http_client)
    return PerplexityResearcher(gateway, db, prices, calendar, settings.perplexity_model,
                                settings.llm_timeout_seconds, settings.research_cache_minutes, governor, run_id,
                                on_spend=governor.after_spend)
