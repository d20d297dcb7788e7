"""Alembic's script directory: ``env.py``, ``versions/`` (one file per revision) and the frozen
baseline schema. Driven by ``archive.db.migrate``; see README "Adding a schema change"."""
