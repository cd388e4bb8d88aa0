"""The process roles: one list that the supervisor (`trading-bot run`), the Procfile and
docker-compose.yml all follow (a test keeps the three in agreement)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trading_bot.config import ConfigError, Settings
from trading_bot.services import ports
from trading_bot.telegram.settings_check import required_token

CELERY = "celery -A trading_bot.celery_app"


@dataclass(frozen=True)
class Role:
    name: str
    command: str  # as written in the Procfile; `celery`/`trading-bot` resolve to this venv
    summary: str
    embedded_only: bool = False  # only started by `trading-bot run` on embedded defaults
    port_setting: str | None = None  # the Settings field of the port it listens on (127.0.0.1)
    requires: Callable[[Settings], object] | None = None  # raises ConfigError when it cannot run on these settings

    def problem(self, settings: Settings) -> str | None:
        """Why the role cannot start now, in one line naming the variable; None when it can. Checked by
        the supervisor before every (re)start, so a role that cannot work is not started in a loop."""
        if self.requires is not None:
            try:
                self.requires(settings)
            except ConfigError as exc:
                return str(exc)
        if self.port_setting is not None:
            return ports.problem(getattr(settings, self.port_setting), self.port_setting.upper())
        return None

    def wanted(self, settings: Settings) -> bool:
        if self.name == "sim":
            return settings.uses_simulator
        if self.name == "telegram":
            return settings.telegram_bot_token is not None
        return True


ROLES: tuple[Role, ...] = (
    Role("beat", f"{CELERY} beat --loglevel INFO", "the only clock that starts cycles"),
    Role(
        "worker-market",
        f"{CELERY} worker -Q market,maintenance -c 2 -n market@%h --loglevel INFO",
        "snapshot building and maintenance (CPU)",
    ),
    Role(
        "worker-brain",
        f"{CELERY} worker -Q screen,analyze,reflect -P threads -c 8 -n brain@%h --loglevel INFO",
        "LLM calls: I/O bound, many in flight",
    ),
    Role(
        "worker-trade",
        f"{CELERY} worker -Q risk,execute -c 1 -n trade@%h --loglevel INFO",
        "risk gate and order placement, serialised",
    ),
    Role("ws-public", "trading-bot ws-public", "OKX market data → PostgreSQL candles, Redis latest state"),
    Role("ws-private", "trading-bot ws-private", "OKX orders, fills, positions, account → PostgreSQL, Redis"),
    Role("telegram", "trading-bot telegram", "the Telegram control and alert bot (only with TELEGRAM_BOT_TOKEN)",
         requires=required_token),
    Role("flower", f"{CELERY} flower", "Celery monitoring (basic auth from FLOWER_BASIC_AUTH)",
         port_setting="flower_port"),
    Role("sim", "trading-bot sim", "the local OKX v5 simulator (only without OKX keys)", embedded_only=True,
         port_setting="sim_port"),
)


def role(name: str) -> Role:
    for item in ROLES:
        if item.name == name:
            return item
    raise KeyError(name)
