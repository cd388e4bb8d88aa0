"""`trading-bot halt --emergency` against a real simulator over HTTP: the state becomes
EMERGENCY_HALTED and the action list closes the position and cancels the entry on the venue."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from tests.kit.cli import clean_env, run_cli
from trading_bot.domain.orders import OrderRequest
from trading_bot.storage.models import BotStateEvent
from trading_bot.storage.streams import SYSTEM_ALERTS

BTC = "BTC-USDT-SWAP"


def test_emergency_halt_from_the_command_line_flattens_the_venue(tmp_path: Path, db_url, redis_url, namespace,
                                                                 database, redis_client, keys):
    from tests.integration.okx.conftest import adapter_for
    from tests.kit.sim import running_sim

    with running_sim(seed=7) as sim:
        venue = adapter_for(sim)
        venue.set_leverage(BTC, Decimal(3), "isolated")
        venue.place_order(OrderRequest(inst_id=BTC, side="buy", ord_type="market", size=Decimal("0.5"),
                                       td_mode="isolated", cl_ord_id="open1"))
        price = venue.ticker(BTC).last
        venue.place_order(OrderRequest(inst_id=BTC, side="buy", ord_type="limit", size=Decimal("0.2"),
                                       price=(price * Decimal("0.9")).quantize(Decimal("0.1")), td_mode="isolated",
                                       cl_ord_id="wait1"))
        assert len(venue.positions()) == 1 and len(venue.pending_orders()) == 1
        var = tmp_path / "var"
        var.mkdir()
        from trading_bot.config import load_settings
        from trading_bot.exchange.okx.endpoints import sim_credentials_path

        path = sim_credentials_path(load_settings(var_dir=var))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(
            {"api_key": sim.api_key, "secret_key": sim.secret_key, "passphrase": sim.passphrase}))
        env = clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, VAR_DIR=str(var),
                        SIM_PORT=str(sim.server.port))

        done = run_cli("halt", "--emergency", "--reason", "exchange incident", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "EMERGENCY_HALTED" in done.stdout and "; flat" in done.stdout
        assert venue.positions() == [] and venue.pending_orders() == []
        again = run_cli("halt", "--emergency", env=env)  # repeating is harmless
        assert again.returncode == 0 and "already EMERGENCY_HALTED" in again.stdout
        venue.close()

    with database.session() as session:
        row = session.scalars(select(BotStateEvent)).one()
        assert (row.to_state, row.reason) == ("EMERGENCY_HALTED", "exchange incident")
    kinds = [json.loads(f["data"])["kind"] for _, f in redis_client.xrange(keys.stream(SYSTEM_ALERTS))]
    assert kinds == ["bot_emergency_halted", "emergency_flatten", "emergency_flatten"]
