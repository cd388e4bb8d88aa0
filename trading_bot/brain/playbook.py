"""The default playbook (version 1) and the playbook store (`playbook_versions`, with change logs).

Version 1 holds the regime rules the offline brain follows deterministically: follow the trend in
trends, revert to the mean at band extremes in ranges, stand aside when volatile. Reflection writes
later versions; each one is validated by `Playbook` before it is stored.
"""

from __future__ import annotations

from datetime import datetime

from trading_bot.domain.playbook import Calibration, ConfidenceBand, Playbook, RegimeRule, Strategy
from trading_bot.storage.db import Database
from trading_bot.storage.repos import playbooks as repo

TREND_PULLBACK = "trend_pullback"
RANGE_REVERSION = "range_reversion"


def default_playbook() -> Playbook:
    return Playbook(
        version=1,
        regimes={
            "trending_up": RegimeRule(stance="trend_follow", strategies=[TREND_PULLBACK],
                                      guidance="Buy pullbacks toward the EMA20; no shorts against the trend."),
            "trending_down": RegimeRule(stance="trend_follow", strategies=[TREND_PULLBACK],
                                        guidance="Sell rallies toward the EMA20; no longs against the trend."),
            "ranging": RegimeRule(stance="mean_revert", strategies=[RANGE_REVERSION],
                                  guidance="Fade the Bollinger band extremes back toward the middle band."),
            "volatile": RegimeRule(stance="stand_aside", strategies=[],
                                   guidance="Stand aside: ranges are too wide for a sensible stop."),
        },
        strategies=[
            Strategy(
                name=TREND_PULLBACK,
                description="Join an established trend after a pullback toward the 20-period EMA.",
                regimes=["trending_up", "trending_down"],
                direction="both",
                entry=[
                    "ADX above 25 and the regime is trending in the trade's direction",
                    "EMA alignment agrees with the trend (bullish for longs, bearish for shorts)",
                    "price within one ATR of the EMA20 (a pullback, not a chase)",
                    "RSI between 40 and 65 for longs, between 35 and 60 for shorts",
                ],
                exit=[
                    "stop-loss beyond the pullback, 1.5 ATR from entry",
                    "take-profit at 2R",
                    "close early when the regime flips against the trade",
                ],
                stop_atr_multiple=1.5,
                reward_risk=2.0,
            ),
            Strategy(
                name=RANGE_REVERSION,
                description="Fade a touch of the outer Bollinger band in a ranging market.",
                regimes=["ranging"],
                direction="both",
                entry=[
                    "regime ranging (ADX at or below 25, normal volatility)",
                    "long: bb_position at or below 0.05 and RSI below 35",
                    "short: bb_position at or above 0.95 and RSI above 65",
                ],
                exit=[
                    "stop-loss 1.2 ATR beyond the band touch",
                    "take-profit at 2R (usually near the middle band or beyond)",
                    "close early when the regime turns trending against the trade",
                ],
                stop_atr_multiple=1.2,
                reward_risk=2.0,
            ),
        ],
        lessons=[],
        calibration=Calibration(
            min_confidence_to_trade=0.55,
            bands=[
                ConfidenceBand(min_confidence=0.55, size_fraction=0.5),
                ConfidenceBand(min_confidence=0.7, size_fraction=0.75),
                ConfidenceBand(min_confidence=0.85, size_fraction=1.0),
            ],
        ),
        notes="Version 1: the default rules. Lessons are added by post-trade reviews and deep reflection.",
    )


class PlaybookChanged(RuntimeError):
    """Another version was stored while this one was being made (two reflections at once)."""


class PlaybookStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def current(self, now: datetime) -> Playbook:
        """The latest version; version 1 (the default) is stored on first use."""
        latest = repo.latest(self._db)
        if latest is not None:
            return Playbook.model_validate(latest.content)
        first = default_playbook()
        repo.insert_first(self._db, first.model_dump(mode="json"), ["default playbook"], "default", now)
        stored = repo.latest(self._db)
        if stored is None:
            raise LookupError("the default playbook was inserted but cannot be read back")
        return Playbook.model_validate(stored.content)

    def save(self, playbook: Playbook, changes: list[str], created_by: str, now: datetime,
             parent: int | None = None) -> Playbook:
        """Store `playbook` as the next version (its own `version` field is replaced). With
        `parent` (the version the change was made to), PlaybookChanged when another version was
        stored since: the change was made to a playbook that is no longer the current one."""
        latest = repo.latest(self._db)
        if parent is not None and (latest is None or latest.version != parent):
            raise PlaybookChanged(f"version {latest.version if latest else 'none'} is current, not {parent}")
        version = 1 if latest is None else latest.version + 1
        stored = playbook.model_copy(update={"version": version})
        Playbook.model_validate(stored.model_dump())  # re-validate the whole document
        if not repo.insert(self._db, version=version, parent=latest.version if latest else None,
                           content=stored.model_dump(mode="json"), change_log=changes, created_by=created_by,
                           now=now):
            raise PlaybookChanged(f"version {version} was stored by another writer meanwhile")
        return stored

    def history(self) -> list[repo.PlaybookRow]:
        return repo.all_versions(self._db)
