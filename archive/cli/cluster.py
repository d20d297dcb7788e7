"""Distributed-crawl commands: ``reconcile`` and ``workers`` (see ``archive.cluster``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from archive.cli.kit import archive_option, database_option, friendly, open_archive

redis_option = click.option(
    "--redis-url", default=None, metavar="URL",
    help="Redis of the distributed crawl (e.g. redis://127.0.0.1:6379/0). Also $PRESSCLIPS_REDIS_URL.")


def _redis_url(value: str | None) -> str:
    from archive.errors import ConfigError

    url = value or os.environ.get("PRESSCLIPS_REDIS_URL", "")
    if not url:
        raise ConfigError("no Redis: pass --redis-url (or set $PRESSCLIPS_REDIS_URL)",
                          hint="e.g. --redis-url redis://127.0.0.1:6379/0")
    return url


@click.command("reconcile")
@archive_option
@database_option
@redis_option
@friendly
def reconcile_command(archive_dir: Path | None, database_url: str | None, redis_url: str | None) -> None:
    """Give back to the frontier the URLs dead distributed workers claimed but never archived.

    A worker killed mid-crawl leaves its claimed URLs due in the database but gone from the
    shared queue (scrapy-redis delivers at most once). Workers run this when they start and
    every 30 s; run it by hand after killing workers, before starting new ones.

    \b
    Examples:
      pressclips reconcile --database-url postgresql+psycopg://crawler@db/press --redis-url redis://db:6379/0
    """
    from archive.cluster.connection import connect
    from archive.cluster.keys import ClusterKeys
    from archive.cluster.reconcile import reconcile

    url = _redis_url(redis_url)
    with open_archive(archive_dir, database_url, write=True) as opened:
        client = connect(url)
        report = reconcile(opened.engine, client, ClusterKeys.for_database(opened.config.database_url))
    click.echo(report.line())


@click.command("workers")
@archive_option
@database_option
@redis_option
@click.option("--json", "as_json", is_flag=True, help="Print workers and queue depths as JSON.")
@friendly
def workers_command(archive_dir: Path | None, database_url: str | None, redis_url: str | None,
                    as_json: bool) -> None:
    """Live distributed workers (heartbeat keys in Redis) and the shared queue's depth per outlet.

    A worker is live while its heartbeat (every 3 s) is less than 15 s old.

    \b
    Examples:
      pressclips workers --database-url postgresql+psycopg://crawler@db/press --redis-url redis://db:6379/0
    """
    from archive.cluster.connection import connect
    from archive.cluster.keys import ClusterKeys
    from archive.cluster.queue import queue_by_outlet, queue_depth
    from archive.cluster.workers import WorkerRegistry
    from archive.config import ArchiveConfig

    url = _redis_url(redis_url)
    keys = ClusterKeys.for_database(ArchiveConfig.build(archive_dir, database_url).database_url)
    client = connect(url)
    beats = WorkerRegistry(client, keys).live()
    depth, by_outlet = queue_depth(client, keys), queue_by_outlet(client, keys)
    if as_json:
        click.echo(json.dumps({"workers": [vars(b) for b in beats], "queue": depth,
                               "queue_by_outlet": dict(by_outlet)}, indent=2))
        return
    click.echo(f"{len(beats)} live worker(s); shared queue: {depth} request(s)")
    for beat in beats:
        click.echo(f"  {beat.worker}  run {beat.run_id}  heartbeat {beat.beat_at}  started {beat.started_at}  "
                   f"responses {beat.requests}{'  seeding' if beat.seeding else ''}")
    for outlet, count in by_outlet.most_common():
        click.echo(f"  queued for {outlet}: {count}")


def register(group: click.Group) -> None:
    group.add_command(reconcile_command)
    group.add_command(workers_command)
