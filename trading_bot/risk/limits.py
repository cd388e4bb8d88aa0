"""The hard risk limits. Constants, not settings: nothing (environment, playbook, LLM output,
Telegram) can raise them. `RiskLimits` carries the limits in force; configuration may only make them
stricter, and constructing a looser `RiskLimits` raises `LooserLimitError`.

Units: every `*_PCT` is a percentage (Decimal("3") = 3 %); leverage is a multiple of the margin
(3 = 3×); correlation is Pearson's r of 1H close-to-close returns; durations are `timedelta`.

Boundaries (a value exactly at a limit):
- size limits (trade notional, total exposure, leverage, stop distance, entry deviation, open
  positions, reward:risk minimum) are the largest/smallest ALLOWED value: exactly at the limit passes;
- loss limits (daily loss, drawdown, consecutive losses) are tripwires: reaching the limit trips them;
- correlation rejects only when r is strictly above the limit (the issue's "r > 0.8").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

MAX_DAILY_LOSS_PCT = Decimal("3")  # % of equity at 00:00 UTC; a loss of 3 % or more halts
MAX_DRAWDOWN_PCT = Decimal("10")  # % below peak equity; 10 % or more is an EMERGENCY HALT
MAX_OPEN_POSITIONS = 3  # positions open after the new order fills (pending entries count)
MAX_TOTAL_EXPOSURE_PCT = Decimal("15")  # notional of positions + pending entries + new order, % of equity
MAX_TRADE_NOTIONAL_PCT = Decimal("5")  # notional of one order, % of equity
MAX_LEVERAGE = Decimal("3")  # × ; below 1× is rejected as meaningless
MAX_STOP_DISTANCE_PCT = Decimal("3")  # |entry − stop| as % of entry
MIN_REWARD_RISK = Decimal("1.5")  # |take profit − entry| / |entry − stop|
MAX_CONSECUTIVE_LOSSES = 3  # losing closed trades in a row that start a cooldown
COOLDOWN = timedelta(minutes=30)
MAX_CORRELATION = 0.8  # Pearson r of 1H returns; strictly above rejects a same-direction position
CORRELATION_RETURNS = 100  # 1H returns (101 closes) the correlation is measured over
MAX_SNAPSHOT_AGE_CYCLES = 2  # a snapshot older than this many cycle intervals is stale
MAX_SNAPSHOT_FUTURE_SECONDS = 5  # tolerated clock skew of a snapshot stamped after `now`
# Age of the snapshot's price, ticker and order book when the snapshot was taken (market
# time), exactly 60 s passes. OKX pushes them several times a second; a minute without one is a
# stalled feed, not a quiet market. The snapshot's own age has its rule above.
MAX_MARKET_DATA_AGE_SECONDS = 60
MAX_ENTRY_DEVIATION_PCT = Decimal("1")  # |entry − mark| as % of mark
# Liquidation estimate: a maintenance margin rate above OKX's first BTC-USDT-SWAP tier (0.4 %) keeps
# the estimated liquidation price on the near (pessimistic) side.
MAINTENANCE_MARGIN_RATE = Decimal("0.01")

# Which way is stricter for each field: "max" limits may only go down, "min" limits only up.
_UPPER = "max"
_LOWER = "min"


class LooserLimitError(ValueError):
    """A configured limit would be looser than the hard-coded one."""


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits in force. Defaults are the hard limits; every field may only be made stricter."""

    max_daily_loss_pct: Decimal = MAX_DAILY_LOSS_PCT
    max_drawdown_pct: Decimal = MAX_DRAWDOWN_PCT
    max_open_positions: int = MAX_OPEN_POSITIONS
    max_total_exposure_pct: Decimal = MAX_TOTAL_EXPOSURE_PCT
    max_trade_notional_pct: Decimal = MAX_TRADE_NOTIONAL_PCT
    max_leverage: Decimal = MAX_LEVERAGE
    max_stop_distance_pct: Decimal = MAX_STOP_DISTANCE_PCT
    min_reward_risk: Decimal = MIN_REWARD_RISK
    max_consecutive_losses: int = MAX_CONSECUTIVE_LOSSES
    cooldown: timedelta = COOLDOWN
    max_correlation: float = MAX_CORRELATION
    max_entry_deviation_pct: Decimal = MAX_ENTRY_DEVIATION_PCT

    def __post_init__(self) -> None:
        for field in fields(self):
            _require_as_strict(field.name, getattr(self, field.name), field.default, "the hard limit")

    def stricter(self, **overrides: object) -> RiskLimits:
        """A copy with some limits tightened further; `None` keeps a limit as it is. Raises
        LooserLimitError if any value is looser than the limit in force (or than the hard one)."""
        chosen = {name: value for name, value in overrides.items() if value is not None}
        for name, value in chosen.items():
            _require_as_strict(name, value, getattr(self, name), "the limit in force")
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        return RiskLimits(**(current | chosen))


