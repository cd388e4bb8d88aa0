"""`trading-bot cycle INSTRUMENT`: one decision cycle now, in this process, through the same stages,
lock and exchange as the beat's cycles (trigger `manual`), with its timeline printed."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from trading_bot.cli.common import bootstrap, console, embedded_for_command, fail
from trading_bot.config import INSTRUMENT_PATTERN


def register(app: typer.Typer) -> None:
    @app.command("cycle")
    def cycle(
        instrument: str = typer.Argument(..., help="The instrument, e.g. BTC-USDT-SWAP."),
        fill_wait: int = typer.Option(30, "--fill-wait", min=0, max=300,
                                      help="Seconds an entry gets to fill before it is cancelled."),
    ) -> None:
        """Run one decision cycle now (collect → screen → analyze → risk check → execute → confirm →
        journal) against the configured exchange, and print its timeline. Needs the venue (the
        simulator of `trading-bot run`/`trading-bot sim`, or OKX) but no Celery worker."""
        from trading_bot.pipeline.flow import run_cycle
        from trading_bot.pipeline.ids import cycle_id_for
        from trading_bot.pipeline.locks import cycle_locks
        from trading_bot.pipeline.wiring import ports_in_force
        from trading_bot.storage.repos.cycles import get_cycle

        settings = bootstrap()
        if not INSTRUMENT_PATTERN.match(instrument):
            raise fail(f"{instrument!r} is not an OKX USDT perpetual swap id (like BTC-USDT-SWAP)", 2)
        with embedded_for_command(settings, postgres=True, redis=True):
            ports = ports_in_force(settings)  # with Telegram's runtime overrides, as the beat's cycles
            slot = ports.clock.now()
            cycle_id = cycle_id_for(instrument, slot, ports.run_id, "manual")
            locks = cycle_locks(settings)
            if not locks.acquire(instrument, cycle_id):
                raise fail(f"a cycle of {instrument} is running ({locks.holder(instrument)}); try again when it ends")
            def wait(attempt: int) -> bool:  # a second between fill checks, until --fill-wait
                time.sleep(1)
                return attempt < fill_wait

            try:
                outcome = run_cycle(ports, instrument, slot, "manual", wait=wait)
            finally:
                locks.release(instrument, cycle_id)
            row = get_cycle(ports.db, cycle_id)
            table = Table("stage", "started (UTC)", "ms", "outcome", title=f"cycle {cycle_id}")
            for entry in (row.timeline if row else []):
                table.add_row(entry["stage"], entry["started_at"][11:23], str(entry["ms"]), entry["outcome"])
            console.print(table)
            console.print(f"outcome: {outcome}", markup=False)
