"""Which WARC records a filtered ``export-wacz`` ships: the selected captures and what they need.

A filter (outlet, fetched-at window) selects captures. ``captures_to_ship`` then adds what a replay
of them needs and nothing else: the originals of revisits, transitively (a revisit holds no
payload), and the page requisites of page captures. The result is a set of WARC-Record-IDs per
file; ``archive.replay.excerpt`` copies those records (with the request records concurrent to
them and the metadata records that refer to them) into new WARC files, so nothing outside the
selection leaks into the WACZ.

Captures that ``verify --repair`` marked unreadable (``warc_unreadable_at``) are never shipped.
A revisit without ``refers_to_id`` (the 304 profile, written before the original was known) is
resolved through its record's WARC-Refers-To, read by pointer (one seek each).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from archive.db.kinds import CaptureKind
from archive.db.models import Capture, Outlet, PageRequisite
from archive.db.session import reading
from archive.errors import ConfigError, WarcError
from archive.warc.reader import WarcPointer, read_record

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
_BATCH = 500


@dataclass(frozen=True)
class WaczFilter:
    outlet: str | None = None
    since: datetime | None = None  # captures fetched at or after
    until: datetime | None = None  # captures fetched before

    @property
    def active(self) -> bool:
        return bool(self.outlet or self.since or self.until)


def capture_filter(stmt: SelectT, flt: WaczFilter) -> SelectT:
    """``stmt`` (over ``captures``) narrowed to the filter, unreadable captures left out."""
    stmt = stmt.where(Capture.warc_unreadable_at.is_(None))
    if flt.outlet:
        stmt = stmt.join(Outlet, Outlet.id == Capture.outlet_id).where(Outlet.name == flt.outlet)
    if flt.since:
        stmt = stmt.where(Capture.fetched_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Capture.fetched_at < flt.until)
    return stmt


def captures_to_ship(session: Session, warc_dir: Path, selected: Iterable[int]) -> set[int]:
    """The capture IDs a WACZ must carry so that ``selected`` replay: themselves, the page
    requisites of the pages among them, and every revisit's original (transitively)."""
    ship = set(selected)
    # Requisites first, so that a requisite captured as a revisit brings its original too.
    ship |= _requisites(session, ship)
    ship |= _revisit_originals(session, warc_dir, ship)
    return ship


def _requisites(session: Session, ids: set[int]) -> set[int]:
    """The requisite captures of the pages among ``ids``, and theirs (a stylesheet's fonts and images)."""
    found: set[int] = set()
    pending = set(ids)
    while pending:
        batch = sorted(pending)
        pending = set()
        for start in range(0, len(batch), _BATCH):
            rows = session.scalars(
                select(PageRequisite.asset_capture_id)
                .where(PageRequisite.page_capture_id.in_(batch[start:start + _BATCH]),
                       PageRequisite.asset_capture_id.is_not(None)).distinct())
            for asset in rows:
                if asset is not None and asset not in ids and asset not in found:
                    found.add(asset)
                    pending.add(asset)
    return found


def _revisit_originals(session: Session, warc_dir: Path, ids: set[int]) -> set[int]:
    found: set[int] = set()
    pending = set(ids)
    while pending:
        batch = sorted(pending)
        pending = set()
        for start in range(0, len(batch), _BATCH):
            rows = session.execute(
                select(Capture.id, Capture.kind, Capture.refers_to_id, Capture.warc_file, Capture.warc_offset,
                       Capture.warc_length, Capture.warc_record_id, Capture.payload_digest)
                .where(Capture.id.in_(batch[start:start + _BATCH]), Capture.warc_unreadable_at.is_(None))).all()
            for cid, kind, ref, file, offset, length, record_id, digest in rows:
                if ref is None and kind == CaptureKind.REVISIT:
                    ref = _referred_by_record(session, warc_dir, WarcPointer(file, offset, length, record_id, digest))
                if ref is not None and ref not in ids and ref not in found and ref != cid:
                    found.add(ref)
                    pending.add(ref)
    return found


def _referred_by_record(session: Session, warc_dir: Path, pointer: WarcPointer) -> int | None:
    try:
        refers_to = read_record(warc_dir, pointer).warc_header("WARC-Refers-To")
    except WarcError:
        return None  # an unreadable revisit is skipped by the copy anyway
    if not refers_to:
        return None
    found: int | None = session.scalar(select(Capture.id).where(Capture.warc_record_id == refers_to,
                                                                Capture.warc_unreadable_at.is_(None)))
    return found


def records_by_file(engine: Engine, warc_dir: Path, flt: WaczFilter) -> dict[str, set[str]]:
    """WARC-Record-IDs to ship, per WARC file name, for an active filter."""
    with reading(engine, "selecting records for the WACZ") as session:
        if flt.outlet and session.scalar(select(Outlet.id).where(Outlet.name == flt.outlet)) is None:
            raise ConfigError(f"--outlet: no outlet named {flt.outlet!r} in the archive")
        selected = session.scalars(capture_filter(select(Capture.id), flt)).all()
        ship = sorted(captures_to_ship(session, warc_dir, selected))
        wanted: dict[str, set[str]] = defaultdict(set)
        for start in range(0, len(ship), _BATCH):
            for file, record_id in session.execute(select(Capture.warc_file, Capture.warc_record_id)
                                                   .where(Capture.id.in_(ship[start:start + _BATCH]))):
                wanted[file].add(record_id)
    if not wanted:
        raise ConfigError("no captures match the filters", hint="check --outlet, --captured-since and --captured-until")
    for name in wanted:
        if "/" in name:
            raise WarcError(f"WARC file name {name!r} is not a plain file name")
    return dict(wanted)


__all__ = ["WaczFilter", "capture_filter", "captures_to_ship", "records_by_file"]
