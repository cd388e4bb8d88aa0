"""Where the OKX adapter connects and with which credentials: real OKX (keys configured) or the
local simulator (no keys: `trading-bot sim` on SIM_PORT, credentials from the file it writes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from trading_bot.config import ConfigError, Settings
from trading_bot.logs import register_secret

SIM_CREDENTIALS_FILE = "sim/credentials.json"  # written by `trading-bot sim` (exchange/sim/credentials.py)


@dataclass(frozen=True)
class OkxCredentials:
    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    passphrase: str = field(repr=False)

    def __post_init__(self) -> None:
        register_secret(self.api_key, self.secret_key, self.passphrase)


@dataclass(frozen=True)
class OkxEndpoints:
    rest_url: str
    ws_public_url: str
    ws_private_url: str
    ws_business_url: str
    flag: str  # "1" demo (x-simulated-trading), "0" live
    credentials: OkxCredentials | None
    simulator: bool = False

    @property
    def venue(self) -> str:
        if self.simulator:
            return f"simulator at {self.rest_url}"
        return f"OKX {'demo' if self.flag == '1' else 'LIVE'} at {self.rest_url}"


def sim_credentials_path(settings: Settings) -> Path:
    return settings.var_dir / SIM_CREDENTIALS_FILE


def load_sim_credentials(path: Path) -> OkxCredentials:
    """The key set `trading-bot sim` writes (JSON: api_key, secret_key, passphrase)."""
    try:
        raw = json.loads(path.read_text())
        return OkxCredentials(raw["api_key"], raw["secret_key"], raw["passphrase"])
    except FileNotFoundError:
        raise ConfigError(
            f"no OKX keys are configured and the simulator's credentials file {path} does not exist: "
            "start `trading-bot sim` (or `trading-bot run`) first, or set OKX_API_KEY/OKX_API_SECRET/OKX_PASSPHRASE"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the simulator's credentials file {path} is unreadable: {exc}") from None


def sim_host(settings: Settings) -> str:
    return f"127.0.0.1:{settings.sim_port}"


def resolve_endpoints(settings: Settings) -> OkxEndpoints:
    if settings.uses_simulator:
        base = sim_host(settings)
        return OkxEndpoints(
            rest_url=f"http://{base}",
            ws_public_url=f"ws://{base}/ws/v5/public",
            ws_private_url=f"ws://{base}/ws/v5/private",
            ws_business_url=f"ws://{base}/ws/v5/business",
            flag="1",
            credentials=load_sim_credentials(sim_credentials_path(settings)),
            simulator=True,
        )
    assert settings.okx_api_key and settings.okx_api_secret and settings.okx_passphrase  # all-or-none validated
    return OkxEndpoints(
        rest_url=settings.okx_rest_url,
        ws_public_url=settings.okx_ws_public_url,
        ws_private_url=settings.okx_ws_private_url,
        ws_business_url=settings.okx_ws_business_url,
        flag=settings.okx_flag,
        credentials=OkxCredentials(
            settings.okx_api_key.get_secret_value(),
            settings.okx_api_secret.get_secret_value(),
            settings.okx_passphrase.get_secret_value(),
        ),
    )
