"""``pressclips export-wacz``: the archive (or a filtered part of it) as one WACZ 1.1.1 file.

Layout: ``archive/<name>.warc.gz`` (the archive's own files, ZIP_STORED, byte for byte),
``indexes/index.cdxj`` (``archive.replay.cdxj`` over exactly those files), ``pages/pages.jsonl`` (a
``json-pages-1.0`` header, then one line per article: its latest included article capture's
url and ts, the title and, unless ``text=False``, the text of the version that capture holds),
``datapackage.json`` (every entry's sha256 and size, of the content as stored) and
``datapackage-digest.json`` (the sha256 of datapackage.json).

Filters (outlet, fetched-at range) select captures, and the WACZ carries the whole WARC files
that hold them, plus the files holding the payloads their revisits refer to. Whole files rather
than a filtered copy: every record stays byte-identical to the crawl's own files (their hashes
can be checked against the archive, which is the point of an evidence copy), nothing has to be
re-written or re-digested, and a revisit can never lose its original. The price is that a file
may also hold captures outside the filters (other outlets crawled in the same run); pages.jsonl
lists only the selected articles. Without filters every finished WARC file goes in.

The WACZ is written through ``archive.atomic`` (a temporary file in OUT's directory, fsynced and
renamed when complete), so a failed export leaves nothing behind. WARCs are streamed; pages are read
in batches (only capture IDs are held).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeVar, cast

from sqlalchemy import Engine, Select, func, select

from archive.atomic import AtomicPath
from archive.db.kinds import CaptureKind
from archive.db.models import Article, ArticleVersion, Capture, Outlet
from archive.db.session import reading
from archive.errors import ArchiveError, ConfigError, OutputError, WarcError
from archive.replay.cdxj import warc_files, write_cdxj
from archive.warc.paths import safe_warc_path

WACZ_VERSION = "1.1.1"
_CHUNK = 1 << 20
_BATCH = 500


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class WaczFilter:
    outlet: str | None = None
    since: datetime | None = None  # captures fetched at or after
    until: datetime | None = None  # captures fetched before

    @property
    def active(self) -> bool:
        return bool(self.outlet or self.since or self.until)


@dataclass(frozen=True)
class WaczSummary:
    path: Path
    warc_files: list[str]
    pages: int
    index_lines: int
    bytes: int


class _HashingWriter(io.RawIOBase):
    """Counts and sha256-hashes what goes into one zip entry (the content, before compression)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.size, self.sha = out, 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.out.write(view)
        self.sha.update(view)
        self.size += len(view)
        return len(view)


