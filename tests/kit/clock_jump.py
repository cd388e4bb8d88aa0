"""Moving the simulator's clock ahead at once (`sim/control/advance`), and the market time that
jump skipped: no beat tick (they fire on wall time) fell in it, so its slots are neither run nor
missed (tests/kit/invariants.py excuses them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.kit.stack import Stack
from trading_bot.clock import from_ms


@dataclass(frozen=True)
class ClockJump:
    before: datetime  # the venue's time when the jump happened …
    after: datetime  # … and right after it

    def skipped(self, slot: datetime) -> bool:
        """A slot starting in (before, after]: the market passed its start in no wall time."""
        return self.before < slot <= self.after


def jump_clock(stack: Stack, seconds: int) -> ClockJump:
    after = from_ms(stack.sim_control("advance", seconds=seconds)["ts"])
    return ClockJump(after - timedelta(seconds=seconds), after)
