"""Baseline: schema 3 as the last pressclips without Alembic made it, with the full-text index.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from archive.db.fts import install_on as install_fts
from archive.db.migrate import record_legacy_version
from archive.db.migrations.baseline import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    metadata.create_all(conn, checkfirst=False)
    install_fts(conn)
    record_legacy_version(conn)


def downgrade() -> None:
    raise NotImplementedError("an archive is never downgraded below its baseline")
