"""What the replay server says around a capture: the banner's facts (outlet, the article record,
the other captures of the URL) and, for a URL the archive does not hold, the captures nearest to
it (same URL under another form, else the same host) closest to the wanted time.

Read-only queries on the archive's engine, each bounded by a small ``LIMIT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, or_, select

from archive.db.models import Article, Capture, Outlet
from archive.db.session import reading
from archive.replay.lookup import CaptureInfo
from archive.replay.target import timestamp14
from archive.urls import canonicalize

OTHER_CAPTURES = 12  # listed in the banner: the ones closest in time
NEARBY = 10  # offered on a "not archived" page


@dataclass(frozen=True)
class CaptureLink:
    url: str
    fetched_at: datetime
    status: int
    kind: str | None

    @property
    def timestamp(self) -> str:
        return timestamp14(self.fetched_at)


@dataclass(frozen=True)
class CaptureContext:
    outlet: str | None
    article_id: int | None
    others: list[CaptureLink]  # other captures of the same URL, oldest first
    total: int  # how many captures of the URL the archive holds


def _link(row: Capture) -> CaptureLink:
    return CaptureLink(row.url, row.fetched_at, row.status, row.kind)


def describe(engine: Engine, capture: CaptureInfo) -> CaptureContext:
    """The banner's facts for ``capture``."""
    with reading(engine, f"describing capture {capture.id}") as session:
        outlet = session.scalar(select(Outlet.name).join(Capture, Capture.outlet_id == Outlet.id)
                                .where(Capture.id == capture.id))
        article_id = capture.article_id
        if article_id is None:
            article_id = session.scalar(select(Article.id).where(Article.url_key == canonicalize(capture.url)))
        same = Capture.url == capture.url
        before = session.scalars(select(Capture).where(same, Capture.fetched_at <= capture.fetched_at)
                                 .order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(OTHER_CAPTURES // 2))
        after = session.scalars(select(Capture).where(same, Capture.fetched_at > capture.fetched_at)
                                .order_by(Capture.fetched_at.asc(), Capture.id.asc()).limit(OTHER_CAPTURES // 2))
        rows = {r.id: r for r in [*before, *after] if r.id != capture.id}
        total = session.scalar(select(func.count()).select_from(Capture).where(same)) or 0
    others = sorted((_link(r) for r in rows.values()), key=lambda c: c.fetched_at)
    return CaptureContext(outlet, article_id, others, total)


def nearby(engine: Engine, url: str, at: datetime | None) -> list[CaptureLink]:
    """Captures on the host of ``url`` (either scheme), closest to ``at`` (newest without it)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return []
    prefixes = [f"{scheme}://{parts.netloc}/" for scheme in ("http", "https")]
    escaped = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for p in prefixes]
    on_host = or_(*(Capture.url.like(p, escape="\\") for p in escaped))
    with reading(engine, f"looking up captures near {url}") as session:
        base = select(Capture).where(on_host)
        if at is None:
            rows = list(session.scalars(base.order_by(Capture.fetched_at.desc()).limit(NEARBY)))
        else:
            rows = [*session.scalars(base.where(Capture.fetched_at <= at).order_by(Capture.fetched_at.desc())
                                     .limit(NEARBY)),
                    *session.scalars(base.where(Capture.fetched_at > at).order_by(Capture.fetched_at.asc())
                                     .limit(NEARBY))]
        links = [_link(r) for r in rows]
    if at is not None:
        links.sort(key=lambda c: abs((c.fetched_at - at).total_seconds()))
    return links[:NEARBY]
