"""Requisites of an HTML page, as a browser would load them to render it.

Found: ``<link rel=stylesheet>`` (and ``preload``/``modulepreload`` of styles, fonts, images,
scripts), favicons (``icon``, ``shortcut icon``, ``apple-touch-icon``, ``mask-icon``),
``<script src>``, ``<img src>`` and the largest ``srcset`` candidate (``<picture><source>`` too),
lazy-load ``data-src``/``data-srcset``/``data-lazy-src``/``data-original``, ``<video poster>``,
``og:image``, ``<style>`` blocks and inline ``style="…"`` ``url()``s. References resolve against
``<base href>`` (itself resolved against the page URL) and the page URL, protocol-relative ones
included. A 1×1 image is flagged as a beacon, which the scope leaves out as a tracker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.etree import ParserError
from lxml.html import HtmlElement, HTMLParser, document_fromstring

from archive.requisites.css import css_references, style_attribute_references
from archive.requisites.urls import fetchable

_ICON_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"})
_PRELOAD_AS = {"style": "stylesheet", "font": "font", "image": "image", "script": "script"}
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)
MAX_HTML_BYTES = 5 * 1024 * 1024  # requisites of a bigger page are read from its first 5 MB


@dataclass(frozen=True)
class Requisite:
    url: str  # absolute, fragment removed
    kind: str  # stylesheet | script | image | icon | font | css-url
    beacon: bool = False  # a 1x1 image: a tracking pixel, never fetched


def largest_candidate(srcset: str) -> str | None:
    """The candidate of a ``srcset`` with the largest width (``640w``) or density (``2x``);
    a candidate without a descriptor counts as ``1x``. None when the attribute holds none."""
    best: tuple[float, str] | None = None
    for url, descriptor in _candidates(srcset):
        match = _DESCRIPTOR.match(descriptor)
        size = float(match.group(1)) if match else 1.0
        if match and match.group(2).lower() == "w":
            size *= 1_000_000  # any width beats any density: widths name real image sizes
        if best is None or size > best[0]:
            best = (size, url)
    return best[1] if best else None


def _candidates(srcset: str) -> list[tuple[str, str]]:
    """``srcset`` candidates as (url, descriptor), split as the HTML standard splits them: a URL
    runs to whitespace (a trailing comma ends it), its descriptors to the next comma."""
    found: list[tuple[str, str]] = []
    pos, text = 0, srcset
    while pos < len(text):
        while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        start = pos
        while pos < len(text) and not text[pos].isspace():
            pos += 1
        url = text[start:pos]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = text.find(",", pos)
            end = len(text) if end < 0 else end
            descriptor, pos = text[pos:end].strip(), end + 1
        if url and not _DESCRIPTOR.match(url):  # a stray descriptor ("…, 150w") is no URL
            found.append((url, descriptor.split()[0] if descriptor else ""))
    return found


def _is_beacon(img: HtmlElement) -> bool:
    return (img.get("width") or "").strip() in ("0", "1") and (img.get("height") or "").strip() in ("0", "1")


class _Collector:
    def __init__(self, base: str, page_url: str) -> None:
        self.base = base
        self.page = fetchable(page_url)
        self.found: dict[str, Requisite] = {}

    def add(self, reference: str | None, kind: str, *, beacon: bool = False) -> None:
        if not reference or not reference.strip():
            return
        url = fetchable(urljoin(self.base, reference.strip()))
        # src="#" or src="?" on a real page resolves to the page itself: not a requisite.
        if url and url != self.page and url not in self.found:
            self.found[url] = Requisite(url, kind, beacon)

    def add_srcset(self, srcset: str | None, kind: str = "image") -> None:
        if srcset:
            self.add(largest_candidate(srcset), kind)


def _links(tree: HtmlElement, out: _Collector) -> None:
    for link in tree.iter("link"):
        rels = set((link.get("rel") or "").lower().split())
        href = link.get("href")
        if "stylesheet" in rels and "alternate" not in rels:
            out.add(href, "stylesheet")
        elif rels & _ICON_RELS:
            out.add(href, "icon")
        elif rels & {"preload", "modulepreload"}:
            kind = "script" if "modulepreload" in rels else _PRELOAD_AS.get((link.get("as") or "").lower())
            if kind:
                out.add(href, kind)
                out.add_srcset(link.get("imagesrcset"))


def _media(tree: HtmlElement, out: _Collector) -> None:
    for img in tree.iter("img", "source", "video", "input"):
        tag = img.tag
        if tag == "video":
            out.add(img.get("poster"), "image")
            continue
        if tag == "input" and (img.get("type") or "").lower() != "image":
            continue
        if tag == "source" and (img.getparent() is None or img.getparent().tag != "picture"):
            continue  # <audio>/<video> sources: media files, not page requisites
        beacon = tag == "img" and _is_beacon(img)
        out.add(img.get("src"), "image", beacon=beacon)
        out.add_srcset(img.get("srcset"))
        for name in _LAZY_SRC:
            out.add(img.get(name), "image", beacon=beacon)
        for name in _LAZY_SRCSET:
            out.add_srcset(img.get(name))


def find_requisites(html: bytes, page_url: str) -> list[Requisite]:
    """Every requisite of a page, each URL once, in document order by kind of tag."""
    try:
        tree = document_fromstring(html[:MAX_HTML_BYTES],
                                   parser=HTMLParser(recover=True, no_network=True, remove_comments=True))
    except (ParserError, ValueError):  # lxml: an empty or undecodable document
        return []
    base_href = next((b.get("href") for b in tree.iter("base") if b.get("href")), None)
    out = _Collector(urljoin(page_url, base_href.strip()) if base_href else page_url, page_url)
    _links(tree, out)
    for script in tree.iter("script"):
        out.add(script.get("src"), "script")
    _media(tree, out)
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in ("og:image", "og:image:url"):
            out.add(meta.get("content"), "image")
    for style in tree.iter("style"):
        for url in css_references(style.text_content(), out.base):
            out.add(url, "css-url")
    for element in tree.xpath("//*[@style]"):
        for url in style_attribute_references(element.get("style") or "", out.base):
            out.add(url, "css-url")
    return list(out.found.values())
