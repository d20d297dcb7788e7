"""Which database the archives that tests create live in: the one switch that runs the suite on
SQLite or on PostgreSQL.

``PRESSCLIPS_TEST_BACKEND``:

- ``sqlite`` (the default): an archive directory's database is its own ``pressclips.sqlite3``,
  as for a user who passes only ``--archive``.
- ``postgresql``: every archive directory a test names gets a schema of its own on the test
  PostgreSQL (``PRESSCLIPS_TEST_PG``), named from the directory's path, and every way a test
  reaches an archive passes its URL: ``run_cli``/``invoke_cli`` and the crawl runners add
  ``--database-url`` after ``--archive DIR`` (``with_database``), and tests that read the
  database themselves ask ``archive_url(DIR)``. The crawls, the CLI and the web UI then run
  exactly as a PostgreSQL user runs them.

A test can also put one archive on a given backend whatever the switch says, ``place(DIR,
"postgresql")``: the seeded crawl modules put one of their seeds on PostgreSQL, so that the default
(SQLite) run still crawls, kills and re-crawls into PostgreSQL end to end without running every
seed twice. A placement on PostgreSQL skips the test, with the reason, where it is unreachable.

Tests that are about what only an SQLite archive has (its file, the ``flock`` beside it, a
full disk under it) carry ``@pytest.mark.sqlite_only`` and are skipped, with that reason, in
PostgreSQL mode. Tests that take the ``database_url`` fixture run on both backends in either
mode. The schemas made here are dropped when the test process ends.
"""

from __future__ import annotations

import atexit
import hashlib
import os
from pathlib import Path

BACKEND_ENV = "PRESSCLIPS_TEST_BACKEND"
BACKENDS = ("sqlite", "postgresql")
PG_URL = os.environ.get("PRESSCLIPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASE_FILE = "pressclips.sqlite3"
# Commands that take --archive but no --database-url (the demo always builds its own SQLite archive).
_NO_DATABASE_OPTION = frozenset({"demo"})

_schemas: set[str] = set()
_placed: dict[Path, str] = {}  # archive directory -> backend, for the archives a test placed itself


def backend() -> str:
    """The backend this test run puts its archives on; an unknown value is a usage error."""
    name = os.environ.get(BACKEND_ENV, "sqlite").strip().lower() or "sqlite"
    if name not in BACKENDS:
        raise SystemExit(f"{BACKEND_ENV}={name!r}: expected one of {', '.join(BACKENDS)}")
    return name


def on_postgresql() -> bool:
    return backend() == "postgresql"


def place(archive: str | Path, backend_name: str) -> Path:
    """Put the archive in directory ``archive`` on ``backend_name`` (``sqlite`` or ``postgresql``)
    for this test process, whatever ``PRESSCLIPS_TEST_BACKEND`` says; returns the directory.
    A PostgreSQL placement skips the calling test where the server does not answer."""
    if backend_name not in BACKENDS:
        raise ValueError(f"unknown backend {backend_name!r}")
    root = Path(archive).absolute()
    if backend_name == "postgresql":
        reason = postgresql_unavailable()
        if reason:
            import pytest

            pytest.skip(reason)
    _placed[root] = backend_name
    return root


def backend_of(archive: str | Path) -> str:
    """The backend the archive in directory ``archive`` lives on: its placement; else SQLite where
    the directory already holds an SQLite database (a test built it there on purpose, or ran
    ``pressclips demo``, which always does); else the run's backend."""
    root = Path(archive).absolute()
    if root in _placed:
        return _placed[root]
    if (root / DATABASE_FILE).exists():
        return "sqlite"
    return backend()


def postgresql_unavailable() -> str | None:
    """None when the test PostgreSQL answers, else why not (once per process)."""
    global _pg_reason
    if _pg_reason is None:
        try:
            import psycopg

            with psycopg.connect(_plain_url(), connect_timeout=3):
                _pg_reason = ""
        except ImportError:
            _pg_reason = "psycopg not installed (pip install 'pressclips[test]')"
        except Exception as exc:  # noqa: BLE001 - any failure means: not available here
            _pg_reason = f"PostgreSQL not reachable at {PG_URL}: {str(exc).strip().splitlines()[0]}"
    return _pg_reason or None


_pg_reason: str | None = None


def archive_url(archive: str | Path) -> str:
    """The database URL of the archive in directory ``archive``: its placement, else the run's backend."""
    root = Path(archive).absolute()
    if backend_of(root) == "sqlite":
        return f"sqlite:///{root / DATABASE_FILE}"
    schema = "a_" + hashlib.sha256(str(root).encode()).hexdigest()[:20]
    if schema not in _schemas:
        _create_schema(schema)
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def stored_json(value: object) -> object:
    """A JSON column as read by raw SQL: SQLite hands back its text, PostgreSQL the parsed value."""
    import json

    return json.loads(value) if isinstance(value, (str, bytes)) else value


def archive_exists(archive: str | Path) -> bool:
    """Whether a crawl has created the archive's database yet (its tables, on PostgreSQL)."""
    root = Path(archive).absolute()
    if backend_of(root) == "sqlite":
        return (root / DATABASE_FILE).exists()
    from sqlalchemy import create_engine, inspect

    engine = create_engine(archive_url(root))
    try:
        return inspect(engine).has_table("articles")
    finally:
        engine.dispose()


def with_database(args: list[str] | tuple[str, ...]) -> list[str]:
    """``pressclips`` arguments with ``--database-url`` added after ``--archive DIR`` when that
    archive lives on PostgreSQL (unless the test names a database itself); unchanged on SQLite."""
    argv = list(args)
    if any(a == "--database-url" or a.startswith("--database-url=") for a in argv):
        return argv
    if any(a in _NO_DATABASE_OPTION for a in argv[:2]):
        return argv
    for i, arg in enumerate(argv):
        if arg == "--archive" and i + 1 < len(argv):
            directory, end = argv[i + 1], i + 2
        elif arg.startswith("--archive="):
            directory, end = arg.split("=", 1)[1], i + 1
        else:
            continue
        if backend_of(directory) == "sqlite":
            return argv
        return [*argv[:end], "--database-url", archive_url(directory), *argv[end:]]
    return argv


def _plain_url() -> str:
    return PG_URL.replace("postgresql+psycopg", "postgresql")


def _create_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(_plain_url(), autocommit=True, connect_timeout=5) as conn:
        # A schema left by a killed earlier run of the same path would not be a fresh archive.
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    if not _schemas:
        atexit.register(_drop_schemas)
    _schemas.add(schema)


def _drop_schemas() -> None:
    """Drop this process's archive schemas (best effort: a server gone by now keeps them)."""
    try:
        import psycopg

        with psycopg.connect(_plain_url(), autocommit=True, connect_timeout=5) as conn:
            for schema in sorted(_schemas):
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    except Exception:  # noqa: BLE001 - cleanup at exit must not turn a green run red
        pass
