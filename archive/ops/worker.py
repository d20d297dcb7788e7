"""One distributed crawl worker: ``pressclips crawl --distributed`` (see ``archive.cluster``).

Unlike a single run it takes no archive lock and repairs nothing at start: other workers are
writing the same archive. It checks what it can before starting Scrapy (PostgreSQL, Redis, the
options), runs the crawl child with the Redis settings, and reads back the run row that child
recorded, found by the child's pid (other workers record runs at the same time).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from archive.cluster.workers import this_worker
from archive.config import ArchiveConfig
from archive.errors import ConfigError, CrawlError

if TYPE_CHECKING:
    from archive.ops.crawl import CrawlOptions, Notify, RunSummary


def check_distributed(config: ArchiveConfig, redis_url: str) -> None:
    """One line (exit 2) for a setup that cannot run distributed."""
    if not config.database_url.startswith("postgresql"):
        raise ConfigError("--distributed needs a PostgreSQL archive: several workers write it at once, "
                          "and SQLite has one writer", hint="add --database-url postgresql+psycopg://USER@HOST/DB")
    if not redis_url:
        raise ConfigError("--distributed needs --redis-url", hint="e.g. --redis-url redis://127.0.0.1:6379/0")


SCHEMA_LEASE_TTL = 120.0  # seconds: creating or updating the schema takes far less


def _open_database(client: Any, database_url: str) -> Engine:
    """Open (creating or updating its schema) the shared archive, one worker at a time: workers
    started together would otherwise race to create the same tables."""
    from archive.cluster.keys import ClusterKeys
    from archive.cluster.lease import Lease
    from archive.db.engine import make_engine

    lease = Lease(client, f"{ClusterKeys.for_database(database_url).prefix}:schema", this_worker(), SCHEMA_LEASE_TTL)
    deadline = time.monotonic() + SCHEMA_LEASE_TTL
    while not lease.acquire():
        if time.monotonic() > deadline:
            raise CrawlError("another worker has been creating the archive's schema for too long",
                             hint="check the other workers' logs, or wait and retry")
        time.sleep(0.1)
    try:
        return make_engine(database_url)
    finally:
        lease.release()


def run_worker(config: ArchiveConfig, options: CrawlOptions, notify: Notify) -> RunSummary:
    """``run_crawl`` for one worker of a distributed crawl (``options.redis_url``)."""
    from archive.cluster.connection import connect
    from archive.db.models import CrawlRun
    from archive.db.session import reading
    from archive.ops.crawl import RunSummary, SettingsRejected, child_command, run_child, validate
    from archive.query.articles import get_run, last_run_id

    validate(options)
    check_distributed(config, options.redis_url)
    client = connect(options.redis_url)  # fail fast, with one line, before Scrapy starts
    config.ensure_dirs()
    try:
        engine = _open_database(client, config.database_url)
    finally:
        client.close()
    try:
        before = last_run_id(engine)
        env = {"MALLOC_ARENA_MAX": "2", **os.environ}
        returncode, pid = run_child(child_command(config, options), (), env, notify)
        with reading(engine, "reading the worker's run") as session:
            run_id = session.scalar(select(CrawlRun.id).where(CrawlRun.pid == pid, CrawlRun.id > before)
                                    .order_by(CrawlRun.id.desc()).limit(1))
        run = get_run(engine, run_id) if run_id is not None else None
    finally:
        engine.dispose()
    if run is None:
        if returncode == ConfigError.exit_code:
            raise SettingsRejected("the crawl process refused its settings")
        raise CrawlError(f"the crawl worker exited with status {returncode} before recording a run",
                         hint="run again with -v to see Scrapy's log")
    return RunSummary(run, returncode, "", options.log_file)
