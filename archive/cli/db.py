"""``pressclips db upgrade|current|history|revision``: the archive's schema migrations (Alembic).

Every other command upgrades a writable archive on open; ``db upgrade`` does it on purpose (before
starting many workers on one PostgreSQL, or for an archive that read-only commands refuse until it
is upgraded). ``db revision`` is for developers: it writes a new revision file from the difference
between the models and head (README, "Adding a schema change").
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from archive.cli.kit import archive_option, database_option, friendly
from archive.config import ArchiveConfig
from archive.errors import ConfigError, NoArchiveError


@click.group("db")
def db_group() -> None:
    """The archive's schema: upgrade it, show its revision, list the migrations.

    \b
    Examples:
      pressclips db current
      pressclips db upgrade --database-url postgresql+psycopg://db-host/press
      pressclips db history
    """


def _database_url(archive_dir: Path | None, database_url: str | None) -> str:
    config = ArchiveConfig.build(archive_dir, database_url)
    database_file = config.database_file
    if database_file is not None and not database_file.exists():
        raise NoArchiveError(f"no archive at {database_file}", hint="check --archive / --database-url")
    return config.database_url


@db_group.command("upgrade")
@archive_option
@database_option
@friendly
def upgrade_command(archive_dir: Path | None, database_url: str | None) -> None:
    """Bring the archive's schema to the newest revision (an empty PostgreSQL database gets the whole
    schema). Archives made before migrations are stamped first. Safe to run while other pressclips
    processes wait: one upgrader at a time, the others find it done.

    \b
    Examples:
      pressclips db upgrade
      pressclips db upgrade --database-url postgresql+psycopg://db-host/press
    """
    from archive.db.engine import connect, redact
    from archive.db.migrate import upgrade

    url = _database_url(archive_dir, database_url)
    engine, _state = connect(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before.needs_upgrade:
        click.echo(f"{redact(url)}: upgraded from {before.describe()} to {after.describe()}")
    else:
        click.echo(f"{redact(url)}: already at {after.describe()}")


@db_group.command("current")
@archive_option
@database_option
@friendly
def current_command(archive_dir: Path | None, database_url: str | None) -> None:
    """Show the archive's schema revision (read-only: changes nothing).

    \b
    Examples:
      pressclips db current
      pressclips db current --archive /srv/pressclips
    """
    from archive.db.engine import connect

    engine, state = connect(_database_url(archive_dir, database_url), read_only=True)
    engine.dispose()
    if state is None:
        raise NoArchiveError("no pressclips archive there (the database is empty)",
                             hint="run 'pressclips db upgrade' or 'pressclips crawl' to create one")
    pending = f"; run 'pressclips db upgrade' for {state.head}" if state.needs_upgrade else ""
    click.echo(state.describe() + pending)


@db_group.command("history")
def history_command() -> None:
    """List the schema revisions this pressclips knows, newest first.

    \b
    Examples:
      pressclips db history
      pressclips db history | head -3
    """
    from archive.db.migrate import history

    for revision in history():
        down = revision.down_revision or "<base>"
        click.echo(f"{down} -> {revision.revision}{' (head)' if revision.is_head else ''}: {revision.message}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the change does, one line.")
@click.option("--empty", is_flag=True, help="Write an empty revision (data migrations) instead of autogenerating.")
@friendly
def revision_command(message: str, empty: bool) -> None:
    """For developers: write archive/db/migrations/versions/NNNN_<message>.py from the difference
    between archive/db/models.py and head, computed on a scratch SQLite archive. Review it, then run
    the migration tests (README, "Adding a schema change").

    \b
    Examples:
      pressclips db revision -m "index captures by outlet and kind"
      pressclips db revision --empty -m "fill outlets.timezone"
    """
    from archive.db.engine import make_engine
    from archive.db.migrate import new_revision

    if not message.strip():
        raise ConfigError("--message must say what the change does")
    with tempfile.TemporaryDirectory(prefix="pressclips-revision-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.sqlite3'}")
        try:
            path = new_revision(engine, message.strip(), autogenerate=not empty)
        finally:
            engine.dispose()
    click.echo(f"wrote {path}: review it (autogenerate misses renames and data), then test it")


def register(group: click.Group) -> None:
    group.add_command(db_group)
