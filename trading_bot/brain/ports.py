"""The brain's ports: what the pipeline calls, whatever thinks behind them (Claude, the offline
rules, or a replay of recorded calls). `trading_bot.brain.factory.build_brain` picks the adapters
from the settings, so callers never branch on the mode."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trading_bot.brain.envelope import RiskEnvelope
from trading_bot.brain.untrusted import http_url, iso_date, one_line
from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.domain.playbook import Playbook
from trading_bot.domain.snapshot import MarketSnapshot


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TradeRecap(_Model):
    """A closed (or open) trade as the brain sees it in its recent history."""

    trade_id: int | None = None
    inst_id: str
    side: Literal["long", "short"]
    strategy: str = ""
    regime: str | None = None
    entry_ts: datetime
    entry_px: Decimal
    exit_ts: datetime | None = None
    exit_px: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    net_pnl: Decimal | None = None
    r_multiple: Decimal | None = None
    close_reason: str | None = None
    confidence: Decimal | None = None
    lesson: str | None = None  # the post-trade review's lesson, when one exists


class Source(_Model):
    """A search result behind a research answer, checked where it enters the brain: the title on one
    line, the URL an absolute http(s) URL (else the source is refused), the date an ISO date (else
    dropped)."""

    title: str = ""
    url: str
    date: dt.date | None = None

    _title = field_validator("title")(one_line)
    _url = field_validator("url")(http_url)
    _date = field_validator("date", mode="before")(iso_date)


class Research(_Model):
    """News research for one instrument; `answer` is untrusted third-party text."""

    query: str
    trigger: str
    answer: str
    sources: list[Source] = Field(default_factory=list)
    model: str
    retrieved_at: datetime
    from_cache: bool = False
    cost_usd: Decimal = Decimal(0)


class ResearchOutcome(_Model):
    research: Research | None = None
    note: str  # what happened, stated in the analysis prompt (e.g. skipped: no key)


class BrainContext(_Model):
    """Everything one analysis sees. `now` is the cycle time (the snapshot's time in backtests)."""

    snapshot: MarketSnapshot
    now: datetime
    playbook: Playbook
    account: Account | None = None
    positions: list[Position] = Field(default_factory=list)
    recent_trades: list[TradeRecap] = Field(default_factory=list)
    research: ResearchOutcome | None = None
    cycle_id: str | None = None
    manual_trigger: bool = False
    limits: RiskEnvelope = RiskEnvelope()

    @property
    def inst_id(self) -> str:
        return self.snapshot.inst_id

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions if p.inst_id == self.inst_id and p.size > 0]


class ScreenResult(_Model):
    signal: bool  # True = the analyst should look
    reason: str
    model: str  # haiku id, rules-v1, or "bypass"
    bypass_reason: str | None = None
    parse_error: bool = False
    llm_call_id: int | None = None
    log_id: int | None = None  # the screener_logs row (the pipeline marks later whether the analyst agreed)


class Review(_Model):
    """Post-trade review of one closed trade."""

    lesson: str
    went_well: str = ""
    went_wrong: str = ""
    mistake: Literal["none", "entry", "exit", "sizing", "regime", "news", "unknown"] = "unknown"
    model: str
    llm_call_id: int | None = None


class PlaybookProposal(_Model):
    """A deep reflection's proposed next playbook, already validated, with its change log."""

    playbook: Playbook
    changes: list[str]
    model: str
    llm_call_id: int | None = None


class Screener(Protocol):
    def screen(self, ctx: BrainContext) -> ScreenResult: ...


class Analyst(Protocol):
    def analyze(self, ctx: BrainContext) -> Decision: ...


class Researcher(Protocol):
    def research(self, snapshot: MarketSnapshot, now: datetime, cycle_id: str | None = None) -> ResearchOutcome:
        """Research when a trigger fires (calendar, anomaly, funding, open interest), else a note."""
        ...

    def ask(self, inst_id: str, question: str | None, now: datetime) -> ResearchOutcome:
        """On-demand research (Telegram `/research`): `question` as asked, or the instrument's
        market news when None; no trigger needed, same cache, budget and ledger."""
        ...


class Reflector(Protocol):
    def review(self, trade: TradeRecap, playbook: Playbook, now: datetime) -> Review: ...

    def reflect(
        self, playbook: Playbook, trades: list[TradeRecap], reviews: list[Review], now: datetime
    ) -> PlaybookProposal | None: ...


@dataclass(frozen=True)
class Brain:
    """The adapters the pipeline uses, and a label for logs and messages."""

    screener: Screener
    analyst: Analyst
    researcher: Researcher
    reflector: Reflector
    label: str  # e.g. "claude: claude-opus-4-6 + claude-haiku-4-5-20251001" or "offline rules brain (rules-v1)"
    mode: Literal["claude", "rules", "replay"]

