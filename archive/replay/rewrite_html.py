"""Archived HTML made to replay from this server only: every URL the browser would load or follow
is mapped onto ``/<timestamp>/<url>``, archived scripts are taken out unless asked for, and the
banner goes in after ``<body>``.

A streaming rewriter on the standard library's ``HTMLParser`` (the approach pywb takes): text,
comments and untouched tags are written back exactly as archived; a tag is re-serialised only
when one of its attributes changes. What is rewritten: ``href``, ``src``, ``srcset``,
``data-src``/``data-srcset`` (and the other common lazy-load names), ``poster``, ``action``,
``background``, SVG ``xlink:href``, ``<iframe srcdoc>``, inline ``style`` and ``<style>`` (through
``archive.replay.rewrite_css``), ``<base href>`` (which also becomes the base of later relative
references) and ``<meta http-equiv=refresh>``. ``integrity`` is dropped (the rewritten CSS no
longer has the archived hash), as are ``crossorigin`` (a same-origin fetch needs no CORS) and
``ping`` (pings go to the live web).

Scripts off (the default): ``<script>`` elements with executable types, ``on*=`` handlers and
``javascript:`` URLs are removed; the CSP forbids them anyway, this keeps the markup honest. With
scripts off nothing swaps lazy-loaded images in, so the rewriter promotes ``data-src`` to ``src``
(and ``data-srcset`` to ``srcset``) when the archived ``src`` is missing or a placeholder: empty,
a ``data:`` URI, ``about:blank``, or a file named like one (``blank``, ``spacer``,
``placeholder``, ``pixel``, ``transparent``, ``lazy``, ``loading``, ``1x1``). That is what a
reader with a modern browser saw once the page's own script had run.
"""

from __future__ import annotations

import codecs
import html
import logging
import re
from html.parser import HTMLParser

from archive.replay.rewrite_css import rewrite_css
from archive.replay.urlmap import UrlMap

log = logging.getLogger(__name__)

URL_ATTRS = frozenset({"href", "src", "action", "formaction", "poster", "background", "cite", "longdesc",
                       "lowsrc", "manifest", "icon", "xlink:href", "data-src", "data-lazy-src", "data-original",
                       "data-lazy", "data-bg", "data-background"})
OBJECT_DATA_TAGS = frozenset({"object"})
SRCSET_ATTRS = frozenset({"srcset", "data-srcset", "data-lazy-srcset", "imagesrcset"})
DROPPED_ATTRS = frozenset({"integrity", "crossorigin", "ping", "nonce"})
LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original", "data-lazy")
LAZY_SRCSETS = ("data-srcset", "data-lazy-srcset")
LAZY_TAGS = frozenset({"img", "source", "iframe", "video", "audio"})
SCRIPT_TYPES = frozenset({"", "text/javascript", "application/javascript", "module", "text/ecmascript",
                          "application/ecmascript", "text/jscript", "text/livescript", "application/x-javascript"})
_PLACEHOLDER = re.compile(r"(?:^|[/_.-])(?:blank|spacer|placeholder|pixel|transparent|lazy|loading|1x1|grey|gray)"
                          r"(?:[-_.][^/]*)?\.(?:gif|png|svg|jpe?g|webp)(?:[?#].*)?$", re.I)
_REFRESH = re.compile(r"^(\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?)(['\"]?)(.*?)\2\s*$", re.I | re.S)
_CHARSET_IN_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_CHARSET_IN_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def rewrite_srcset(value: str, urls: UrlMap) -> str:
    """Each candidate URL of a ``srcset`` mapped, descriptors (``2x``, ``640w``) kept."""
    out = []
    for candidate in _split_srcset(value):
        url, _, descriptor = candidate.strip().partition(" ")
        mapped = urls.replay(url)
        out.append((mapped or url) + (" " + descriptor.strip() if descriptor.strip() else ""))
    return ", ".join(out) if out else value


def _split_srcset(value: str) -> list[str]:
    """Candidates split on the commas between them (a URL may itself hold commas, as in
    ``/img,w_640/a.jpg 640w``: a comma splits only after whitespace or at the end of a descriptor)."""
    parts: list[str] = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):  # "a.jpg, b.jpg 2x": no descriptor
            parts.append(url.rstrip(","))
            continue
        desc_start = pos
        while pos < n and value[pos] != ",":
            pos += 1
        if url:
            parts.append(url + value[desc_start:pos])
        pos += 1
    return parts


def is_placeholder(src: str | None) -> bool:
    text = (src or "").strip()
    return (not text or text.lower().startswith(("data:", "about:blank")) or bool(_PLACEHOLDER.search(text)))


