"""The simulator's API key, secret and passphrase.

Configured ones (SIM_API_KEY / SIM_API_SECRET / SIM_PASSPHRASE) win; otherwise a set is generated
once into `VAR_DIR/sim/credentials.json` (mode 0600) and reused, so `trading-bot run` can hand the
same credentials to every role, and a role started on its own in simulator mode can read them.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from trading_bot.config import Settings
from trading_bot.exchange.sim.auth import Credentials


def credentials_path(settings: Settings) -> Path:
    return settings.var_dir / "sim" / "credentials.json"


def configured(settings: Settings) -> Credentials | None:
    values = (settings.sim_api_key, settings.sim_api_secret, settings.sim_passphrase)
    if any(v is None for v in values):
        return None
    key, secret, passphrase = (v.get_secret_value() for v in values)  # type: ignore[union-attr]
    return Credentials(key, secret, passphrase)


def generate() -> Credentials:
    return Credentials(f"sim-{secrets.token_hex(12)}", secrets.token_urlsafe(24), secrets.token_urlsafe(12))


def load_or_create(settings: Settings) -> tuple[Credentials, Path | None]:
    """(credentials, file they were read from or written to; None when configured)."""
    creds = configured(settings)
    if creds is not None:
        return creds, None
    path = credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    creds = generate()
    try:  # O_EXCL: when the simulator and a role race, exactly one writes and both read the same file
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path), path
    with os.fdopen(fd, "w") as handle:
        json.dump({"api_key": creds.api_key, "secret_key": creds.secret_key, "passphrase": creds.passphrase}, handle)
    return creds, path


def _read(path: Path) -> Credentials:
    for _ in range(50):  # the writer may still be between open() and write()
        text = path.read_text()
        if text:
            data = json.loads(text)
            return Credentials(data["api_key"], data["secret_key"], data["passphrase"])
        time.sleep(0.02)
    raise ValueError(f"{path} is empty: delete it and start again")
