"""`trading-bot db upgrade|downgrade|current`."""

from __future__ import annotations

import typer

from trading_bot.cli.common import bootstrap, console, embedded_for_command


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade(revision: str = typer.Argument("head", help="Target revision (default: head).")) -> None:
        """Apply migrations up to REVISION."""
        from trading_bot.storage import migrate

        settings = bootstrap()
        with embedded_for_command(settings):
            migrate.upgrade(settings.database_dsn(), revision)
            console.print(f"database at revision {migrate.current_revision(settings.database_dsn())}")

    @db.command("downgrade")
    def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. 'base' or '-1'.")) -> None:
        """Revert migrations down to REVISION ('base' empties the schema)."""
        from trading_bot.storage import migrate

        settings = bootstrap()
        with embedded_for_command(settings):
            migrate.downgrade(settings.database_dsn(), revision)
            console.print(f"database at revision {migrate.current_revision(settings.database_dsn()) or 'base'}")

    @db.command("current")
    def current() -> None:
        """Show the database's revision and the newest available one."""
        from trading_bot.storage import migrate

        settings = bootstrap()
        with embedded_for_command(settings):
            now = migrate.current_revision(settings.database_dsn())
            head = migrate.head_revision()
            state = "up to date" if now == head else "behind: run `trading-bot db upgrade`"
            console.print(f"current {now or 'base'}, head {head} ({state})")
