"""One distributed crawl worker: ``pressclips crawl --distributed`` (see ``archive.cluster``).

Unlike a single run it takes no archive lock and repairs nothing at start: other workers are
writing the same archive. It checks what it can before starting Scrapy (PostgreSQL, Redis, the
options), runs the crawl child with the Redis settings, and reads back the run row that child
recorded, found by the child's pid (other workers record runs at the same time).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sqlalchemy import select

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


def run_worker(config: ArchiveConfig, options: CrawlOptions, notify: Notify) -> RunSummary:
    from archive.cluster.connection import connect
    from archive.db.engine import make_engine
    from archive.db.models import CrawlRun
    from archive.db.session import reading
    from archive.ops.crawl import RunSummary, SettingsRejected, child_command, run_child
    from archive.query.articles import get_run, last_run_id

    check_distributed(config, options.redis_url)
    connect(options.redis_url).close()  # fail fast, with one line, before Scrapy starts
    config.ensure_dirs()
    engine = make_engine(config.database_url)
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
