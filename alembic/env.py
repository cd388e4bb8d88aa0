"""Alembic environment: URL from the bot's settings unless the caller passed one."""

from __future__ import annotations

from sqlalchemy import create_engine, pool

from alembic import context
from trading_bot.storage.models import Base

config = context.config
target_metadata = Base.metadata

# Objects TimescaleDB creates by itself (hypertable time index) are not part of the models.
TIMESCALE_OWNED = {"candles_ts_idx"}


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001, ANN201
    return not (type_ == "index" and reflected and name in TIMESCALE_OWNED)


def _dsn() -> str:
    dsn = config.attributes.get("dsn") or config.get_main_option("sqlalchemy.url")
    if dsn:
        return dsn
    from trading_bot.config import get_settings

    return get_settings().database_dsn()


def run_migrations_offline() -> None:
    context.configure(url=_dsn(), target_metadata=target_metadata, literal_binds=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_dsn(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata, include_object=include_object,
                      compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
