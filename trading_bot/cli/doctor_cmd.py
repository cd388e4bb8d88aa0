"""`trading-bot doctor`: one OK/FAIL line per dependency, with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import typer

from trading_bot.cli.common import bootstrap, console
from trading_bot.config import Settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _postgres(settings: Settings) -> Check:
    from trading_bot.storage import migrate

    dsn = settings.database_dsn()
    where = "embedded PostgreSQL" if settings.embedded_database else "DATABASE_URL"
    try:
        current = migrate.current_revision(dsn)
    except Exception as exc:  # noqa: BLE001 - any failure is the reason to report
        hint = " (start it with `trading-bot services start`)" if settings.embedded_database else ""
        return Check("postgres", False, f"{where} unreachable: {type(exc).__name__}{hint}")
    head = migrate.head_revision()
    if current != head:
        return Check("postgres", False, f"{where} reachable, schema at {current or 'base'} but head is {head}: "
                     "run `trading-bot db upgrade`")
    return Check("postgres", True, f"{where} reachable, schema at head {head}")


def _redis(settings: Settings) -> Check:
    import redis

    where = "embedded Redis" if settings.embedded_redis else "REDIS_URL"
    try:
        client = redis.Redis.from_url(settings.redis_dsn(), socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "?")
    except Exception as exc:  # noqa: BLE001
        return Check("redis", False, f"{where} unreachable: {type(exc).__name__}")
    if policy not in ("noeviction", "?"):
        return Check("redis", False, f"{where} reachable but maxmemory-policy is {policy}; Celery needs noeviction")
    return Check("redis", True, f"{where} reachable")


def _exchange(settings: Settings) -> Check:
    import httpx

    if settings.uses_simulator:
        base, what = f"http://127.0.0.1:{settings.sim_port}", "simulator"
    else:
        base, what = settings.okx_rest_url, f"OKX ({'demo' if settings.okx_flag == '1' else 'live'})"
    try:
        response = httpx.get(f"{base}/api/v5/public/time", headers={"x-simulated-trading": settings.okx_flag},
                             timeout=5)
        body = response.json()
    except Exception as exc:  # noqa: BLE001
        hint = " (it runs inside `trading-bot run`)" if settings.uses_simulator else ""
        return Check("exchange", False, f"{what} at {base} unreachable: {type(exc).__name__}{hint}")
    if body.get("code") != "0":
        return Check("exchange", False, f"{what} answered code {body.get('code')}: {body.get('msg')}")
    return _exchange_key(settings, what, base)


def _exchange_key(settings: Settings, what: str, base: str) -> Check:
    """The key must work too (a demo key against live answers 50101, and says so)."""
    from trading_bot.config import ConfigError
    from trading_bot.exchange.errors import ExchangeError
    from trading_bot.exchange.factory import build_okx

    try:
        exchange = build_okx(settings)
        try:
            equity = exchange.account().equity
        finally:
            exchange.close()
    except (ConfigError, ExchangeError) as exc:
        return Check("exchange", False, f"{what} at {base} answers, but the account check failed: {exc}")
    return Check("exchange", True, f"{what} at {base} answers and accepts the key (equity {equity} USDT)")


def _anthropic(settings: Settings) -> Check:
    if settings.anthropic_api_key is not None:
        return Check("anthropic", True, f"ANTHROPIC_API_KEY set; models {settings.haiku_model} / {settings.opus_model}")
    if settings.brain_mode == "claude":
        return Check("anthropic", False, "BRAIN_MODE=claude but ANTHROPIC_API_KEY is not set")
    return Check("anthropic", True, "ANTHROPIC_API_KEY not set: the offline rules brain (rules-v1) decides")


def _perplexity(settings: Settings) -> Check:
    if settings.perplexity_api_key is not None:
        return Check("perplexity", True, "PERPLEXITY_API_KEY set: research enabled")
    return Check("perplexity", True, "PERPLEXITY_API_KEY not set: research is skipped (prompts say so)")


CHECKS: tuple[Callable[[Settings], Check], ...] = (_postgres, _redis, _exchange, _anthropic, _perplexity)


def run_checks(settings: Settings) -> list[Check]:
    return [check(settings) for check in CHECKS]


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor() -> None:
        """Check PostgreSQL, Redis, the exchange (OKX or simulator) and LLM keys; exit 1 on any FAIL."""
        settings = bootstrap()
        results = run_checks(settings)
        for item in results:
            console.print(f"{'OK  ' if item.ok else 'FAIL'} {item.name:<11} {item.detail}", markup=False)
        if not all(item.ok for item in results):
            raise typer.Exit(1)
