"""OKX authentication, checked on raw requests: HMAC over timestamp + method + raw path with query +
raw body, a 30-second window, the demo header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.kit.sim import RunningSim, running_sim
from trading_bot.exchange.sim.auth import sign


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSim]:
    with running_sim() as running:
        yield running


def stamp(shift: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + shift).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


def call(sim: RunningSim, method: str, path: str, body: str = "", *, ts: str | None = None, secret: str | None = None,
         drop: tuple[str, ...] = (), **override: str) -> httpx.Response:
    ts = ts or stamp()
    headers = {"Content-Type": "application/json", "OK-ACCESS-KEY": sim.api_key, "OK-ACCESS-TIMESTAMP": ts,
               "OK-ACCESS-PASSPHRASE": sim.passphrase, "x-simulated-trading": "1",
               "OK-ACCESS-SIGN": sign(secret or sim.secret_key, f"{ts}{method}{path}{body}")}
    headers.update(override)
    for name in drop:
        headers.pop(name)
    return httpx.request(method, f"{sim.rest_url}{path}", headers=headers, content=body or None)


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_a_correctly_signed_request_passes_with_the_query_as_sent(sim: RunningSim) -> None:
    response = call(sim, "GET", "/api/v5/account/positions?instId=BTC-USDT-SWAP&instType=SWAP")
    assert response.status_code == 200 and response.json() == {"code": "0", "msg": "", "data": []}
    body = '{"instId": "BTC-USDT-SWAP",  "lever": "7", "mgnMode": "cross"}'  # odd spacing: signed byte for byte
    assert call(sim, "POST", "/api/v5/account/set-leverage", body).json()["data"][0]["lever"] == "7"


def test_refusals(sim: RunningSim) -> None:
    path = "/api/v5/account/balance"
    assert code(call(sim, "GET", path, secret="not-the-secret")) == (401, "50113")
    assert code(call(sim, "GET", path, ts=stamp(timedelta(seconds=-45)))) == (401, "50102")
    assert code(call(sim, "GET", path, drop=("x-simulated-trading",))) == (401, "50101")
    assert code(call(sim, "GET", path, **{"x-simulated-trading": "0"})) == (401, "50101")
    assert code(call(sim, "GET", path, drop=("OK-ACCESS-KEY",))) == (401, "50103")
    assert code(call(sim, "GET", path, drop=("OK-ACCESS-PASSPHRASE",))) == (401, "50104")
    assert code(call(sim, "GET", path, **{"OK-ACCESS-PASSPHRASE": "wrong"})) == (401, "50105")
    assert code(call(sim, "GET", path, ts="yesterday")) == (401, "50112")
    assert code(call(sim, "GET", path, **{"OK-ACCESS-KEY": "nobody"})) == (401, "50111")
    tampered = call(sim, "GET", "/api/v5/account/positions?instType=SWAP", **{
        "OK-ACCESS-SIGN": sign(sim.secret_key, "x")})
    assert code(tampered) == (401, "50113")
    assert "data" not in tampered.json()
    assert httpx.get(f"{sim.rest_url}/api/v5/public/time").status_code == 200  # public needs no signature
