"""The simulator's API key, secret and passphrase.

Configured ones (SIM_API_KEY / SIM_API_SECRET / SIM_PASSPHRASE) win; otherwise a set is generated
once into `VAR_DIR/sim/credentials.json` (mode 0600) and reused: `trading-bot run` prepares it before
any role starts, and the OKX adapter of every role in simulator mode reads that file
(`exchange/okx/endpoints.py`). When configured, they are also written there so the
adapter finds them the same way.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from trading_bot.config import Settings
from trading_bot.exchange.okx.endpoints import sim_credentials_path
from trading_bot.exchange.sim.auth import Credentials


def credentials_path(settings: Settings) -> Path:
    return sim_credentials_path(settings)


def configured(settings: Settings) -> Credentials | None:
    key, secret, passphrase = settings.sim_api_key, settings.sim_api_secret, settings.sim_passphrase
    if key is None or secret is None or passphrase is None:
        return None
    return Credentials(key.get_secret_value(), secret.get_secret_value(), passphrase.get_secret_value())


def generate() -> Credentials:
    return Credentials(f"sim-{secrets.token_hex(12)}", secrets.token_urlsafe(24), secrets.token_urlsafe(12))


def load_or_create(settings: Settings) -> tuple[Credentials, Path | None]:
    """(credentials, file they were read from or written to; None when configured)."""
    path = credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    creds = configured(settings)
    if creds is not None:
        _write(path, creds, exclusive=False)
        return creds, None
    creds = generate()
    try:
        _write(path, creds, exclusive=True)
    except FileExistsError:
        return _read(path), path
    return creds, path


def _write(path: Path, creds: Credentials, exclusive: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)  # O_EXCL: when two processes race, exactly one writes
    with os.fdopen(fd, "w") as handle:
        json.dump({"api_key": creds.api_key, "secret_key": creds.secret_key, "passphrase": creds.passphrase}, handle)


def _read(path: Path) -> Credentials:
    for _ in range(50):  # the writer may still be between open() and write()
        text = path.read_text()
        if text:
            data = json.loads(text)
            return Credentials(data["api_key"], data["secret_key"], data["passphrase"])
        time.sleep(0.02)
    raise ValueError(f"{path} is empty: delete it and start again")
