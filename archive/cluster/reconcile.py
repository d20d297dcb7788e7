"""Reconciliation: give back to the frontier what a dead worker claimed but never archived.

scrapy-redis delivers a request at most once: a worker popped it, and if the worker is killed
before the response is stored, the request is gone from Redis while the database still shows the
URL claimed by that worker's run and still due. A run is *dead* when it is recorded as running
but no live worker heartbeats with its id (``archive.cluster.workers``), and it started long
enough ago to have beaten at least once. For each dead run:

* a claimed URL that is still due and not waiting in the shared queue is released
  (``claimed_run_id`` = NULL): the next claim, by any worker, fetches it;
* a claimed URL still waiting in the queue is handed to a live run (``claimed_run_id`` = that
  run), so it is fetched once, from the queue, and never claimed a second time meanwhile. With no
  live worker it stays with the dead run, which stays "running" until the next reconcile that
  has a live run to hand it to (every worker reconciles when it starts);
* once nothing of it is left to hand over, the run is recorded as killed;
* the cycle is to be seeded again, for the sitemaps, feeds and listings it had popped.

The outlets' in-flight places that dead workers held are freed too (``archive.cluster.politeness``).

``pressclips reconcile`` runs it on demand, and every worker runs it when it starts and then
periodically, so a SIGKILLed worker loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from archive.cluster.keys import ClusterKeys
from archive.cluster.politeness import drop_dead_places
from archive.cluster.queue import queued_frontier_urls
from archive.cluster.workers import HEARTBEAT_TTL, WorkerRegistry
from archive.db.kinds import RunStatus
from archive.db.models import CrawlRun, UrlState
from archive.db.session import Database
from archive.times import utcnow

LOST_REASON = "worker_lost"


@dataclass
class ReconcileReport:
    dead_runs: list[int] = field(default_factory=list)
    released: int = 0  # due URLs given back to the frontier
    handed_over: int = 0  # due URLs waiting in the queue, now claimed by a live run
    waiting: int = 0  # due URLs waiting in the queue with no live run to hand them to
    freed_places: int = 0  # outlets' in-flight places dead workers held (archive.cluster.politeness)

    def line(self) -> str:
        if not self.dead_runs:
            return "reconcile: no dead worker runs" + (f", {self.freed_places} in-flight places freed"
                                                       if self.freed_places else "")
        runs = ", ".join(str(r) for r in self.dead_runs)
        text = f"reconcile: dead runs {runs}: {self.released} URLs back on the frontier, " \
               f"{self.handed_over} queued URLs handed to a live worker"
        if self.waiting:
            text += f", {self.waiting} queued URLs wait for a live worker"
        if self.freed_places:
            text += f", {self.freed_places} in-flight places freed"
        return text


def reconcile(engine: Engine, client: Any, keys: ClusterKeys, own_run_id: int | None = None,
              grace: float = HEARTBEAT_TTL) -> ReconcileReport:
    """Reconcile the frontier with the live workers and the shared queue (see module doc)."""
    beats = WorkerRegistry(client, keys).live()
    live = {beat.run_id for beat in beats if beat.run_id is not None}
    if own_run_id is not None:
        live.add(own_run_id)
    heir = own_run_id if own_run_id is not None else (max(live) if live else None)
    queued = queued_frontier_urls(client, keys)
    report = ReconcileReport(freed_places=drop_dead_places(client, keys, {beat.worker for beat in beats}))
    now = utcnow()
    with Database(engine).transaction("reconciling the frontier with the live workers") as session:
        candidates = select(CrawlRun.id).where(CrawlRun.status == RunStatus.RUNNING,
                                               CrawlRun.started_at < now - timedelta(seconds=grace))
        dead = [run_id for run_id in session.scalars(candidates) if run_id not in live]
        for run_id in sorted(dead):
            claimed = session.execute(select(UrlState.id, UrlState.url).where(
                UrlState.claimed_run_id == run_id, UrlState.next_due_at <= now)).all()
            release = [row_id for row_id, url in claimed if url not in queued]
            keep = [row_id for row_id, url in claimed if url in queued]
            if release:
                session.execute(update(UrlState).where(UrlState.id.in_(release)).values(claimed_run_id=None)
                                .execution_options(synchronize_session=False))
            report.released += len(release)
            if keep and heir is None:
                report.waiting += len(keep)
                report.dead_runs.append(run_id)
                continue
            if keep:
                session.execute(update(UrlState).where(UrlState.id.in_(keep)).values(claimed_run_id=heir)
                                .execution_options(synchronize_session=False))
                report.handed_over += len(keep)
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == RunStatus.RUNNING)
                            .values(status=RunStatus.KILLED, finish_reason=LOST_REASON, finished_at=now))
            report.dead_runs.append(run_id)
    if report.dead_runs:
        # What a dead worker popped besides frontier URLs (sitemaps, feeds, listings it was
        # fetching) is lost too: the next worker seeds the cycle again. Discovery documents are
        # remembered only after what they listed is stored, so a re-read costs a 304 at most.
        client.delete(keys.seed_cycle)
    return report


def hand_over(engine: Engine, client: Any, keys: ClusterKeys, run_id: int) -> int:
    """A leaving worker's claims that are still due go to a live run: other workers may be
    fetching them right now (any worker pops any request), and a finished run's claims lapse, so
    left with it they could be claimed and fetched a second time. With no other live worker they
    are released (nobody is fetching them). Returns how many were handed over or released."""
    heirs = [beat.run_id for beat in WorkerRegistry(client, keys).live()
             if beat.run_id is not None and beat.run_id != run_id]
    with Database(engine).transaction("handing over a leaving worker's claims") as session:
        ids = list(session.scalars(select(UrlState.id).where(UrlState.claimed_run_id == run_id,
                                                              UrlState.next_due_at <= utcnow())))
        if ids:
            session.execute(update(UrlState).where(UrlState.id.in_(ids))
                            .values(claimed_run_id=max(heirs) if heirs else None)
                            .execution_options(synchronize_session=False))
        return len(ids)
