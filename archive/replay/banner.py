"""The banner over a replayed page (outlet, URL, capture time, the neighbouring captures, the
article's record), and the page that frames an archived document when scripts may run.

Isolation without a script (the archived page's CSP allows none): the banner is one custom
element, ``<pressclips-banner>``, which no site's selectors name, and every element in it carries
``all: initial`` and its own declarations inline with ``!important``, so the page's stylesheets can
neither restyle it nor be restyled by it (it brings no stylesheet). It is a block of fixed height in
the normal flow, the first thing in ``<body>``: the page moves down by that height and nothing
else changes. All text is escaped and the markup is ASCII (``&#...;`` references), so it can go
into a document of any ASCII-compatible encoding.
"""

from __future__ import annotations

import html
from datetime import timezone

from archive.replay.context import CaptureContext, CaptureLink
from archive.replay.lookup import CaptureInfo
from archive.replay.responses import replay_path

BANNER_HEIGHT = 30  # px
FRAME_MODIFIER = "if_"  # pywb's name for "the framed document itself"
_BOX = ("display:block;box-sizing:border-box;position:relative;z-index:2147483647;width:100%;"
        f"height:{BANNER_HEIGHT}px;margin:0;padding:0 10px;overflow:hidden;white-space:nowrap;"
        "text-overflow:ellipsis;background:#1f2933;color:#f5f7fa;border-bottom:2px solid #f0b429;"
        "font:13px/28px system-ui,-apple-system,'Segoe UI',sans-serif;text-align:left;direction:ltr")
_TEXT = "display:inline;color:inherit;font:inherit;white-space:nowrap"
_STRONG = _TEXT + ";font-weight:700;color:#f0b429"
_LINK = _TEXT + ";color:#9fd3ff;text-decoration:underline;cursor:pointer;margin:0 0 0 6px"
_DIM = _TEXT + ";color:#9aa5b1;margin:0 0 0 6px"


def _important(declarations: str) -> str:
    """``all:initial`` then each declaration, every one ``!important``: a page rule cannot win."""
    items = ["all:initial", *(d for d in declarations.split(";") if d.strip())]
    return ";".join(f"{d.strip()}!important" for d in items)


def _ascii(text: str) -> str:
    return html.escape(text, quote=True).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _span(style: str, text: str) -> str:
    return f'<span style="{_important(style)}">{_ascii(text)}</span>'


def _a(href: str, text: str, title: str = "") -> str:
    hint = f' title="{_ascii(title)}"' if title else ""
    return f'<a href="{_ascii(href)}"{hint} style="{_important(_LINK)}">{_ascii(text)}</a>'


def _when(link: CaptureLink | CaptureInfo) -> str:
    return link.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def without_banner(path: str) -> str:
    """``path`` (a replay path) with ``banner=0`` added to its query."""
    return path + ("&" if "?" in path else "?") + "banner=0"


def banner_html(capture: CaptureInfo, context: CaptureContext, modifier: str = "") -> str:
    """The banner for ``capture`` (see the module docstring)."""
    here = replay_path(capture.timestamp, capture.url)
    earlier = [c for c in context.others if c.fetched_at < capture.fetched_at]
    later = [c for c in context.others if c.fetched_at >= capture.fetched_at]
    parts = [_span(_STRONG, "pressclips archive")]
    if context.outlet:
        parts.append(_span(_DIM, "\u00b7 " + context.outlet))
    parts.append(_span(_DIM, "\u00b7 captured " + _when(capture) + " UTC"))
    if earlier:
        parts.append(_a(replay_path(earlier[-1].timestamp, earlier[-1].url, modifier), "\u25c0 earlier",
                        f"capture of {_when(earlier[-1])} UTC"))
    if later:
        parts.append(_a(replay_path(later[0].timestamp, later[0].url, modifier), "later \u25b6",
                        f"capture of {_when(later[0])} UTC"))
    if context.article_id is not None:
        plural = "s" if context.total != 1 else ""
        label = f"article record ({context.total} capture{plural} of this URL)"
        parts.append(_a(f"/article/{context.article_id}", label))
    elif context.total > 1:
        parts.append(_span(_DIM, f"{context.total} captures of this URL"))
    parts.append(_a(without_banner(here), "hide banner"))
    parts.append(_span(_DIM, "\u00b7 " + capture.url))
    return f'<pressclips-banner role="banner" style="{_important(_BOX)}">' + "".join(parts) + "</pressclips-banner>"


def frame_page(capture: CaptureInfo, banner: str) -> str:
    """The outer page when archived scripts may run: the banner, then the archived document in an
    iframe sandboxed to an opaque origin (``allow-scripts`` without ``allow-same-origin``), so its
    scripts can read nothing of this server's pages and cannot navigate the top window."""
    inner = replay_path(capture.timestamp, capture.url, FRAME_MODIFIER)
    offset = BANNER_HEIGHT if banner else 0
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{_ascii(capture.url)} ({_when(capture)} UTC) - pressclips archive</title>"
            "<style>html,body{margin:0;padding:0;height:100%;overflow:hidden}"
            f"iframe{{display:block;border:0;width:100%;height:calc(100% - {offset}px)}}</style></head><body>"
            + banner + f'<iframe sandbox="allow-scripts" src="{_ascii(inner)}" title="archived page"></iframe>'
            "</body></html>")
