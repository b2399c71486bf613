"""Alembic environment for the ledger: runs on the connection the ledger hands over,
or, from the command line, on the database named by `-x url=...` or `sqlalchemy.url`."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from ledger.database import open_engine, writer
from ledger.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_from_command_line() -> None:
    if config.config_file_name is not None:
        # Only here: when the ledger opens itself, the application owns logging.
        fileConfig(config.config_file_name)
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("name the database: alembic -x url=sqlite:///ledger.db upgrade head")
    engine = open_engine(url, pool_size=1)
    try:
        with writer(engine).begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the ledger's migrations run online only")

handed_over = config.attributes.get("connection")
if handed_over is not None:
    _run(handed_over)
else:
    _run_from_command_line()
