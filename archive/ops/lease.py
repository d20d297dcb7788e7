"""The archive lease: work that must run once per archive at a time (repair, restory), wherever
the processes run.

An SQLite archive lives in one directory on one machine: its lease is the archive lock, the
``flock`` of ``archive.ops.lock``. A PostgreSQL archive may be written by workers on several
machines, each with its own archive directory, so a flock cannot see them: its lease is a
session-level advisory lock, ``pg_try_advisory_lock(class, hashtext(current_schema()))`` (one
archive per schema; the key is ``archive.db.migrate.pg_lock_sql``'s), held on a connection kept
open for as long as the lease is. PostgreSQL drops it when that connection ends, so a holder that
crashes or is SIGKILLed frees it at once; one whose host vanishes frees it once the server's TCP
keepalive gives up, shortened here to about a minute on the lease's connection. No expiry to
guess and no heartbeat to miss: the database knows whether the holder is alive.

The holder names itself in ``application_name`` (``pressclips:<host>:<pid> <work>``), which is
how ``holder()`` and ``ArchiveLockedError`` say who has it.

Usage::

    with ArchiveLease(engine, root, "repair").acquire():   # ArchiveLockedError when held
        ...
    ArchiveLease(engine, root, "restory").acquire(wait=60)  # or wait up to 60 s

For PostgreSQL the local flock is taken too (``lock`` may hand in one already held): repair also
touches this machine's WARC files, which a local crawl must not be writing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from archive.db.migrate import PG_LOCK_CLASS, pg_lock_sql
from archive.db.pool import application_name
from archive.db.session import translated
from archive.errors import ArchiveLockedError
from archive.ops.lock import ArchiveLock

T = TypeVar("T")
LEASE_OBJECT = 2  # the advisory key's purpose: 1 is the schema upgrade (archive.db.migrate)
POLL_SECONDS = 0.5
# Server-side keepalive on the lease's connection: a vanished host's lease ends after ~60 s.
_KEEPALIVE = ("SET tcp_keepalives_idle = 30", "SET tcp_keepalives_interval = 10", "SET tcp_keepalives_count = 3")


class ArchiveLease:
    """One holder per archive for ``work`` (a word for messages: "repair", "restory")."""

    def __init__(self, engine: Engine, root: str | Path, work: str, *, lock: ArchiveLock | None = None) -> None:
        self.engine = engine
        self.root = Path(root)
        self.work = work
        self._given_lock = lock if lock is not None and lock.held else None
        self._own_lock: ArchiveLock | None = None
        self._conn: Connection | None = None

    @property
    def distributed(self) -> bool:
        """True when the lease lives in the database (PostgreSQL), not only in the directory."""
        return self.engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        local = self._given_lock is not None or self._own_lock is not None
        return local and (self._conn is not None or not self.distributed)

    def acquire(self, wait: float = 0) -> ArchiveLease:
        """Take the lease, waiting up to ``wait`` seconds; ``ArchiveLockedError`` names the holder."""
        deadline = time.monotonic() + wait
        if self._given_lock is None and self._own_lock is None:
            self._own_lock = _retry(lambda: ArchiveLock(self.root).acquire(), deadline)
        if self.distributed and self._conn is None:
            try:
                self._conn = _retry(self._take_advisory, deadline)
            except BaseException:
                self.release()
                raise
        return self

    def release(self) -> None:
        """Give the lease back. Idempotent; a lock handed in stays with its owner."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text(pg_lock_sql("pg_advisory_unlock")), {"object": LEASE_OBJECT})
            except SQLAlchemyError:
                pass  # the connection is going anyway, and the lock with it
            # Discarded, not pooled: its session settings (keepalive, application_name) were the lease's.
            conn.invalidate()
            conn.close()
        own, self._own_lock = self._own_lock, None
        if own is not None:
            own.release()

    def __enter__(self) -> ArchiveLease:
        return self.acquire() if not self.held else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    # -- PostgreSQL ----------------------------------------------------------------------------
    def _take_advisory(self) -> Connection:
        with translated(f"taking the archive lease for {self.work}"):
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                for setting in _KEEPALIVE:
                    conn.exec_driver_sql(setting)
                conn.execute(text("SELECT set_config('application_name', :n, false)"),
                             {"n": f"{application_name()} {self.work}"[:63]})
                if conn.execute(text(pg_lock_sql("pg_try_advisory_lock")), {"object": LEASE_OBJECT}).scalar():
                    return conn
                who = lease_holder(conn)
            except BaseException:
                conn.invalidate()
                conn.close()
                raise
            conn.invalidate()  # its session settings were the lease's: not back to the pool
            conn.close()
        raise ArchiveLockedError(f"{who or 'holder unknown'}, archive lease")


def lease_holder(conn: Connection) -> str | None:
    """Who holds this archive's lease: ``"pressclips:host:pid work since T"``, None when free."""
    row = conn.execute(text(
        "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid::bigint = :cls "
        "AND l.objid::bigint = (hashtext(current_schema())::bigint & 4294967295) LIMIT 1"),
        {"cls": PG_LOCK_CLASS + LEASE_OBJECT}).first()
    if row is None:
        return None
    since = row[1].replace(microsecond=0).isoformat() if row[1] is not None else "?"
    return f"{row[0] or 'a client'} since {since}"


def holder(engine: Engine, root: str | Path) -> str | None:
    """Who holds the archive's lease (the flock's holder for SQLite), None when nobody does."""
    if engine.dialect.name != "postgresql":
        return ArchiveLock.holder(root)
    with translated("reading the archive lease"), engine.connect() as conn:
        return lease_holder(conn)


def _retry(attempt: Callable[[], T], deadline: float) -> T:
    while True:
        try:
            return attempt()
        except ArchiveLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(POLL_SECONDS)
