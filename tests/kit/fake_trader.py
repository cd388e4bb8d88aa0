"""A trader behind the fake Anthropic API (tests/kit/fake_anthropic.py), for role processes in
Claude mode: Haiku always signals; Opus opens a long at the simulator's last price with a stop and
a target `stop_pct` / `target_pct` away (the gate's reward:risk holds even if its price differs a
little) when the prompt shows no position, and holds while one is open (or always longs, with
`hold_when_open=False`, as the pipeline benchmarks want every cycle to reach the venue)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx

from tests.kit.fake_anthropic import FakeReply

INSTRUMENT = re.compile(r"\b(BTC|ETH|SOL)-USDT-SWAP\b")
TICKS = {"BTC": Decimal("0.1"), "ETH": Decimal("0.01"), "SOL": Decimal("0.01")}
SMALL_USAGE = {"input_tokens": 300, "output_tokens": 80}  # keeps the budget governor out of the way
HOLD = {"action": "HOLD", "size_pct": 0, "leverage": 1, "entry_type": "market", "entry_price": None,
        "stop_loss": None, "take_profit": None, "strategy": "", "confidence": 0.5,
        "reasoning": "test: a position is open", "invalidation": "none", "time_horizon": "1h"}


class FakeTrader:
    def __init__(self, sim_url: str, analysis_delay: float = 0.0, stop_pct: Decimal = Decimal(1),
                 target_pct: Decimal = Decimal(4), hold_when_open: bool = True) -> None:
        self.sim_url, self.analysis_delay = sim_url, analysis_delay
        self.stop, self.target = stop_pct / 100, target_pct / 100
        self.hold_when_open = hold_when_open
        self.entries = True  # False: hold whatever the prompt shows (a test wants no new position)
        self.http = httpx.Client(timeout=10)

    def __call__(self, body: dict[str, Any]) -> FakeReply:
        text = str(body.get("messages", ""))
        if "haiku" in str(body.get("model")):
            return FakeReply.answer({"signal": True, "reason": "test: always look"}, usage=SMALL_USAGE)
        if not self.entries or (self.hold_when_open and "<positions>none</positions>" not in text):
            return FakeReply.answer(HOLD, usage=SMALL_USAGE, delay=self.analysis_delay)
        found = INSTRUMENT.search(text)
        inst_id = found.group(0) if found else "BTC-USDT-SWAP"
        tick = TICKS[inst_id.split("-")[0]]
        last = self.http.get(f"{self.sim_url}/api/v5/market/ticker", params={"instId": inst_id}).json()
        price = Decimal(last["data"][0]["last"])
        decision = {"action": "OPEN_LONG", "size_pct": 2, "leverage": 2, "entry_type": "market",
                    "entry_price": float(price), "stop_loss": float((price * (1 - self.stop)).quantize(tick)),
                    "take_profit": float((price * (1 + self.target)).quantize(tick)), "strategy": "test",
                    "confidence": 0.7, "reasoning": "test: always long", "invalidation": "none",
                    "time_horizon": "1h"}
        return FakeReply.answer(decision, usage=SMALL_USAGE, delay=self.analysis_delay)
