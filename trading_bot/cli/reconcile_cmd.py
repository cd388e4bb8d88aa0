"""`trading-bot reconcile`: compare the exchange with the database once, repair what is safe."""

from __future__ import annotations

import typer

from trading_bot.cli.common import bootstrap, console, fail


def register(app: typer.Typer) -> None:
    @app.command("reconcile")
    def reconcile(
        dry_run: bool = typer.Option(False, "--dry-run", help="Only read and report; repair nothing."),
    ) -> None:
        """Check every open position has its stop-loss on the exchange (re-placing a missing one),
        record unknown or finished orders, cancel orphaned TP/SL orders, and report journal
        mismatches on system:alerts. Beat runs the same check every minute."""
        from trading_bot.exchange.errors import ExchangeError
        from trading_bot.exchange.factory import shared_okx
        from trading_bot.exchange.reconcile import Reconciler, report
        from trading_bot.exchange.venue_clock import bot_clock
        from trading_bot.storage.db import Database
        from trading_bot.storage.redis_client import get_redis
        from trading_bot.storage.streams import Keys

        settings = bootstrap()
        reconciler = Reconciler(shared_okx(settings), Database.from_settings(settings), settings.okx_fallback_stop_pct,
                                dry_run=dry_run)
        try:
            findings = reconciler.run()
        except ExchangeError as exc:
            raise fail(f"reconciliation failed: {exc}") from None
        if not dry_run:
            report(get_redis(settings), Keys(settings.redis_namespace), findings, bot_clock(settings).now())
        for finding in findings:
            state = "repaired" if finding.repaired else "reported"
            console.print(f"{finding.severity:8} {finding.kind:24} {finding.inst_id:16} {state}: {finding.message}",
                          markup=False)
        console.print(f"{len(findings)} finding(s), {sum(f.repaired for f in findings)} repaired", markup=False)
