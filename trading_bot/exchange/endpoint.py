"""Where the bot's OKX clients connect and with which credentials.

With OKX keys configured: OKX (demo by default) at the configured URLs. Without keys the bot trades
on the local simulator: REST `http://127.0.0.1:SIM_PORT`, WebSockets `ws://127.0.0.1:SIM_PORT/ws/v5/…`,
and the simulator's credentials (SIM_API_* or the generated `VAR_DIR/sim/credentials.json`).
`trading-bot run` passes the resolved values to every role as OKX_* variables, so roles see an
ordinary OKX configuration; a role started on its own in simulator mode resolves the same values here.
"""

from __future__ import annotations

from dataclasses import dataclass

from trading_bot.config import Settings


@dataclass(frozen=True)
class OkxEndpoint:
    rest_url: str
    ws_public_url: str
    ws_private_url: str
    ws_business_url: str
    api_key: str
    secret_key: str
    passphrase: str
    flag: str
    simulator: bool

    def __repr__(self) -> str:  # the secret and passphrase never reach logs
        return f"OkxEndpoint(rest_url={self.rest_url!r}, simulator={self.simulator})"

    def as_env(self) -> dict[str, str]:
        return {"OKX_REST_URL": self.rest_url, "OKX_WS_PUBLIC_URL": self.ws_public_url,
                "OKX_WS_PRIVATE_URL": self.ws_private_url, "OKX_WS_BUSINESS_URL": self.ws_business_url,
                "OKX_API_KEY": self.api_key, "OKX_API_SECRET": self.secret_key, "OKX_PASSPHRASE": self.passphrase,
                "OKX_FLAG": self.flag}


def okx_endpoint(settings: Settings) -> OkxEndpoint:
    if not settings.uses_simulator:
        secret = lambda v: v.get_secret_value() if v is not None else ""  # noqa: E731
        return OkxEndpoint(settings.okx_rest_url, settings.okx_ws_public_url, settings.okx_ws_private_url,
                           settings.okx_ws_business_url, secret(settings.okx_api_key), secret(settings.okx_api_secret),
                           secret(settings.okx_passphrase), settings.okx_flag, simulator=False)
    from trading_bot.exchange.sim.credentials import load_or_create

    creds, _ = load_or_create(settings)
    base = f"127.0.0.1:{settings.sim_port}"
    return OkxEndpoint(f"http://{base}", f"ws://{base}/ws/v5/public", f"ws://{base}/ws/v5/private",
                       f"ws://{base}/ws/v5/business", creds.api_key, creds.secret_key, creds.passphrase, "1",
                       simulator=True)
