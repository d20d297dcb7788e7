"""Alembic's environment: always online, on the connection ``archive.db.migrate`` hands in.

The caller owns the transaction (and the one-upgrader lock), so nothing here begins or commits.
"""

from __future__ import annotations

from alembic import context

from archive.db.migrate import include_object
from archive.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'pressclips db upgrade' (archive.db.migrate), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    compare_type=True,
    # SQLite cannot ALTER most things: autogenerate writes batch operations (copy and move) for it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
