"""Where an archive lives: its directory, database URL and WARC directory, built once at the edge."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError

ARCHIVE_ENV = "PRESSCLIPS_ARCHIVE"
DATABASE_ENV = "PRESSCLIPS_DATABASE_URL"
DATABASE_FILE = "pressclips.sqlite3"
WARC_SUBDIR = "warcs"


def default_archive_dir() -> Path:
    """``$PRESSCLIPS_ARCHIVE``, else the XDG data directory (stable for cron jobs)."""
    env = os.environ.get(ARCHIVE_ENV)
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "pressclips"


@dataclass(frozen=True)
class ArchiveConfig:
    root: Path
    database_url: str
    warc_max_size: int = 1_000_000_000

    @property
    def warc_dir(self) -> Path:
        return self.root / WARC_SUBDIR

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def database_file(self) -> Path | None:
        """The SQLite file the URL names (None for a server database or an in-memory one)."""
        if not self.is_sqlite:
            return None
        from sqlalchemy.engine import (
            make_url,  # only here: the CLI's --help must not pay for it
        )

        try:
            database = make_url(self.database_url).database
        except Exception:  # noqa: BLE001 - an invalid URL is reported when the engine is made
            return None
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    @property
    def uses_archive_file(self) -> bool:
        """True when the database is the archive directory's own SQLite file (no URL was given)."""
        return self.database_file is not None and self.database_file.absolute() == self.root / DATABASE_FILE

    @classmethod
    def build(cls, root: str | Path | None = None, database_url: str | None = None,
              warc_max_size: int | None = None) -> ArchiveConfig:
        root_path = Path(root).expanduser() if root else default_archive_dir()
        url = database_url or os.environ.get(DATABASE_ENV) or f"sqlite:///{(root_path / DATABASE_FILE).absolute()}"
        return cls(root=root_path.absolute(), database_url=url,
                   warc_max_size=warc_max_size or cls.warc_max_size)

    def ensure_dirs(self) -> None:
        """Create the archive and WARC directories; one clear error when that is impossible."""
        for path in (self.root, self.warc_dir):
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(f"cannot create archive directory {path}: {exc.strerror or exc}") from exc
            if not os.access(path, os.W_OK | os.X_OK):
                raise ArchiveError(f"archive directory {path} is not writable")
