"""`trading-bot doctor` checks the exchange key too: a demo key against live says so."""

from __future__ import annotations

import pytest

from tests.kit.cli import clean_env, run_cli
from tests.kit.okx_fixtures import recorded
from tests.kit.okx_http import Reply, scripted_okx

pytestmark = pytest.mark.shared


def _exchange_line(output: str) -> str:
    return next(line for line in output.splitlines() if "exchange" in line)


@pytest.mark.parametrize(("balance", "verdict", "detail"), [
    (Reply(recorded("account_balance__multi-ccy_TRIMMED_BTC-LTC-USDT.json")), "OK", "accepts the key"),
    (Reply({"msg": "APIKey does not match current environment.", "code": "50101"}, status=401), "FAIL", "OKX_FLAG=1"),
])
def test_doctor_reports_whether_the_key_works(balance: Reply, verdict: str, detail: str) -> None:
    with scripted_okx() as okx:
        okx.always("/api/v5/public/time", Reply(recorded("public_time.json")))
        okx.always("/api/v5/account/balance", balance)
        env = clean_env(OKX_API_KEY="doctor-key-1", OKX_API_SECRET="doctor-secret-1", OKX_PASSPHRASE="doctor-pass-1",
                        OKX_REST_URL=okx.url, OKX_MAX_RETRIES="0")
        result = run_cli("doctor", env=env)
    line = _exchange_line(result.stdout)
    assert line.startswith(verdict) and detail in line, result.stdout
    assert "doctor-secret-1" not in result.stdout + result.stderr
