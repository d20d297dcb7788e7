"""Page requisites in the database: each asset URL's validators and last capture across runs
(``asset_states``), and which page used which asset (``page_requisites``).

Assets never touch the page frontier (``urls``), articles or versions: they are fetched because
a page needs them, not discovered, scheduled or extracted. Each run claims an asset URL before
fetching it (``claim``: an upsert that succeeds once per run id, and not while another run that
claimed it is still running: a distributed worker's), so however many pages use an
asset it is requested at most once per run, conditionally when an earlier run captured it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select, update

from archive.db.kinds import CaptureKind, RunStatus
from archive.db.models import AssetState, Capture, CrawlRun, PageRequisite
from archive.db.records import PreviousCapture
from archive.db.session import Database

CLAIM_BATCH = 500  # URLs per claiming statement (SQLite's bound-parameter limit is far above)
# Distributed workers each record their own run: a URL another worker's run claimed while that run
# is still running is theirs, so an asset many pages share is fetched once per cycle, not once per
# worker. A killed worker's run stops counting once reconcile (or the next run's start) marks it.
# (An uncorrelated IN: inside an upsert's WHERE, an EXISTS naming asset_states would not refer to
# the conflicting row but scan the whole table.)
_CLAIMED_BY_A_LIVE_RUN = AssetState.claimed_run_id.is_not(None) & AssetState.claimed_run_id.in_(
    select(CrawlRun.id).where(CrawlRun.status == RunStatus.RUNNING).scalar_subquery())


@dataclass(frozen=True)
class AssetClaim:
    """This run may fetch ``url``: conditionally with these validators, and a 304 or an identical
    payload becomes a revisit of ``previous``."""

    url: str
    etag: str | None
    last_modified: str | None
    previous: PreviousCapture | None


@dataclass(frozen=True)
class AssetFetch:
    """An asset's response as archived: ``url`` is the URL claimed (before any redirect)."""

    url: str
    warc_record_id: str
    status: int
    fetched_at: datetime
    run_id: int | None
    etag: str | None = None
    last_modified: str | None = None
    revisit_of: int | None = None  # the capture holding the payload, when the WARC has a revisit


class AssetLedger:
    """Reads and writes of ``asset_states`` and ``page_requisites``; one transaction per call."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, urls: Sequence[str], outlet: str | None, run_id: int) -> list[AssetClaim]:
        """Claim ``urls`` for run ``run_id``; returns those not claimed by this run before."""
        claims: list[AssetClaim] = []
        with self.db.transaction("claiming page requisites") as session:
            outlet_id = self.db.outlet_id(session, outlet)
            for start in range(0, len(urls), CLAIM_BATCH):
                batch = list(dict.fromkeys(urls[start:start + CLAIM_BATCH]))
                insert = self.db.insert(AssetState).values(
                    [{"url": url, "outlet_id": outlet_id, "claimed_run_id": run_id} for url in batch])
                stmt = insert.on_conflict_do_update(
                    index_elements=[AssetState.url], set_={"claimed_run_id": run_id},
                    where=AssetState.claimed_run_id.is_distinct_from(run_id) & ~_CLAIMED_BY_A_LIVE_RUN,
                ).returning(AssetState.url, AssetState.etag, AssetState.last_modified, AssetState.last_capture_id)
                rows = session.execute(stmt).all()
                captures = {c.id: c for c in session.scalars(
                    select(Capture).where(Capture.id.in_({r.last_capture_id for r in rows if r.last_capture_id})))}
                for url, etag, last_modified, capture_id in rows:
                    capture = captures.get(capture_id) if capture_id else None
                    previous = (PreviousCapture(capture.id, capture.url, capture.fetched_at, capture.status,
                                                capture.pointer) if capture is not None and capture.status == 200
                                else None)
                    # Validators without the capture they vouch for would turn a 304 into nothing.
                    claims.append(AssetClaim(url, etag if previous else None, last_modified if previous else None,
                                             previous))
        return claims

    def record_fetch(self, fetch: AssetFetch) -> int | None:
        """Remember an asset's response (validators, capture) and point this run's page links at
        it; returns the capture id, None when its capture row is missing (WARC off)."""
        with self.db.transaction(f"saving requisite {fetch.url}") as session:
            capture_id = session.scalar(select(Capture.id).where(Capture.warc_record_id == fetch.warc_record_id))
            values: dict[str, object] = {"last_fetched_at": fetch.fetched_at, "last_status": fetch.status}
            if fetch.revisit_of is not None:  # unchanged: the payload stays where it was
                values.update(last_capture_id=fetch.revisit_of)
                if fetch.etag or fetch.last_modified:
                    values.update(etag=fetch.etag, last_modified=fetch.last_modified)
            elif fetch.status == 200 and capture_id is not None:
                values.update(last_capture_id=capture_id, etag=fetch.etag, last_modified=fetch.last_modified)
            else:  # an error answer: ask unconditionally next time
                values.update(etag=None, last_modified=None)
            session.execute(update(AssetState).where(AssetState.url == fetch.url).values(**values))
            if capture_id is not None and fetch.run_id is not None:
                this_run = select(Capture.id).where(Capture.run_id == fetch.run_id).scalar_subquery()
                session.execute(update(PageRequisite)
                                .where(PageRequisite.asset_url == fetch.url,
                                       PageRequisite.page_capture_id.in_(this_run))
                                .values(asset_capture_id=capture_id))
            return capture_id

    def link(self, page_record_id: str, urls: Sequence[str]) -> int:
        """Record that the capture with WARC record ``page_record_id`` uses ``urls`` (claimed
        assets), each pointing at the asset's newest capture so far; returns the links added."""
        if not urls:
            return 0
        with self.db.transaction("linking page requisites") as session:
            page_id = session.scalar(select(Capture.id).where(Capture.warc_record_id == page_record_id))
            if page_id is None:
                return 0
            added = 0
            unique = list(dict.fromkeys(urls))
            for start in range(0, len(unique), CLAIM_BATCH):
                # The asset's newest capture, whatever it answered: what a page linked now would have got.
                newest = (select(func.max(Capture.id))
                          .where(Capture.url == AssetState.url, Capture.kind == CaptureKind.ASSET).scalar_subquery())
                rows = select(literal(page_id), AssetState.url, newest).where(
                    AssetState.url.in_(unique[start:start + CLAIM_BATCH]))
                stmt = self.db.insert(PageRequisite).from_select(
                    ["page_capture_id", "asset_url", "asset_capture_id"], rows).on_conflict_do_nothing()
                added += len(session.execute(stmt.returning(PageRequisite.id)).all())
            return added


__all__ = ["AssetClaim", "AssetFetch", "AssetLedger"]
