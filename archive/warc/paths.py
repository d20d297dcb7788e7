"""Where a capture's WARC file is on disk: names from the database are checked before any open.

A ``warc_file`` value comes from a database row, which a user may have edited or restored from
elsewhere; it must never lead a reader outside the archive's WARC directory (``..``, absolute
paths, symlinks pointing out), whatever command reads it: replay, export, verify.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from archive.errors import WarcError
from archive.warc.reader import OPEN_SUFFIX


def safe_warc_path(warc_dir: Path, name: str) -> Path:
    """The file a capture row names, proven to lie inside ``warc_dir`` once symlinks and ``..``
    are resolved (its ``.open`` twin while the writer still runs). Raises ``WarcError``."""
    rel = PurePosixPath(name)
    if (not name or "\x00" in name or "\\" in name or rel.is_absolute() or ".." in rel.parts
            or name.startswith("~")):
        raise WarcError(f"WARC file name {name!r} is not a plain name inside the archive")
    root = Path(warc_dir).resolve()
    for candidate in (root / name, root / (name + OPEN_SUFFIX)):
        try:
            resolved = candidate.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):  # missing, or a symlink loop
            continue
        except OSError as exc:
            raise WarcError(f"cannot resolve {candidate}: {exc.strerror or exc}") from exc
        if not resolved.is_relative_to(root) or not resolved.is_file():
            raise WarcError(f"WARC file {name!r} resolves outside the archive's WARC directory")
        return resolved
    raise WarcError(f"WARC file {name!r} not found in {root}")
