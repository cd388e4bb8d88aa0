"""OKX request signing, checked exactly as OKX does.

REST: Base64(HMAC-SHA256(secret, timestamp + METHOD + path-with-query-as-sent + raw body)), the
timestamp an ISO-8601 UTC string with milliseconds, at most 30 s from the server's wall clock.
WebSocket login: the same HMAC over `timestamp + "GET" + "/users/self/verify"`, the timestamp in
Unix seconds (python-okx sends an integer). Signatures are checked against *wall* time even when
the market runs fast-forward: clients sign with their own clocks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from trading_bot.exchange.sim.orders import Reject

WINDOW_SECONDS = 30
ISO_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret_key: str
    passphrase: str

    def __repr__(self) -> str:  # never print the secret or the passphrase
        return f"Credentials(api_key={self.api_key[:4]}…)"


def sign(secret: str, prehash: str) -> str:
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _deny(code: str, msg: str) -> Reject:
    return Reject(code, msg, 401)


def check_rest(headers: Mapping[str, str], method: str, path_qs: str, body: str, creds: Credentials,
               wall_s: float) -> None:
    """Raise the Reject OKX would answer (HTTP 401) for a badly authenticated private request."""
    if headers.get("x-simulated-trading", "") != "1":
        raise _deny("50101", "APIKey does not match current environment.")
    key = headers.get("OK-ACCESS-KEY", "")
    if not key:
        raise _deny("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.')
    passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
    if not passphrase:
        raise _deny("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.')
    stamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    if not ISO_STAMP.match(stamp):
        raise _deny("50112", "Invalid OK-ACCESS-TIMESTAMP.")
    if not hmac.compare_digest(key, creds.api_key):
        raise _deny("50111", "Invalid OK-ACCESS-KEY")  # recorded wording (no period)
    if not hmac.compare_digest(passphrase, creds.passphrase):
        raise _deny("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.')
    sent = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    if abs(sent - wall_s) > WINDOW_SECONDS:
        raise _deny("50102", "Timestamp request expired.")
    expected = sign(creds.secret_key, f"{stamp}{method.upper()}{path_qs}{body}")
    if not hmac.compare_digest(headers.get("OK-ACCESS-SIGN", ""), expected):
        raise _deny("50113", "Invalid signature.")


def check_ws_login(args: Mapping[str, object], creds: Credentials, wall_s: float) -> bool:
    stamp = args.get("timestamp")
    try:
        seconds = float(str(stamp))
    except ValueError:
        return False
    if abs(seconds - wall_s) > WINDOW_SECONDS:
        return False
    expected = sign(creds.secret_key, f"{stamp}GET/users/self/verify")
    return (hmac.compare_digest(str(args.get("apiKey", "")), creds.api_key)
            and hmac.compare_digest(str(args.get("passphrase", "")), creds.passphrase)
            and hmac.compare_digest(str(args.get("sign", "")), expected))