@runtime_checkable
class _Ordered(Protocol):
    """A limit's value (Decimal, int, float, timedelta): compared with one of its own type."""

    def __le__(self, other: Any, /) -> bool: ...

    def __ge__(self, other: Any, /) -> bool: ...


def _direction(name: str) -> str:
    return _LOWER if name.startswith("min_") or name == "cooldown" else _UPPER


def _require_as_strict(name: str, value: object, reference: object, what: str) -> None:
    direction = _direction(name)
    if not _is_at_least_as_strict(value, reference, direction):
        bound = "at most" if direction == _UPPER else "at least"
        raise LooserLimitError(f"{name} must be {bound} {what} {reference} (got {value!r})")


def _is_at_least_as_strict(value: object, hard: object, direction: str) -> bool:
    if type(value) is not type(hard) or not isinstance(value, _Ordered):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    if isinstance(value, float) and value != value:  # NaN
        return False
    if direction == _UPPER:
        return value <= hard
    return value >= hard


HARD_LIMITS = RiskLimits()

# The optional RISK_* settings (config.py) → the RiskLimits field each tightens, and its conversion.
# The settings import this table, never the reverse: the limits know nothing of the configuration.
RISK_SETTINGS: dict[str, tuple[str, Callable[[Any], object]]] = {
    "risk_max_trade_pct": ("max_trade_notional_pct", Decimal),
    "risk_max_exposure_pct": ("max_total_exposure_pct", Decimal),
    "risk_max_leverage": ("max_leverage", Decimal),
    "risk_max_open_positions": ("max_open_positions", int),
    "risk_max_daily_loss_pct": ("max_daily_loss_pct", Decimal),
    "risk_max_drawdown_pct": ("max_drawdown_pct", Decimal),
    "risk_max_stop_distance_pct": ("max_stop_distance_pct", Decimal),
    "risk_min_reward_risk": ("min_reward_risk", Decimal),
    "risk_cooldown_minutes": ("cooldown", lambda minutes: timedelta(minutes=minutes)),
}


def check_setting(setting: str, value: Decimal | int) -> None:
    """Raise ValueError, its message the rest of the setting's error line, unless `value` of the
    RISK_* `setting` is positive and tightens its hard limit."""
    limit, convert = RISK_SETTINGS[setting]
    if (isinstance(value, Decimal) and not value.is_finite()) or value <= 0:
        raise ValueError("expected a positive number")
    try:
        HARD_LIMITS.stricter(**{limit: convert(value)})
    except LooserLimitError:
        hard = getattr(HARD_LIMITS, limit)
        shown = f"{int(hard.total_seconds() // 60)}" if isinstance(hard, timedelta) else str(hard)
        bound = "at most" if _direction(limit) == _UPPER else "at least"
        raise ValueError(f"may only tighten the hard limit: expected {bound} {shown}") from None


def tightened_by(settings: Mapping[str, object]) -> RiskLimits:
    """The hard limits tightened by the RISK_* settings' values (by setting name; None: unset)."""
    overrides = {}
    for setting, (limit, convert) in RISK_SETTINGS.items():
        value = settings.get(setting)
        if value is not None:
            overrides[limit] = convert(value)
    return HARD_LIMITS.stricter(**overrides)
