"""The one Settings object: environment + `.env`, validated at start.

Every variable is documented in `.env.example`; `trading-bot config` prints the effective values
with secrets masked. A bad value becomes `ConfigError`, which the CLI turns into one line naming the
variable and exit code 2.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from trading_bot.domain.market import INSTRUMENT_PATTERN as INSTRUMENT_PATTERN  # re-exported: the CLI reads it here
from trading_bot.risk.limits import RISK_SETTINGS, RiskLimits, check_setting, tightened_by

ALNUM_NAMESPACE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


CONFIG_EXIT_CODE = 2  # a process that ends on a ConfigError; its supervisor does not restart it


class ConfigError(Exception):
    """A configuration value is invalid; `str()` is one human line naming the variable."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- runtime -------------------------------------------------------------------------
    app_env: Literal["development", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"
    var_dir: Path = Path("var")

    # --- storage (unset = embedded PostgreSQL / Redis under VAR_DIR) ------------------------
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    redis_namespace: str = "tb"
    embedded_pg_port: int = Field(default=54329, ge=1024, le=65535)
    embedded_redis_port: int = Field(default=63799, ge=1024, le=65535)
    grafana_reader_password: SecretStr = SecretStr("grafana-reader")
    celery_visibility_timeout: int = Field(default=900, ge=30, le=86400)

    # --- trading -------------------------------------------------------------------------
    instruments: Annotated[list[str], NoDecode] = ["BTC-USDT-SWAP"]
    cycle_seconds: int = Field(default=300, ge=5, le=86400)
    cycle_offset_seconds: int = Field(default=5, ge=0, le=120)
    margin_mode: Literal["cross", "isolated"] = "isolated"

    # --- market analytics ------------------------------------------------------------------
    snapshot_bars: int = Field(default=200, ge=100, le=2000)  # closed bars per timeframe behind the indicators

    # --- OKX (no key = local simulator) -----------------------------------------------------
    okx_api_key: SecretStr | None = None
    okx_api_secret: SecretStr | None = None
    okx_passphrase: SecretStr | None = None
    okx_flag: Literal["0", "1"] = "1"
    okx_rest_url: str = "https://www.okx.com"
    okx_ws_public_url: str = "wss://wspap.okx.com:8443/ws/v5/public"
    okx_ws_private_url: str = "wss://wspap.okx.com:8443/ws/v5/private"
    okx_ws_business_url: str = "wss://wspap.okx.com:8443/ws/v5/business"
    okx_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    okx_max_retries: int = Field(default=3, ge=0, le=10)
    okx_oi_poll_seconds: float = Field(default=60.0, ge=5, le=3600)
    okx_fallback_stop_pct: Decimal = Field(default=Decimal("2"), gt=0, le=10)

    # --- simulator (embedded default) -----------------------------------------------------
    sim_port: int = Field(default=8787, ge=1024, le=65535)
    sim_data: Annotated[list[str], NoDecode] = []  # candle/funding files, `INST=PATH` allowed; empty = synthetic
    sim_seed: int = 7
    sim_speed: float = Field(default=1.0, gt=0, le=100000)
    sim_start: str | None = None
    sim_equity: Decimal = Field(default=Decimal("10000"), gt=0)
    sim_maker_fee: Decimal = Field(default=Decimal("0.0002"), ge=0, le=Decimal("0.01"))
    sim_taker_fee: Decimal = Field(default=Decimal("0.0005"), ge=0, le=Decimal("0.01"))
    sim_rate_limits: bool = True
    sim_api_key: SecretStr | None = None
    sim_api_secret: SecretStr | None = None
    sim_passphrase: SecretStr | None = None

    # --- brain -----------------------------------------------------------------------------
    brain_mode: Literal["auto", "claude", "rules", "replay"] = "auto"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    opus_model: str = "claude-opus-4-6"
    haiku_model: str = "claude-haiku-4-5-20251001"
    model_training_cutoff: str = "2025-05-31"
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    daily_llm_budget_usd: Decimal = Field(default=Decimal("10"), gt=0)
    perplexity_api_key: SecretStr | None = None
    perplexity_base_url: str = "https://api.perplexity.ai"
    perplexity_model: str = "perplexity/sonar"
    research_cache_minutes: int = Field(default=60, ge=1, le=1440)
    screener_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    prompt_cache_ttl: Literal["5m", "1h"] = "1h"
    llm_price_file: Path | None = None  # YAML overriding/adding model prices (USD per million tokens)
    economic_calendar_file: Path | None = None  # CSV replacing the packaged FOMC/CPI/NFP calendar
    shadow_analysis_fraction: float = Field(default=0.05, ge=0, le=1)
    deep_reflection_every_trades: int = Field(default=20, ge=1)
    deep_reflection_every_hours: float = Field(default=6.0, gt=0)

    # --- Telegram ----------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_chat_ids: Annotated[list[int], NoDecode] = []
    telegram_admin_ids: Annotated[list[int], NoDecode] = []
    silent_hours_utc: str | None = None

    # --- risk: optional, may only TIGHTEN the hard limits of risk/limits.py (unset = hard limit) --
    risk_max_trade_pct: Decimal | None = None  # % of equity per order (hard: 5)
    risk_max_exposure_pct: Decimal | None = None  # % of equity over all positions (hard: 15)
    risk_max_leverage: Decimal | None = None  # × (hard: 3)
    risk_max_open_positions: int | None = None  # (hard: 3)
    risk_max_daily_loss_pct: Decimal | None = None  # % of equity at 00:00 UTC (hard: 3)
    risk_max_drawdown_pct: Decimal | None = None  # % below peak equity (hard: 10)
    risk_max_stop_distance_pct: Decimal | None = None  # % of entry (hard: 3)
    risk_min_reward_risk: Decimal | None = None  # take-profit distance / stop distance (hard: 1.5)
    risk_cooldown_minutes: int | None = None  # after the losing streak (hard: 30)

    # --- Flower (reads FLOWER_PORT and FLOWER_BASIC_AUTH itself too; never runs without auth) --
    flower_port: int = Field(default=5555, ge=1024, le=65535)
    flower_basic_auth: SecretStr | None = None  # user:password

    # --- validators ----------------------------------------------------------------------
    @field_validator("instruments", mode="before")
    @classmethod
    def _parse_instruments(cls, value: Any) -> Any:
        items = _split_csv(value)
        if not items:
            raise ValueError("expected at least one instrument such as BTC-USDT-SWAP")
        for item in items:
            if not INSTRUMENT_PATTERN.match(item):
                raise ValueError(f"expected instruments like BTC-USDT-SWAP, got {item!r}")
        return items

    @field_validator("sim_data", mode="before")
    @classmethod
    def _parse_sim_data(cls, value: Any) -> Any:
        return _split_csv(value) if value is not None else []

    @field_validator("telegram_chat_ids", "telegram_admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^postgresql(\+psycopg)?://", value.get_secret_value()):
            raise ValueError("expected a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^(redis|rediss|unix)://", value.get_secret_value()):
            raise ValueError("expected a redis:// URL")
        return value

    @field_validator("redis_namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        if not ALNUM_NAMESPACE.match(value):
            raise ValueError("expected 1-40 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("silent_hours_utc")
    @classmethod
    def _check_silent_hours(cls, value: str | None) -> str | None:
        if value and not re.match(r"^([01]?\d|2[0-3])-([01]?\d|2[0-3])$", value):
            raise ValueError("expected hours as START-END in UTC, e.g. 22-6")
        return value or None

    @field_validator("llm_price_file", "economic_calendar_file")
    @classmethod
    def _check_data_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("flower_basic_auth")
    @classmethod
    def _check_basic_auth(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^[^:,]+:[^,]{8,}$", value.get_secret_value()):
            raise ValueError("expected user:password with a password of at least 8 characters and no commas")
        return value

    @field_validator("sim_start")
    @classmethod
    def _check_sim_start(cls, value: str | None) -> str | None:
        if value:
            from datetime import datetime

            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError("expected an ISO-8601 time such as 2026-01-05T00:00:00Z") from exc
        return value or None

    @field_validator(*RISK_SETTINGS, mode="after")
    @classmethod
    def _only_stricter(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            check_setting(str(info.field_name), value)
        return value

    @model_validator(mode="after")
    def _okx_keys_all_or_none(self) -> Settings:
        present = [self.okx_api_key, self.okx_api_secret, self.okx_passphrase]
        if any(present) and not all(present):
            raise ValueError(
                "OKX_API_KEY, OKX_API_SECRET and OKX_PASSPHRASE must be set together (or none of them)"
            )
        sim = [self.sim_api_key, self.sim_api_secret, self.sim_passphrase]
        if any(sim) and not all(sim):
            raise ValueError("SIM_API_KEY, SIM_API_SECRET and SIM_PASSPHRASE must be set together (or none of them)")
        return self

    # --- derived -------------------------------------------------------------------------
    @property
    def uses_simulator(self) -> bool:
        """No OKX credentials: the bot trades on the local simulator."""
        return self.okx_api_key is None

    @property
    def market_speed(self) -> float:
        """Market seconds per wall second: SIM_SPEED on the simulator, 1 on OKX."""
        return self.sim_speed if self.uses_simulator else 1.0

    @property
    def uses_claude(self) -> bool:
        if self.brain_mode == "auto":
            return self.anthropic_api_key is not None
        return self.brain_mode == "claude"

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    def database_dsn(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the configured or embedded database."""
        if self.database_url is not None:
            raw = self.database_url.get_secret_value()
        else:
            raw = f"postgresql://postgres@127.0.0.1:{self.embedded_pg_port}/trading_bot"
        return re.sub(r"^postgresql(\+psycopg)?://", "postgresql+psycopg://", raw)

    def redis_dsn(self) -> str:
        if self.redis_url is not None:
            return self.redis_url.get_secret_value()
        return f"redis://127.0.0.1:{self.embedded_redis_port}/0"

    def risk_limits(self) -> RiskLimits:
        """The hard limits of risk/limits.py tightened by the RISK_* settings."""
        return tightened_by({name: getattr(self, name) for name in RISK_SETTINGS})


_ENV_NAMES = {name: name.upper() for name in Settings.model_fields}


def _describe(error: ErrorDetails) -> str:
    location = error.get("loc") or ()
    field = str(location[0]) if location else ""
    variable = _ENV_NAMES.get(field, field.upper()) or "configuration"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    value = error.get("input")
    hidden = field in SECRET_FIELDS or isinstance(value, dict) or "got " in message
    shown = "" if hidden else f" (got {value!r})"
    return f"{variable}: {message}{shown}"


def validation_message(exc: ValidationError) -> str:
    """One line per invalid variable, joined by '; ' (the text of ConfigError)."""
    return "; ".join(_describe(err) for err in exc.errors())


SECRET_FIELDS = frozenset(
    name for name, info in Settings.model_fields.items() if "SecretStr" in str(info.annotation)
)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings or raise ConfigError with one line per invalid variable joined by '; '.

    TRADING_BOT_ENV_FILE names the dotenv file (default `.env`; empty = none, as tests use)."""
    env_file = os.environ.get("TRADING_BOT_ENV_FILE", ".env") or None
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(validation_message(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests call `get_settings.cache_clear()` after changing the env)."""
    return load_settings()
