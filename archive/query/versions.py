"""An article's versions, and a readable diff between two of them (``pressclips versions/diff``).

Users see versions numbered 1..n in ``first_seen`` order (ties by row id); only these numbers are
accepted, never row ids, because "2" meaning either would be ambiguous. Row ids appear in the
listing (``id``) for scripts that join other tables.

``changes`` is what differs from the previous version: any of ``title``, ``byline``, ``text``,
``date``. The value the store recorded wins; versions stored before the store recorded it get
it computed here against the previous version by number.
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import Engine, select

from archive.db.models import Article, ArticleVersion, Capture
from archive.db.session import reading
from archive.errors import ConfigError
from archive.query.articles import warc_fields
from archive.times import iso

CHANGE_FIELDS = ("title", "byline", "text", "date")


def compute_changes(old: ArticleVersion | dict[str, Any], new: ArticleVersion | dict[str, Any]) -> list[str]:
    """Which of title, byline (authors), text and date (published_at) differ between two versions."""
    def get(v: Any, name: str) -> Any:
        return v[name] if isinstance(v, dict) else getattr(v, name)

    changed = {
        "title": (get(old, "title") or "") != (get(new, "title") or ""),
        "byline": list(get(old, "authors") or []) != list(get(new, "authors") or []),
        "text": get(old, "content_hash") != get(new, "content_hash"),
        "date": get(old, "published_at") != get(new, "published_at"),
    }
    return [name for name in CHANGE_FIELDS if changed[name]]


def _load(engine: Engine, article_id: int) -> tuple[Article, list[tuple[ArticleVersion, Capture | None]]]:
    with reading(engine, f"reading the versions of article {article_id}") as session:
        article = session.get(Article, article_id)
        if article is None:
            raise ConfigError(f"no article {article_id}",
                              hint="article ids are the 'id' field of 'pressclips export'")
        rows = session.execute(
            select(ArticleVersion, Capture).outerjoin(Capture, Capture.id == ArticleVersion.capture_id)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.first_seen, ArticleVersion.id)).all()
        session.expunge_all()
    if not rows:
        raise ConfigError(f"article {article_id} has no versions", hint="run 'pressclips verify'")
    return article, [(v, c) for v, c in rows]


def list_versions(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first, numbered from 1; ``current`` marks the one shown now."""
    article, rows = _load(engine, article_id)
    out: list[dict[str, Any]] = []
    previous: ArticleVersion | None = None
    for number, (version, capture) in enumerate(rows, start=1):
        changes = list(version.changes or [])
        if not changes and previous is not None:
            changes = compute_changes(previous, version)
        out.append({
            "number": number,
            "id": version.id,
            "current": version.id == article.current_version_id,
            "first_seen": iso(version.first_seen),
            "last_seen": iso(version.last_seen),
            "title": version.title,
            "authors": list(version.authors or []),
            "published_at": iso(version.published_at),
            "content_hash": version.content_hash,
            "changes": changes,
            "capture": None if capture is None else {"id": capture.id, **warc_fields(capture.pointer)},
        })
        previous = version
    return out


def _valid(n: int) -> str:
    return "valid version numbers: " + (", ".join(map(str, range(1, n + 1))) if n <= 10 else f"1 to {n}")


def diff_versions(engine: Engine, article_id: int, a: int | None = None, b: int | None = None) -> str:
    """A unified diff from version ``a`` to ``b`` (numbers 1..n).

    ``b`` defaults to the current version; ``a`` to the version shown before ``b``: for the
    current one, the other version seen most recently (so a reverted edit diffs against the text
    it replaced), else ``b - 1``.
    """
    article, rows = _load(engine, article_id)
    versions = [v for v, _c in rows]
    n = len(versions)
    for value in (a, b):
        if value is not None and not 1 <= value <= n:
            raise ConfigError(f"article {article_id} has no version {value}", hint=_valid(n))
    current = next((i for i, v in enumerate(versions, 1) if v.id == article.current_version_id), n)
    if b is None:
        b = current
    if a is None:
        if n == 1:
            return f"article {article_id} has a single version (1): nothing to compare\n"
        if b == current:
            others = [i for i in range(1, n + 1) if i != b]
            a = max(others, key=lambda i: (versions[i - 1].last_seen, i))
        elif b > 1:
            a = b - 1
        else:
            raise ConfigError(f"version 1 of article {article_id} has no previous version",
                              hint="give both versions, e.g. 'pressclips diff ID 1 2'")
    old, new = versions[a - 1], versions[b - 1]
    return _render(article, (a, old, a == current), (b, new, b == current))


def _label(number: int, version: ArticleVersion, current: bool) -> str:
    seen = version.first_seen.strftime("%Y-%m-%d %H:%M UTC")
    return f"version {number} (id {version.id}{', current' if current else ''}), first seen {seen}"


def _render(article: Article, old_t: tuple[int, ArticleVersion, bool], new_t: tuple[int, ArticleVersion, bool]) -> str:
    (a, old, old_cur), (b, new, new_cur) = old_t, new_t
    out = [f"article {article.id}: {article.canonical_url}",
           f"--- {_label(a, old, old_cur)}", f"+++ {_label(b, new, new_cur)}"]
    changes = compute_changes(old, new)
    if not changes:
        out.append("no differences")
        return "\n".join(out) + "\n"
    out.append("changed: " + ", ".join(changes))
    fields = {"title": (old.title or "", new.title or ""),
              "byline": (", ".join(old.authors or []), ", ".join(new.authors or [])),
              "date": (iso(old.published_at) or "(none)", iso(new.published_at) or "(none)")}
    for name in ("title", "byline", "date"):
        if name in changes:
            before, after = fields[name]
            out += [f"{name}:", f"- {before}", f"+ {after}"]
    if "text" in changes:
        out.append("text:")
        old_lines = [p for p in (old.text or "").splitlines() if p.strip()]
        new_lines = [p for p in (new.text or "").splitlines() if p.strip()]
        body = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=1))
        out += body[2:] or ["(whitespace only)"]  # difflib's ---/+++ lines dropped: the header says it
    return "\n".join(out) + "\n"
