"""Safe XML and gzip plumbing for bodies fetched from the open web.

This module owns turning untrusted bytes into something a parser can walk without being
exploited: gzip detection by magic bytes and bounded incremental inflate (``gunzip``,
``maybe_gunzip``, capped at ``MAX_SITEMAP_BYTES`` by default), rewriting HTML entities and bare
``&`` as numeric references so libxml2's recover mode keeps later text, the hardened lxml parser
behind ``parse_xml``, an entity-safe text walker (``element_text``), namespace/prefix-blind
element lookups (``local_name``, ``child_named``, ``children_named``) and the one definition of
a usable absolute http(s) URL (``absolute_url``, ``element_base``). What the documents *mean*
(sitemaps, feeds, robots.txt) is ``crawler.discovery``'s business; HTML links are
``crawler.links``'s. It is pure: no Scrapy, no Twisted, no I/O.

Hostile-input stance: XML is parsed without entity expansion (no billion-laughs blow-up: entity
references stay unexpanded nodes, and ``element_text`` never expands them either), DTD loading or
network access; gzip is inflated in 1 MiB steps under a hard size cap, so a bomb is caught after
producing the cap rather than after allocating all of it; every failure surfaces as
``DiscoveryParseError`` (a ``ValueError``) and nothing else.
"""

from __future__ import annotations

import re
import zlib
from html.entities import html5 as html5_entities
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from archive.urls import is_http_url

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemap protocol limit for the uncompressed file
GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 1024 * 1024


class DiscoveryParseError(ValueError):
    """The body is not the document kind the caller asked for, or is unsafe to process."""


# --------------------------------------------------------------------------- gzip


def gunzip(body: bytes, cap: int, *, partial: bool = False) -> bytes:
    """Inflate gzip ``body`` without ever holding more than ``cap + 1`` output bytes.

    ``max_length`` bounds each step, so a bomb is detected after producing cap bytes rather
    than after allocating all of them. ``partial`` returns the first ``cap`` bytes (for sniffing).
    """
    out = bytearray()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = body
    try:
        while True:
            # Small steps: one huge chunk plus the buffer it is appended to would double the peak.
            chunk = inflater.decompress(data, min(_INFLATE_STEP, cap + 1 - len(out)))
            out += chunk
            if len(out) > cap:
                if partial:
                    return bytes(out[:cap])
                raise DiscoveryParseError(f"gzip body inflates beyond {cap} bytes")
            data = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                if not rest.startswith(GZIP_MAGIC):  # concatenated members are legal gzip
                    break
                inflater, data = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
            elif not chunk and not data:
                break  # truncated stream: keep what we have, recover-mode XML copes
    except zlib.error as exc:
        if partial:
            return bytes(out)
        raise DiscoveryParseError(f"corrupt gzip body: {exc}") from None
    return bytes(out)


def maybe_gunzip(body: bytes, cap: int = MAX_SITEMAP_BYTES) -> bytes:
    # Decide by magic bytes: servers label .xml.gz as text/xml, application/x-gzip or anything.
    return gunzip(body, cap) if body[:2] == GZIP_MAGIC else body


# --------------------------------------------------------------------------- XML parsing


# A named reference, a numeric one, or a bare "&" (e.g. an unescaped "?a=1&b=2" in a link).
_AMPERSAND = re.compile(rb"&(?:([A-Za-z][A-Za-z0-9]{1,31});|#[0-9]{1,8};|#x[0-9A-Fa-f]{1,8};)?")


def _is_xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _entity_to_numeric(match: re.Match[bytes]) -> bytes:
    if match.group(1) is None:
        ref = match.group(0)
        if len(ref) == 1:
            return b"&#38;"
        # Found by fuzzing: recover mode turns "&#xD800;" into invalid UTF-8 inside lxml, and
        # reading that element's tag, attribute or text then raises UnicodeDecodeError.
        code = int(ref[3:-1], 16) if ref[:3] == b"&#x" else int(ref[2:-1])
        return ref if _is_xml_char(code) else b"&#xFFFD;"
    chars = html5_entities.get(match.group(1).decode("ascii") + ";")
    if chars is None:  # not HTML's: the document's own entity, left unexpanded by the parser
        return match.group(0)
    return "".join(f"&#{ord(c)};" for c in chars).encode("ascii")


