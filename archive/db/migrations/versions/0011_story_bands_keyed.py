"""story bands keyed: story_bands(band, hash, article_id) as the primary key (SQLite: WITHOUT ROWID),
lead bands of 4 values, bucket keys folded from the values

The story check's per-insert cost (issue 13): a text's band rows went into three B-trees (the
rowid table, the lookup index, the article_id index); keyed by (band, hash, article_id) alone they
go into one, and an edit finds an article's old rows by their keys, recomputed from its stored
signature. The lead's 32 values become 8 bands of 4 (were 16 of 2): 8 rows a text fewer, and
articles sharing only part of a lead (an outlet's standard first sentence) rarely share a bucket.
A bucket key is its values folded into 64 bits (the values are uniform hashes already), no longer
a blake2b of them.

Every article's bands are recomputed from its stored signature (``story_signatures``): no text is
read and no story changes. The band functions of both layouts are frozen here, as they were at
this revision; ``tests/archive/db/test_migrations.py`` checks the upgrade's against the code's.

Revision ID: 0011
Revises: 0010
Created: 2026-12-07 21:05:00
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

WHOLE_BANDS, WHOLE_ROWS = 42, 3
LEAD_OFFSET = 1000
CHUNK = 5000  # signatures read (and their bands written) at a time

Bands = list[tuple[int, int]]


def _folded(values: bytes, bands: int, rows: int, offset: int) -> Bands:
    width = 4 * rows
    out = []
    for band in range(bands):
        chunk = values[band * width:(band + 1) * width]
        key = 0
        for start in range(0, width, 8):
            key ^= int.from_bytes(chunk[start:start + 8], "little")
        out.append((offset + band, key - (1 << 64) if key >= 1 << 63 else key))
    return out


def _blake2b(values: bytes, bands: int, rows: int, offset: int) -> Bands:
    width = 4 * rows
    out = []
    for band in range(bands):
        number = offset + band
        digest = hashlib.blake2b(values[band * width:(band + 1) * width], digest_size=8,
                                 salt=number.to_bytes(4, "little")).digest()
        out.append((number, int.from_bytes(digest, "little", signed=True)))
    return out


def bands_0011(minhash: bytes, lead: bytes) -> Bands:
    return _folded(minhash, WHOLE_BANDS, WHOLE_ROWS, 0) + _folded(lead, 8, 4, LEAD_OFFSET)


def bands_0010(minhash: bytes, lead: bytes) -> Bands:
    return _blake2b(minhash, WHOLE_BANDS, WHOLE_ROWS, 0) + _blake2b(lead, 16, 2, LEAD_OFFSET)


def _signatures(conn: sa.Connection) -> Iterator[list[tuple[int, bytes, bytes]]]:
    """All stored signatures, CHUNK at a time in article order (never all in memory)."""
    last = -1
    while True:
        rows = conn.execute(sa.text("SELECT article_id, minhash, lead FROM story_signatures "
                                    "WHERE article_id > :last ORDER BY article_id LIMIT :n"),
                            {"last": last, "n": CHUNK}).all()
        if not rows:
            return
        yield [(int(r[0]), bytes(r[1]), bytes(r[2])) for r in rows]
        last = int(rows[-1][0])


def _fill(table: str, bands_of: Callable[[bytes, bytes], Bands]) -> None:
    conn = op.get_bind()
    insert = sa.text(f"INSERT INTO {table} (band, hash, article_id) VALUES (:band, :hash, :article_id)")
    for chunk in _signatures(conn):
        conn.execute(insert, [{"band": band, "hash": value, "article_id": article_id}
                              for article_id, minhash, lead in chunk
                              for band, value in bands_of(minhash, lead)])


def _rename_primary_key(old: str, new: str) -> None:
    """PostgreSQL names a table's primary key after the table it was created as."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE story_bands RENAME CONSTRAINT {old} TO {new}")


def upgrade() -> None:
    op.create_table('story_bands_keyed',
    sa.Column('band', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('band', 'hash', 'article_id'),
    sqlite_with_rowid=False
    )
    _fill('story_bands_keyed', bands_0011)
    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.drop_index('ix_story_bands_band_hash_article')
        batch_op.drop_index('ix_story_bands_article_id')
    op.drop_table('story_bands')
    op.rename_table('story_bands_keyed', 'story_bands')
    _rename_primary_key('story_bands_keyed_pkey', 'story_bands_pkey')


def downgrade() -> None:
    op.create_table('story_bands_rowid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('hash', sa.BigInteger(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _fill('story_bands_rowid', bands_0010)
    op.drop_table('story_bands')
    op.rename_table('story_bands_rowid', 'story_bands')
    _rename_primary_key('story_bands_rowid_pkey', 'story_bands_pkey')
    if op.get_bind().dialect.name == "postgresql":  # its id's sequence, named after the old name too
        op.execute("ALTER SEQUENCE story_bands_rowid_id_seq RENAME TO story_bands_id_seq")
    with op.batch_alter_table('story_bands', schema=None) as batch_op:
        batch_op.create_index('ix_story_bands_article_id', ['article_id'], unique=False)
        batch_op.create_index('ix_story_bands_band_hash_article', ['band', 'hash', 'article_id'], unique=False)