def export_wacz(engine: Engine, warc_dir: Path, out_path: Path, flt: WaczFilter = WaczFilter(), *,
                text: bool = True, title: str | None = None) -> WaczSummary:
    out_path = Path(out_path)
    files = _selected_files(engine, warc_dir, flt)
    resources: list[dict[str, Any]] = []
    try:
        with AtomicPath(out_path) as part, zipfile.ZipFile(part, "w", allowZip64=True) as zf:
            for name in files:
                src = safe_warc_path(warc_dir, name)
                if src.name != name:  # only a finished file: an .open one may still grow
                    raise ArchiveError(f"WARC file {name} is still being written",
                                       hint="export again when the crawl has finished")
                size = src.stat().st_size
                with open(src, "rb") as fh:
                    resources.append(_entry(zf, f"archive/{name}", zipfile.ZIP_STORED, size,
                                            functools.partial(_copy, fh)))
            index_lines = 0

            def index(w: BinaryIO) -> None:
                nonlocal index_lines
                text_out = io.TextIOWrapper(w, encoding="utf-8", newline="\n", write_through=True)
                index_lines = write_cdxj(warc_dir, files, text_out, engine=engine)
                text_out.flush()
                text_out.detach()  # the zip entry is closed by its own context

            resources.append(_entry(zf, "indexes/index.cdxj", zipfile.ZIP_DEFLATED, None, index))
            pages = 0

            def page_list(w: BinaryIO) -> None:
                nonlocal pages
                header: dict[str, Any] = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
                if text:
                    header["hasText"] = True
                w.write((json.dumps(header) + "\n").encode("utf-8"))
                for line in _pages(engine, flt, text):
                    w.write((json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
                    pages += 1

            resources.append(_entry(zf, "pages/pages.jsonl", zipfile.ZIP_DEFLATED, None, page_list))
            package = _datapackage(resources, title or _default_title(flt))
            zf.writestr(_info("datapackage.json", zipfile.ZIP_DEFLATED), package)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
            zf.writestr(_info("datapackage-digest.json", zipfile.ZIP_DEFLATED),
                        json.dumps(digest, indent=2).encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write {out_path}: {exc.strerror or exc}", hint="nothing was written") from exc
    return WaczSummary(out_path, files, pages, index_lines, out_path.stat().st_size)


def _selected_files(engine: Engine, warc_dir: Path, flt: WaczFilter) -> list[str]:
    if not flt.active:
        files = warc_files(warc_dir)
        if not files:
            raise ConfigError(f"no finished WARC files in {warc_dir}", hint="crawl something first")
        return files
    with reading(engine, "selecting WARC files for the WACZ") as session:
        if flt.outlet and session.scalar(select(Outlet.id).where(Outlet.name == flt.outlet)) is None:
            raise ConfigError(f"--outlet: no outlet named {flt.outlet!r} in the archive")
        rows = session.execute(_capture_filter(select(Capture.warc_file, Capture.refers_to_id), flt).distinct()).all()
        names = {name for name, _ in rows}
        pending = {ref for _, ref in rows if ref is not None}
        seen: set[int] = set()
        while pending:  # the originals of revisits, and theirs (bounded by the captures table)
            seen |= pending
            found = session.execute(select(Capture.warc_file, Capture.refers_to_id)
                                    .where(Capture.id.in_(pending))).all()
            names |= {name for name, _ in found}
            pending = {ref for _, ref in found if ref is not None} - seen
    if not names:
        raise ConfigError("no captures match the filters", hint="check --outlet, --captured-since and --captured-until")
    for name in names:
        if "/" in name:
            raise WarcError(f"WARC file name {name!r} is not a plain file name")
    return sorted(names)


def _capture_filter(stmt: SelectT, flt: WaczFilter) -> SelectT:
    if flt.outlet:
        stmt = stmt.join(Outlet, Outlet.id == Capture.outlet_id).where(Outlet.name == flt.outlet)
    if flt.since:
        stmt = stmt.where(Capture.fetched_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Capture.fetched_at < flt.until)
    return stmt


def _pages(engine: Engine, flt: WaczFilter, text: bool) -> Iterator[dict[str, Any]]:
    """One entry per article: its latest selected capture that is an extracted response."""
    # Capture IDs grow in fetch order, so an article's highest ID is its latest capture.
    latest = (_capture_filter(select(func.max(Capture.id)), flt)
              .where(Capture.article_id.is_not(None), Capture.kind == CaptureKind.ARTICLE).group_by(Capture.article_id))
    with reading(engine, "listing pages for the WACZ") as session:
        ids = sorted(session.scalars(latest))
        for start in range(0, len(ids), _BATCH):
            rows = session.execute(
                select(Capture, ArticleVersion, Article)
                .join(Article, Article.id == Capture.article_id)
                .outerjoin(ArticleVersion, ArticleVersion.id == Capture.version_id)
                .where(Capture.id.in_(ids[start:start + _BATCH])).order_by(Capture.id)).all()
            for capture, version, article in rows:
                line: dict[str, Any] = {"id": f"article-{article.id}", "url": capture.url,
                                        "ts": capture.fetched_at.astimezone(timezone.utc)
                                        .strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        "title": (version.title if version else None) or article.canonical_url}
                if text and version is not None and version.text:
                    line["text"] = version.text
                yield line


def _info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, datetime.now(timezone.utc).timetuple()[:6])
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def _entry(zf: zipfile.ZipFile, name: str, compression: int, size: int | None,
           fill: Callable[[BinaryIO], None]) -> dict[str, Any]:
    """Write one entry through ``fill(writer)``; returns its datapackage resource."""
    info = _info(name, compression)
    if size is not None:
        info.file_size = size
    with zf.open(info, "w", force_zip64=size is None or size > 0x7FFFFFFF) as raw:
        writer = _HashingWriter(raw)
        fill(cast(BinaryIO, writer))  # a RawIOBase: write() is all the fillers use
    return {"name": Path(name).name.lower(), "path": name, "hash": "sha256:" + writer.sha.hexdigest(),
            "bytes": writer.size}


def _copy(src: IO[bytes], dst: BinaryIO) -> None:
    while chunk := src.read(_CHUNK):
        dst.write(chunk)


def _datapackage(resources: list[dict[str, Any]], title: str) -> bytes:
    try:
        version = metadata.version("pressclips")
    except metadata.PackageNotFoundError:
        version = "unknown"
    package = {"profile": "data-package", "resources": resources, "title": title,
               "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "wacz_version": WACZ_VERSION, "software": f"pressclips {version}"}
    return json.dumps(package, indent=2).encode("utf-8")


def _default_title(flt: WaczFilter) -> str:
    parts = [f"outlet {flt.outlet}"] if flt.outlet else []
    if flt.since:
        parts.append(f"since {flt.since.date().isoformat()}")
    if flt.until:
        parts.append(f"until {flt.until.date().isoformat()}")
    return "pressclips archive" + (f" ({', '.join(parts)})" if parts else "")