def document_codec(body: bytes, content_type: str | None) -> str | None:
    """The ASCII-compatible codec to decode (and encode back) the document with, or None when it
    has none (UTF-16 and the like are served unrewritten)."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    found = _CHARSET_IN_HEADER.search(content_type or "")
    label = found.group(1) if found else None
    if label is None and (meta := _CHARSET_IN_META.search(body[:4096])):
        label = meta.group(1).decode("ascii", "replace")
    try:
        name = codecs.lookup(label).name if label else "utf-8"
    except LookupError:
        name = "utf-8"
    if "utf-16" in name or "utf-32" in name or b"a=" != "a=".encode(name):
        return None
    return name


def rewrite_html(body: bytes, content_type: str | None, urls: UrlMap, banner: str = "") -> bytes:
    """The archived document ``body`` rewritten (see the module docstring); ``banner`` (HTML,
    ASCII) goes in as the first thing in ``<body>``."""
    codec = document_codec(body, content_type)
    if codec is None:
        return body
    text = body.decode(codec, "surrogateescape")
    rewriter = HtmlRewriter(urls, banner)
    try:
        rewriter.feed(text)
        rewriter.close()
    except AssertionError:  # _markupbase's "unknown status keyword" on a malformed <![...[ section
        log.warning("markup of %s could not be parsed; served as archived under the strict CSP", urls.document_url)
        return body
    return rewriter.result().encode(codec, "surrogateescape")


class HtmlRewriter(HTMLParser):
    def __init__(self, urls: UrlMap, banner: str = "") -> None:
        super().__init__(convert_charrefs=False)
        self.urls = urls
        self.banner = banner
        self.out: list[str] = []
        self._banner_done = not banner
        self._head_end: int | None = None
        self._in_style = False
        self._skipping_script = False

    def result(self) -> str:
        if not self._banner_done:  # no <body> tag: after </head>, else first
            at = self._head_end if self._head_end is not None else 0
            self.out.insert(at, self.banner)
        return "".join(self.out)

    # -- tags ------------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if self._skipping_script:
            return
        if tag == "script" and not self.urls.scripts and _executable(attrs):
            self._skipping_script = not closed
            return
        original = self.get_starttag_text() or ""
        new = self._attributes(tag, attrs)
        self.out.append(original if new == attrs else _serialise(tag, new, closed))
        if tag == "style" and not closed:
            self._in_style = True
        if tag == "body" and not self._banner_done:
            self.out.append(self.banner)
            self._banner_done = True

    def handle_endtag(self, tag: str) -> None:
        if self._skipping_script:
            if tag == "script":
                self._skipping_script = False
            return
        if tag == "style":
            self._in_style = False
        self.out.append(f"</{tag}>")
        if tag == "head" and self._head_end is None:
            self._head_end = len(self.out)

    # -- everything else, as archived ------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self._skipping_script:
            return
        self.out.append(rewrite_css(data, self.urls) if self._in_style else data)

    def handle_entityref(self, name: str) -> None:
        if not self._skipping_script:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self._skipping_script:
            self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        if not self._skipping_script:
            self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]]>")  # <![CDATA[x]]> arrives as "CDATA[x"

    # -- attributes ------------------------------------------------------------------------------
    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
        if tag == "base":
            href = next((v for k, v in attrs if k == "href" and v), None)
            if href:
                self.urls.set_base(href)
        if tag in LAZY_TAGS and not self.urls.scripts:
            attrs = _promote_lazy(attrs)
        new: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if name in DROPPED_ATTRS or (name.startswith("on") and not self.urls.scripts):
                continue
            if value is None:
                new.append((name, value))
            elif name in URL_ATTRS or (name == "data" and tag in OBJECT_DATA_TAGS):
                new.append((name, self.urls.replay(value) or value))
            elif name in SRCSET_ATTRS:
                new.append((name, rewrite_srcset(value, self.urls)))
            elif name == "style":
                new.append((name, rewrite_css(value, self.urls)))
            elif name == "srcdoc":  # a whole document inside the attribute: rewritten the same way
                inner = HtmlRewriter(self.urls)
                try:
                    inner.feed(value)
                    inner.close()
                    new.append((name, inner.result()))
                except AssertionError:
                    continue
            elif name == "content" and tag == "meta" and _is_refresh(attrs):
                new.append((name, self._refresh(value)))
            else:
                new.append((name, value))
        return new

    def _refresh(self, value: str) -> str:
        match = _REFRESH.match(value)
        if not match or not match.group(3):
            return value
        mapped = self.urls.replay(match.group(3))
        return value if mapped is None else match.group(1) + mapped


def _promote_lazy(attrs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    values = dict(attrs)
    lazy_src = next((values[n] for n in LAZY_SOURCES if values.get(n)), None)
    lazy_srcset = next((values[n] for n in LAZY_SRCSETS if values.get(n)), None)
    promote_src = lazy_src is not None and is_placeholder(values.get("src"))
    promote_srcset = lazy_srcset is not None and is_placeholder(values.get("srcset"))
    if not promote_src and not promote_srcset:
        return attrs
    out = [(k, v) for k, v in attrs if not (promote_src and k == "src") and not (promote_srcset and k == "srcset")]
    if promote_src:
        out.append(("src", lazy_src))
    if promote_srcset:
        out.append(("srcset", lazy_srcset))
    return out


def _executable(attrs: list[tuple[str, str | None]]) -> bool:
    kind = next((v for k, v in attrs if k == "type"), None) or ""
    return kind.split(";")[0].strip().lower() in SCRIPT_TYPES


def _is_refresh(attrs: list[tuple[str, str | None]]) -> bool:
    return any(k == "http-equiv" and (v or "").strip().lower() == "refresh" for k, v in attrs)


def _serialise(tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> str:
    parts = [f"<{tag}"]
    for name, value in attrs:
        parts.append(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"')
    return "".join(parts) + (" />" if closed else ">")
