"""Re-run extraction over archived WARC records (``pressclips reextract``): nothing is fetched.

Records are read by their database pointer, decoded, extracted in a process pool, and applied
with ``Store.reextract_capture``. A damaged record (``RecordUnreadableError``) goes to the
``SkipLedger``: counted as ``skipped`` with one warning per WARC file, or, strict, the end of the
run (what was applied before stays applied, each capture in its own transaction). Any other
failure to read a record (a missing file, an undecodable payload) is counted as an error and
named in the log; the rest of the archive is still processed.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, or_, select

from archive.db.kinds import CaptureKind
from archive.db.models import Capture, Outlet, UrlState
from archive.db.session import reading
from archive.db.store import Store
from archive.errors import RecordUnreadableError, WarcError
from archive.extract.pool import extraction_pool, run_extraction
from archive.extract.result import Extraction
from archive.warc.damage import SkipLedger
from archive.warc.reader import WarcPointer, read_record

logger = logging.getLogger(__name__)

WINDOW = 64  # extraction jobs in flight; bounds memory whatever the archive size


class _Candidate(NamedTuple):
    capture_id: int
    url: str
    pointer: WarcPointer
    hints: dict[str, Any]  # the URL's discovery metadata and the outlet's timezone


def _candidates(engine: Engine, outlet: str | None) -> list[_Candidate]:
    """Captures to re-extract, each with its extraction hints."""
    stmt = (select(Capture.id, Capture.url, Capture.warc_file, Capture.warc_offset, Capture.warc_length,
                   Capture.warc_record_id, Capture.payload_digest, UrlState.discovery, Outlet.timezone)
            .outerjoin(UrlState, UrlState.url == Capture.url)
            .outerjoin(Outlet, Outlet.id == Capture.outlet_id)
            .where(Capture.status >= 200, Capture.status < 300,
                   Capture.warc_unreadable_at.is_(None),  # quarantined by verify --repair: known lost
                   # listing pages (homepage, sections) were never candidates for article text
                   or_(Capture.kind == CaptureKind.ARTICLE,
                       and_(Capture.kind == CaptureKind.NOT_ARTICLE, Capture.reason != "listing")))
            .order_by(Capture.id))
    if outlet:
        stmt = stmt.where(Outlet.name == outlet)
    with reading(engine, "listing captures to re-extract") as session:
        return [_Candidate(cid, url, WarcPointer(file, offset, length, record_id, digest),
                           _hints(discovery, zone))
                for cid, url, file, offset, length, record_id, digest, discovery, zone in session.execute(stmt)]


def _hints(discovery: dict[str, Any] | None, zone: str | None) -> dict[str, Any]:
    """The extraction hints a crawl gives: the URL's discovery metadata and the outlet's timezone
    (stored on the outlet by the last crawl) for the local publication day."""
    hints = dict(discovery or {})
    if zone:
        hints["timezone"] = zone
    return hints


def reextract_archive(engine: Engine, warc_root: Path, *, outlet: str | None = None,
                      workers: int | None = None, ledger: SkipLedger | None = None) -> dict[str, int]:
    store = Store(engine)
    ledger = ledger or SkipLedger()
    counts: Counter[str] = Counter()
    pending: list[tuple[int, Future[Extraction]]] = []

    def drain(keep: int) -> None:
        while len(pending) > keep:
            capture_id, future = pending.pop(0)
            counts[store.reextract_capture(capture_id, future.result())] += 1

    with extraction_pool(workers) as pool:
        for capture_id, url, pointer, hints in _candidates(engine, outlet):
            try:
                record = read_record(warc_root, pointer)
                body = record.decoded_payload()
            except RecordUnreadableError as exc:
                ledger.skip(exc)  # raises when strict; drained work is already applied
                counts["skipped"] += 1
                continue
            except WarcError as exc:
                logger.error("capture %s: %s", capture_id, exc)
                counts["errors"] += 1
                continue
            pending.append((capture_id, pool.submit(run_extraction, body, url, record.http_header("Content-Type"),
                                                    hints)))
            drain(WINDOW)
        drain(0)
    ledger.flush()
    return {"captures": sum(counts.values()), **dict(sorted(counts.items()))}
