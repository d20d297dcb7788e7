"""Re-checks: a share of each run's page budget goes to known articles whose recrawl schedule has
ended, least recently fetched first, so over runs every article is looked at again (an edit no
source announced, or a page that now answers 404/410 and is marked gone).

A re-check is claimed like any due URL (``Frontier.claim``): the claimed row carries its
validators and last good capture, so the request is conditional and an unchanged page costs a
304. The quota is per outlet and per run; it lives in memory with the run, because a killed
run's successor starts a new one anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from archive.db.models import Article, UrlState

# A page fetched less than this long ago is not worth a re-check yet: without it, a small outlet
# would have every article asked for again by each run, however often cron starts one.
RECHECK_AFTER = timedelta(days=1)


@dataclass
class RecheckQuota:
    """How many re-checks one outlet may still make in this run: ``share`` of its page budget."""

    share: float
    allowed: int
    used: int = 0
    after: timedelta = RECHECK_AFTER

    @classmethod
    def of_budget(cls, share: float, budget: int) -> RecheckQuota:
        """``share`` (0–1) of ``budget`` pages, rounded down but at least one when both are positive."""
        share = min(max(share, 0.0), 1.0)
        allowed = max(1, math.floor(share * budget)) if share > 0 and budget > 0 else 0
        return cls(share, allowed)

    def left(self) -> int:
        return max(0, self.allowed - self.used)

    def reserved(self, batch: int) -> int:
        """Slots of a claim batch kept for re-checks even when enough URLs are due."""
        return min(self.left(), math.ceil(batch * self.share)) if batch > 0 else 0


def recheck_ids(session: Session, outlet_id: int | None, run_id: int, limit: int,
                fetched_before: datetime) -> list[int]:
    """Up to ``limit`` article URLs of the outlet with no visit planned, last fetched before
    ``fetched_before``, not claimed by this run yet: least recently fetched first (the ``(outlet_id,
    last_fetched_at)`` index gives them in order). One URL per article: the one fetched last
    (the canonical URL once it was fetched, not the variant that came first)."""
    if limit <= 0:
        return []
    later = aliased(UrlState)
    fetched_since = exists().where(later.article_id == UrlState.article_id,
                                   later.last_fetched_at > UrlState.last_fetched_at, later.fetch_count > 0)
    return list(session.scalars(
        select(UrlState.id).where(
            UrlState.outlet_id == outlet_id, UrlState.last_fetched_at < fetched_before,
            UrlState.article_id.is_not(None), UrlState.next_due_at.is_(None), UrlState.fetch_count > 0,
            or_(UrlState.claimed_run_id.is_(None), UrlState.claimed_run_id != run_id), ~fetched_since)
        .order_by(UrlState.last_fetched_at, UrlState.id).limit(limit)))


__all__ = ["RECHECK_AFTER", "RecheckQuota", "recheck_ids"]


def recheck_dropped(session: Session, outlet_id: int | None, document: str, previous_read: datetime | None,
                    read_at: datetime, now: datetime) -> int:
    """Make due, once, the fetched articles that ``document`` (a sitemap or feed read in full) listed
    at its previous full read but no longer lists: a removed or unpublished article leaves its
    sitemap and feed first, and only a re-check can see its 404/410. An article that merely rolled
    off a feed costs one conditional request (a 304) in its lifetime.

    Listed at the previous read = first sighted there and seen since ``previous_read``; not listed
    now = not seen since this read began (``read_at``: sightings of a read are recorded after its
    response arrived). Without a previous full read nothing is due: an archive older than this
    rule would otherwise re-check every article that ever left a feed at once. A re-checked row
    keeps ``discovery["left"]``: its re-check fetch would otherwise look like a listing next time.
    """
    if previous_read is None or previous_read >= read_at:
        return 0
    source = or_(UrlState.discovery["sitemap"].as_string() == document,
                 UrlState.discovery["feed"].as_string() == document)
    gone = exists().where(Article.id == UrlState.article_id, Article.gone.is_(True))
    rows = session.execute(
        select(UrlState.id, UrlState.discovery)
        .where(UrlState.outlet_id == outlet_id, source, UrlState.fetch_count > 0, ~gone,
               UrlState.last_seen >= previous_read, UrlState.last_seen < read_at,
               or_(UrlState.next_due_at.is_(None), UrlState.next_due_at > now))).all()
    made_due = 0
    for row_id, discovery in rows:
        if (discovery or {}).get("left") == document:
            continue  # re-checked already: its fetch since then is what made it look listed
        session.execute(update(UrlState).where(UrlState.id == row_id)
                        .values(next_due_at=now, discovery={**(discovery or {}), "left": document})
                        .execution_options(synchronize_session=False))
        made_due += 1
    return made_due