def _numeric_references(body: bytes) -> bytes:
    """Rewrite ``&amp;``, ``&eacute;`` and bare ``&`` as numeric references, outside CDATA.

    Measured with libxml2 2.14: once a document has any error (an HTML entity like
    ``&eacute;``, a bare ``&``), recover mode silently drops every later ``&amp;``/``&lt;``,
    while numeric references survive. HTML entities themselves are common in feeds made by
    HTML templates. The scan is forward-only so unterminated CDATA cannot make it quadratic.
    """
    if b"&" not in body:
        return body
    out, pos = [], 0
    while pos < len(body):
        start = body.find(b"<![CDATA[", pos)
        stop = len(body) if start < 0 else start
        out.append(_AMPERSAND.sub(_entity_to_numeric, body[pos:stop]))
        if start < 0:
            break
        end = body.find(b"]]>", start)
        end = len(body) if end < 0 else end + 3
        out.append(body[start:end])  # CDATA is literal text: references inside are not references
        pos = end
    return b"".join(out)


def _xml_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe and keep an error log.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        recover=True, remove_comments=True, remove_pis=True,
    )


def parse_xml(body: bytes, base_url: str | None = None) -> etree._Element:
    """Root element of a (possibly gzipped) XML body, parsed leniently and without expansion."""
    body = maybe_gunzip(body)
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    # Leading blank lines before <?xml are a classic CMS-plugin bug; strict libxml2 rejects them.
    body = _numeric_references(body.lstrip(b" \t\r\n"))
    try:
        root = etree.fromstring(body, _xml_parser(), base_url=base_url)
    except (etree.LxmlError, ValueError, LookupError, UnicodeError) as exc:
        raise DiscoveryParseError(f"not parseable as XML: {exc}") from None
    if root is None or not isinstance(root.tag, str):
        raise DiscoveryParseError("no XML root element")
    return root


# --------------------------------------------------------------------------- walking the tree


def local_name(tag: object) -> str:
    """Namespace-free tag name; '' for comments, entities and processing instructions.

    A prefix is dropped too: with an undeclared prefix (``dc:`` without ``xmlns:dc``, common)
    recover mode keeps ``dc:creator`` as a plain name.
    """
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def children_named(el: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in el if local_name(child.tag) in names]


def child_named(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if local_name(child.tag) in names:
            return child
    return None


def element_text(el: etree._Element | None) -> str | None:
    """Element text without expanding entity references (``xpath('string()')`` would expand)."""
    if el is None:
        return None
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    text = " ".join("".join(parts).split())
    return text or None


# --------------------------------------------------------------------------- URLs


def absolute_url(href: str | None, base: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None when unusable."""
    if not href:
        return None
    href = re.sub(r"[\t\r\n]", "", href).strip()  # as browsers do (WHATWG URL parsing)
    if not href:
        return None
    try:
        url = urldefrag(urljoin(base, href) if base else href).url
        parts = urlsplit(url)
    except ValueError:  # e.g. malformed IPv6 literal
        return None
    # urlsplit accepts hosts such as "lastmod>" and ports such as ":99999"; archive.urls is the
    # one judge of a fetchable URL, so discovery never emits what the frontier would reject.
    if parts.scheme not in ("http", "https") or not parts.hostname or not is_http_url(url):
        return None
    return url


def element_base(el: etree._Element, fallback: str) -> str:
    # lxml resolves nested xml:base against the document URL given at parse time.
    try:
        return el.base or fallback
    except (ValueError, UnicodeError):
        return fallback
