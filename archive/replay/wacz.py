"""``pressclips export-wacz``: the archive (or a filtered part of it) as one WACZ 1.1.1 file.

Layout: ``archive/<name>.warc.gz`` (the archive's own files, ZIP_STORED, byte for byte),
``indexes/index.cdxj`` (``archive.replay.cdxj`` over exactly those files), ``pages/pages.jsonl`` (a
``json-pages-1.0`` header, then one line per article: its latest included article capture's
url and ts, the title and, unless ``text=False``, the text of the version that capture holds),
``datapackage.json`` (every entry's sha256 and size, of the content as stored) and
``datapackage-digest.json`` (the sha256 of datapackage.json).

Which records go in: without filters, every readable record of every finished WARC file. A file
read end to end without damage is shipped as it is, byte for byte (its hash can be checked
against the archive's, which is the point of an evidence copy). With filters (outlet, fetched-at
window), ``archive.replay.selection`` picks the captures and what they need (revisits'
originals, page requisites), and ``archive.replay.excerpt`` copies exactly those records, with
their request and metadata records, into new ``<stem>-excerpt.warc.gz`` files, record by record
(each record's bytes unchanged), so nothing outside the selection leaks. An unreadable record is
left out the same way (a new file of the readable ones), with one warning per file through the
``SkipLedger``; strict, the export fails and nothing is written.

The WACZ is written through ``archive.atomic`` (a temporary file in OUT's directory, fsynced and
renamed when complete), so a failed export leaves nothing behind. WARCs are streamed; each file's
index entries and kept spans are held while it is copied; pages are read in batches.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import Engine, func, select

from archive.atomic import AtomicPath
from archive.db.kinds import CaptureKind
from archive.db.models import Article, ArticleVersion, Capture
from archive.db.session import reading
from archive.errors import ArchiveError, ConfigError, OutputError
from archive.replay.cdxj import merge_sorted, revisit_digests, warc_files
from archive.replay.excerpt import FileExcerpt, plan_excerpt
from archive.replay.selection import WaczFilter, capture_filter, records_by_file
from archive.warc.damage import SkipLedger
from archive.warc.paths import safe_warc_path

WACZ_VERSION = "1.1.1"
_BATCH = 500


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


def export_wacz(engine: Engine, warc_dir: Path, out_path: Path, flt: WaczFilter | None = None, *,
                text: bool = True, title: str | None = None, ledger: SkipLedger | None = None) -> WaczSummary:
    """Write the WACZ; unreadable records go to ``ledger`` (default strict: the first one raises)."""
    out_path = Path(out_path)
    flt = flt or WaczFilter()
    ledger = ledger or SkipLedger(strict=True)
    plans = _plans(engine, warc_dir, flt, ledger)
    resources: list[dict[str, Any]] = []
    try:
        with AtomicPath(out_path) as part, zipfile.ZipFile(part, "w", allowZip64=True) as zf:
            for plan in plans:
                resources.append(_entry(zf, f"archive/{plan.name}", zipfile.ZIP_STORED, plan.size,
                                        plan.copy_to))
            index_lines = 0

            def index(w: BinaryIO) -> None:
                nonlocal index_lines
                text_out = io.TextIOWrapper(w, encoding="utf-8", newline="\n", write_through=True)
                index_lines = merge_sorted((plan.index_lines() for plan in plans), text_out)
                text_out.flush()
                text_out.detach()  # the zip entry is closed by its own context

            resources.append(_entry(zf, "indexes/index.cdxj", zipfile.ZIP_DEFLATED, None, index))
            pages = 0
            shipped = {plan.source_name: plan for plan in plans}

            def page_list(w: BinaryIO) -> None:
                nonlocal pages
                header: dict[str, Any] = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
                if text:
                    header["hasText"] = True
                w.write((json.dumps(header) + "\n").encode("utf-8"))
                for line in _pages(engine, flt, text, shipped):
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
    return WaczSummary(out_path, [plan.name for plan in plans], pages, index_lines, out_path.stat().st_size)


def _plans(engine: Engine, warc_dir: Path, flt: WaczFilter, ledger: SkipLedger) -> list[FileExcerpt]:
    """What each WARC file contributes, read before the WACZ is opened: a strict ledger fails here."""
    wanted: dict[str, set[str]] | None = None
    if flt.active:
        wanted = records_by_file(engine, warc_dir, flt)
        names = sorted(wanted)
    else:
        names = warc_files(warc_dir)
        if not names:
            raise ConfigError(f"no finished WARC files in {warc_dir}", hint="crawl something first")
    digest_of = revisit_digests(engine)
    plans = []
    for name in names:
        src = safe_warc_path(warc_dir, name)
        if src.name != name:  # only a finished file: an .open one may still grow
            raise ArchiveError(f"WARC file {name} is still being written",
                               hint="export again when the crawl has finished")
        plan = plan_excerpt(src, name, None if wanted is None else wanted[name], ledger, digest_of)
        if plan is not None:
            plans.append(plan)
    if not plans:
        raise ConfigError("no readable WARC record matches", hint="run 'pressclips verify'")
    return plans


def _pages(engine: Engine, flt: WaczFilter, text: bool, shipped: dict[str, FileExcerpt]) -> Iterator[dict[str, Any]]:
    """One entry per article: its latest selected capture that is an extracted response and whose
    record is in the WACZ."""
    # Capture IDs grow in fetch order, so an article's highest ID is its latest capture.
    latest = (capture_filter(select(func.max(Capture.id)), flt)
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
                plan = shipped.get(capture.warc_file)
                if plan is None or plan.lost(capture.warc_offset):
                    continue
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


__all__ = ["WaczFilter", "WaczSummary", "export_wacz"]
