"""cover story band lookups: story_bands(band, hash, article_id) replaces story_bands(band, hash)

The story check reads, per band of a new text, the most recent article ids of its (band, hash)
bucket; with article_id in the index those are index-only range scans, read backwards, and the
table is never touched. The old index is a prefix of the new one: dropped.

Revision ID: 0010
Revises: 0009
Created: 2026-12-07 14:19:08.099195
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the new index first: the story check has an index at every step
    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.create_index('ix_story_bands_band_hash_article', ['band', 'hash', 'article_id'], unique=False)
        batch_op.drop_index('ix_story_bands_band_hash')


def downgrade() -> None:
    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.create_index('ix_story_bands_band_hash', ['band', 'hash'], unique=False)
        batch_op.drop_index('ix_story_bands_band_hash_article')
