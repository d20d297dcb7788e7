"""Everything the archive knows about one article, as one plain dict (``pressclips show``, web pages).

Metadata, the current version with its text, its story and story siblings, every version
(metadata only, no texts), every URL variant seen, and the newest captures with their WARC
pointers. Lists that grow with recrawls are capped (``MAX_CAPTURES``) and report their full
size, so one article never becomes a huge answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from archive.db.models import Article, ArticleVersion, Capture, Outlet, UrlState
from archive.db.session import reading
from archive.query.articles import warc_fields
from archive.query.stories import story_of
from archive.times import iso

MAX_CAPTURES = 50
MAX_URLS = 200


def article_detail(engine: Engine, article_id: int) -> dict[str, Any] | None:
    """The article ``article_id`` as a JSON-ready dict, or None when there is no such article."""
    with reading(engine, f"reading article {article_id}") as session:
        article = session.get(Article, article_id)
        if article is None:
            return None
        outlet = session.scalar(select(Outlet.name).where(Outlet.id == article.outlet_id)) \
            if article.outlet_id is not None else None
        versions = session.execute(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                   .order_by(ArticleVersion.first_seen, ArticleVersion.id)).scalars().all()
        current = next((v for v in versions if v.id == article.current_version_id), None)
        urls = session.execute(select(UrlState).where(UrlState.article_id == article_id)
                               .order_by(UrlState.first_seen, UrlState.id).limit(MAX_URLS)).scalars().all()
        n_captures = int(session.scalar(select(func.count()).select_from(Capture)
                                        .where(Capture.article_id == article_id)) or 0)
        captures = session.execute(select(Capture).where(Capture.article_id == article_id)
                                   .order_by(Capture.fetched_at.desc(), Capture.id.desc())
                                   .limit(MAX_CAPTURES)).scalars().all()
        story = story_of(session, article_id)
    return {
        "id": article.id,
        "url": article.canonical_url,
        "url_key": article.url_key,
        "outlet": outlet,
        "first_seen": iso(article.first_seen),
        "last_seen": iso(article.last_seen),
        "gone": bool(article.gone),
        "gone_at": iso(article.gone_at),
        "current_version_id": article.current_version_id,
        "title": current.title if current else None,
        "authors": list(current.authors or []) if current else [],
        "published": iso(current.published_at) if current else None,
        "modified": iso(current.modified_at) if current else None,
        "language": current.language if current else None,
        "description": current.description if current else None,
        "text": current.text if current else None,
        "versions": [{
            "id": v.id, "current": v.id == article.current_version_id, "content_hash": v.content_hash,
            "title": v.title, "published": iso(v.published_at), "first_seen": iso(v.first_seen),
            "last_seen": iso(v.last_seen), "changes": list(v.changes or []), "extractor": v.extractor,
            "capture_id": v.capture_id, "chars": len(v.text or ""),
        } for v in versions],
        "urls": [{"url": u.url, "discovered_via": u.discovered_via, "first_seen": iso(u.first_seen),
                  "last_fetched_at": iso(u.last_fetched_at), "last_status": u.last_status} for u in urls],
        "story": story,  # its story id, pickups, this article's similarity and its siblings
        "captures_total": n_captures,
        "captures": [{
            "id": c.id, "url": c.url, "fetched_at": iso(c.fetched_at), "status": c.status, "mime": c.mime,
            "kind": c.kind, "version_id": c.version_id, "payload_digest": c.payload_digest,
            "warc": warc_fields(c.pointer),
        } for c in captures],
    }
