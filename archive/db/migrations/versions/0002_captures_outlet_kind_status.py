"""Index captures (outlet_id, kind, status): revisitable_pages filters an outlet's captures by both.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_captures_outlet_kind_status", "captures", ["outlet_id", "kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_captures_outlet_kind_status", table_name="captures")
