"""The story section of the web UI's article page: the article's story, its own similarity and
its siblings on other outlets, each linking to its article page (``archive.query.stories``).

Rendered apart from ``archive.replay.pages`` so the replay server's page code only calls it;
every archived value is escaped, as everywhere in the server's pages.
"""

from __future__ import annotations

import html
from typing import Any


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def story_section(story: dict[str, Any] | None) -> str:
    """HTML for ``article_detail(...)["story"]``; empty for an article without a story."""
    if story is None:
        return ""
    if story["first"]:
        own = "this article is the first to publish"
    elif story["similarity"] is None:
        own = "this article started the story"
    else:
        own = f"this article's similarity: {story['similarity']:.2f}"
    rows = "".join(
        f'<tr><td><a href="/article/{int(s["id"])}">{_esc(s["title"] or s["url"])}</a>'
        f'{" (first)" if s["first"] else ""}</td><td>{_esc(s["outlet"])}</td>'
        f'<td>{_esc((s["published"] or "")[:16].replace("T", " "))}</td>'
        f'<td>{"" if s["similarity"] is None else _esc(format(s["similarity"], ".2f"))}</td></tr>'
        for s in story["siblings"])
    table = ("<table><tr><th>article</th><th>outlet</th><th>published</th><th>similarity</th></tr>"
             + rows + "</table>") if rows else "<p class=meta>no other article carries this story</p>"
    return (f"<h3>Story {int(story['id'])}: {int(story['pickups'])} pickup(s)</h3>"
            f"<p class=meta>story_id {int(story['id'])} · {own}</p>" + table)
