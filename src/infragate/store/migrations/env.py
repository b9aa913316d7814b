"""Alembic environment: run migrations on the connection the store hands over (never from a URL in a file)."""

from __future__ import annotations

from alembic import context

from infragate.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
