"""CJK substring search: the SQLite FTS5 trigram table (+ triggers, backfilled) or PostgreSQL's
partial pg_trgm index over versions holding CJK text.

Both are owned by ``archive.db.fts`` (its DDL is per dialect and idempotent), so this revision runs
its installer: an archive stamped at the baseline before these objects existed gets them here.

Revision ID: 0004
Revises: 0003
Created: 2026-12-07 (issue 13: search syntax)
"""

from __future__ import annotations

from alembic import op

from archive.db.fts import install_on as install_fts

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_fts(op.get_bind())


def downgrade() -> None:
    pass  # the search objects are harmless to an older pressclips and dropped with the archive
