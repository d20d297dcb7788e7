"""Fuzzing the discovery parsers (issue 5.4): sitemaps, Google News sitemaps, RSS and Atom never raise
on hostile bytes (only ``DiscoveryParseError``, the module's documented error), never expand
entities, and never read files or fetch URLs named by the document.

Strategies go past random bytes (test_discovery.py has those): generated XML documents with
prologs (encodings, BOMs, DOCTYPEs with internal entity declarations, external ids), random
trees of sitemap/feed vocabulary with random attributes, text, entity and character references,
CDATA, comments and PIs; byte-level mutations of the real fixtures in tests/data/discovery;
gzip wrappings (truncated, doubled, concatenated). Every generated DOCTYPE declares an entity
whose replacement text is a marker: the marker must never reach the output.

Plus explicit attacks: billion laughs, quadratic blowup (bounded memory measured in a child
process), external entities to a file and to a real 127.0.0.1 server that must see no request.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.times import parse_date
from archive.urls import is_http_url
from crawler.discovery import FeedEntry, Sitemap, parse_feed, parse_robots_sitemaps, parse_sitemap, sniff
from crawler.links import extract_links, find_feed_links
from crawler.safexml import MAX_SITEMAP_BYTES, DiscoveryParseError, gunzip, maybe_gunzip
from tests.paths import REPO, TESTS_DIR

DATA = TESTS_DIR / "data" / "discovery"
FIXTURES = {name: (DATA / name).read_bytes() for name in
            ("urlset.xml", "news_sitemap.xml", "sitemap_index.xml", "rss2.xml", "atom.xml", "rdf.xml")}
BASE = "https://fuzz.example/feeds/main.xml"
# Every declared entity expands to MARKER, which the document never contains literally (recover
# mode may keep a mangled declaration as text): it is built from two entities, &a; and &b;.
MARKER = "ZQXENTITYMARK"
ENTITIES = '<!ENTITY a "ZQXENT"><!ENTITY b "ITYMARK"><!ENTITY e "&a;&b;">'
FUZZ = settings(max_examples=int(os.environ.get("PRESSCLIPS_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --------------------------------------------------------------------------- the oracle


def _check_sitemap(result: Sitemap) -> None:
    assert result.kind in ("index", "urlset")
    for entry in result.entries:
        assert is_http_url(entry.loc), entry.loc
        for when in (entry.lastmod, entry.news_publication_date):
            assert when is None or (isinstance(when, datetime) and when.tzinfo is not None)


def _check_feed(result: list[FeedEntry]) -> None:
    for entry in result:
        assert is_http_url(entry.url), entry.url
        assert all(isinstance(a, str) and a for a in entry.authors)
        for when in (entry.published, entry.updated):
            assert when is None or when.tzinfo is not None


def run_all(body: bytes) -> str:
    """Every parser a fetched body can reach; only DiscoveryParseError may escape them.
    Returns everything they produced, for marker/secret checks."""
    out: list[Any] = []
    for parse, check in ((lambda: parse_sitemap(body, base_url=BASE), _check_sitemap),
                         (lambda: parse_feed(body, BASE), _check_feed)):
        try:
            result = parse()
        except DiscoveryParseError:
            continue
        check(result)  # type: ignore[arg-type]
        out.append(result)
    assert sniff(body) in {"sitemap", "sitemapindex", "rss", "atom", "rdf", "html", "unknown"}
    for url in [*parse_robots_sitemaps(body, BASE), *extract_links(body, BASE), *find_feed_links(body, BASE)]:
        assert is_http_url(url), url
        out.append(url)
    return repr(out)


# --------------------------------------------------------------------------- strategies

_NAMES = ("urlset", "url", "loc", "lastmod", "news:news", "news:publication", "news:name", "news:language",
          "news:publication_date", "news:title", "sitemapindex", "sitemap", "rss", "channel", "item", "title",
          "link", "guid", "pubDate", "dc:creator", "dc:date", "author", "feed", "entry", "published",
          "updated", "name", "rdf:RDF", "content:encoded", "image:image", "x", "a:b:c", "_", "html", "body", "a")
_ATTRS = ("href", "rel", "type", "xml:base", "isPermaLink", "rdf:about", "xmlns", "xmlns:news", "xmlns:dc",
          "xmlns:rdf", "xml:lang", "src", "base")
_REFS = ("&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&eacute;", "&nbsp;", "&hellip;", "&e;", "&f;", "&a;&b;",
         "&undefined;", "&#0;", "&#x0;", "&#65;", "&#x1F600;", "&#99999999;", "&#xD800;", "&", "&#", "&amp", "]]>",
         "<", "<!--", "<?", "<![CDATA[", "&%e;")
_VALUES = ("https://fuzz.example/a", "/relative/b", "//proto.example/c", "javascript:alert(1)", "file:///etc/passwd",
           "http://[::1", "https://fuzz.example/é?q=1&r=2#f", "2024-05-17T09:30:00+05:30",
           "Fri, 17 May 2024 09:30:00 GMT", "alternate", "self", "text/html", "true", "false", "")

_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(_REFS),
    st.sampled_from(_VALUES),
    st.text(st.characters(codec="latin-1"), max_size=10),
)


def _escape_attr(value: str) -> str:
    return value.replace('"', "&quot;") if "&" not in value else value.replace('"', "'")


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(st.sampled_from(_NAMES))
    attrs = "".join(f' {a}="{_escape_attr(draw(st.one_of(st.sampled_from(_VALUES), _text)))}"'
                    for a in draw(st.lists(st.sampled_from(_ATTRS), max_size=3, unique=True)))
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4 if depth < 3 else 0))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            parts.append(draw(element(depth + 1)))
        elif kind == 1:
            parts.append(f"<![CDATA[{draw(_text)}]]>")
        elif kind == 2:
            parts.append(f"<!--{draw(_text)}-->")
        elif kind == 3:
            parts.append(f"<?pi {draw(_text)}?>")
        else:
            parts.append(draw(_text))
    if not parts and draw(st.booleans()):
        return f"<{name}{attrs}/>"
    close = draw(st.sampled_from([f"</{name}>", f"</{name}>", f"</{name}>", "", "</other>"]))
    return f"<{name}{attrs}>{''.join(parts)}{close}"


_ROOTS = ("urlset", "sitemapindex", "rss", "feed", "rdf:RDF")


@st.composite
def document(draw: st.DrawFn) -> bytes:
    root = draw(st.sampled_from(_ROOTS))
    ns = {"urlset": ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"',
          "feed": ' xmlns="http://www.w3.org/2005/Atom"',
          "rdf:RDF": ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'}.get(root, "")
    children = "".join(draw(st.lists(element(1), max_size=5)))
    body = f"<{root}{ns}>{children}</{root}>"
    doctype = draw(st.sampled_from([
        "",
        f'<!DOCTYPE {root} [{ENTITIES}<!ENTITY f "&e;&e;">]>',
        f'<!DOCTYPE {root} [{ENTITIES}<!ENTITY % p "<!ENTITY f \'&a;&b;\'>"> %p;]>',
        f'<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/never.dtd" [{ENTITIES}]>',
        f'<!DOCTYPE {root} [<!ENTITY a "ZQXENT"><!ENTITY b "ITYMARK"><!ENTITY e SYSTEM "file:///etc/hostname">'
        '<!ENTITY f "&a;&b;">]>',
        f'<!DOCTYPE html [{ENTITIES}<!ENTITY f "<urlset><url><loc>https://fuzz.example/&e;</loc></url></urlset>">]>',
        "<!DOCTYPE unterminated [",
    ]))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "latin-1", "cp1252", "ascii"]))
    declared = draw(st.sampled_from([encoding, "utf-8", "UTF-16", "x-unknown", "cp500", None]))
    prolog = "" if declared is None else f'<?xml version="1.0" encoding="{declared}"?>'
    lead = draw(st.sampled_from(["", "\n\n  ", "\ufeff", "junk before the prolog "]))
    text = lead + prolog + doctype + body
    data = text.encode(encoding, errors="xmlcharrefreplace" if encoding not in ("ascii",) else "ignore") \
        if not encoding.startswith("utf-16") else text.encode(encoding, errors="surrogatepass")
    wrap = draw(st.sampled_from(["plain", "plain", "gzip", "gzip-truncated", "gzip-twice", "gzip-concat"]))
    if wrap == "gzip":
        data = gzip.compress(data)
    elif wrap == "gzip-truncated":
        data = gzip.compress(data)[: draw(st.integers(0, max(0, len(data) // 2)))]
    elif wrap == "gzip-twice":
        data = gzip.compress(gzip.compress(data))
    elif wrap == "gzip-concat":
        data = gzip.compress(data[: len(data) // 2]) + gzip.compress(data[len(data) // 2:])
    return data


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    data = bytearray(FIXTURES[draw(st.sampled_from(sorted(FIXTURES)))])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate"]))
        i = draw(st.integers(0, len(data)))
        j = min(len(data), i + draw(st.integers(0, 64)))
        if op == "flip" and i < len(data):
            data[i] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del data[i:j]
        elif op == "insert":
            data[i:i] = draw(st.one_of(st.binary(max_size=16), st.sampled_from(_REFS).map(str.encode),
                                       st.just(f"<!DOCTYPE x [{ENTITIES}]>&e;&a;&b;".encode())))
        elif op == "duplicate":
            data[i:i] = data[i:j] * draw(st.integers(1, 20))
        else:
            del data[i:]
    return bytes(data)


# --------------------------------------------------------------------------- fuzz tests


@FUZZ
@given(document())
def test_generated_documents_never_raise_or_expand(body: bytes) -> None:
    assert MARKER not in run_all(body)


@FUZZ
@given(mutated_fixture())
def test_mutated_fixtures_never_raise_or_expand(body: bytes) -> None:
    assert MARKER not in run_all(body)


@FUZZ
@given(st.binary(max_size=4096))
def test_gunzip_raises_only_discovery_errors_and_respects_the_cap(body: bytes) -> None:
    for candidate in (body, gzip.compress(body), b"\x1f\x8b" + body):
        for cap in (0, 1, 100, MAX_SITEMAP_BYTES):
            try:
                out = gunzip(candidate, cap)
            except DiscoveryParseError:
                continue
            assert len(out) <= cap
            assert len(gunzip(candidate, cap, partial=True)) <= cap
        try:
            maybe_gunzip(candidate)
        except DiscoveryParseError:
            pass


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=120), st.sampled_from([
    "2024-05-17T09:30:00+25:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+00:00", "2024-02-30",
    "Fri, 31 Dec 9999 23:59:59 -2359", "Mon, 01 Jan 0001 00:00:00 +2359", "1e999", "2024-W20-5", "  ",
])))
def test_parse_date_is_total_and_aware(value: str | None) -> None:
    result = parse_date(value)
    assert result is None or (result.tzinfo is not None and result.utcoffset() is not None)


# --------------------------------------------------------------------------- explicit attacks


def _lol(levels: int = 10, fanout: int = 10) -> str:
    decls = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * fanout}">' for i in range(1, levels)]
    return "<!DOCTYPE d [" + "".join(decls) + "]>"


WRAPPERS: dict[str, Callable[[str], str]] = {
    "sitemap": lambda ref: f"<urlset><url><loc>https://x.example/{ref}</loc><lastmod>{ref}</lastmod></url></urlset>",
    "news-sitemap": lambda ref: ('<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
                                 f"<loc>https://x.example/a</loc><news:news><news:title>{ref}</news:title>"
                                 f"<news:publication_date>{ref}</news:publication_date></news:news></url></urlset>"),
    "rss": lambda ref: (f"<rss><channel><item><title>{ref}</title><link>https://x.example/{ref}</link>"
                        f"<author>{ref}</author></item></channel></rss>"),
    "atom": lambda ref: ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>' + ref + "</title>"
                         f'<link href="https://x.example/{ref}"/><author><name>{ref}</name></author></entry></feed>'),
}

_CHILD = r"""
import sys
sys.path.insert(0, {root!r})
from tests.crawler.test_fuzz_parsers import run_all
body = open({path!r}, "rb").read()
out = run_all(body)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent (pytest, which
# may be large by now), while VmHWM belongs to this process image alone.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(len(out), "lollol" in out or "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" * 10 in out, hwm)
"""


def _parse_in_child(tmp_path: Path, body: bytes) -> tuple[int, bool, int]:
    """Run every parser on ``body`` in a fresh interpreter: (output size, expanded?, peak RSS in KiB)."""
    path = tmp_path / "attack.xml"
    path.write_bytes(body)
    root = str(REPO)
    proc = subprocess.run([sys.executable, "-c", _CHILD.format(root=root, path=str(path))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    size, expanded, rss = proc.stdout.split()
    return int(size), expanded == "True", int(rss)


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
@pytest.mark.parametrize("attack", ["billion-laughs", "quadratic-blowup"])
def test_entity_bombs_are_not_expanded(kind: str, attack: str, tmp_path: Path) -> None:
    if attack == "billion-laughs":  # 10^9 "lol"s if expanded
        prolog, ref = _lol(), "&lol9;"
    else:  # one 100 KB entity referenced 50,000 times: 5 GB if expanded
        prolog, ref = f'<!DOCTYPE d [<!ENTITY a "{"A" * 100_000}">]>', "&a;" * 50_000
    body = ('<?xml version="1.0"?>' + prolog + WRAPPERS[kind](ref)).encode()
    size, expanded, rss_kib = _parse_in_child(tmp_path, body)
    assert not expanded
    assert size < 2 * len(body)  # nothing grew out of the references
    assert rss_kib < 300 * 1024  # bounded memory: an expansion would need gigabytes
    # and gzip-wrapped, as sitemaps often are
    size, expanded, _ = _parse_in_child(tmp_path, gzip.compress(body))
    assert not expanded and size < 2 * len(body)


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_external_entities_are_neither_read_nor_fetched(kind: str, gzipped: bool, tmp_path: Path,
                                                        dtd_server: tuple[str, list[str]]) -> None:
    server, hits = dtd_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    prolog = (
        f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{server}/style.xsl"?>'
        f'<!DOCTYPE d SYSTEM "{server}/external.dtd" ['
        f'<!ENTITY passwd SYSTEM "file:///etc/passwd">'
        f'<!ENTITY secret SYSTEM "file://{secret}">'
        f'<!ENTITY net SYSTEM "{server}/entity.txt">'
        f'<!ENTITY % remote SYSTEM "{server}/param.dtd"> %remote;'
        "]>"
    )
    ref = "&passwd;&secret;&net;&leak;"
    doc = WRAPPERS[kind](ref).replace(
        ">", f' xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://{secret}" parse="text"/>'
             f'<xi:include href="{server}/xinclude.xml"/>', 1)
    body = (prolog + doc).encode()
    out = run_all(gzip.compress(body) if gzipped else body)
    assert "TOP-SECRET" not in out
    assert "root:" not in out
    assert "NETWORK-ENTITY" not in out
    assert hits == []


def test_html_link_parsers_do_not_resolve_entities_either(tmp_path: Path, dtd_server: tuple[str, list[str]]) -> None:
    server, hits = dtd_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    html = (f'<!DOCTYPE html [<!ENTITY s SYSTEM "file://{secret}"><!ENTITY n SYSTEM "{server}/x">]>'
            f'<html><head><link rel="alternate" type="application/rss+xml" href="https://x.example/&s;&n;">'
            f'</head><body><a href="https://x.example/&s;">&s;&n;</a><iframe src="{server}/frame"></iframe>'
            f'<img src="{server}/img.png"></body></html>').encode()
    links = [*extract_links(html, BASE), *find_feed_links(html, BASE)]
    assert all("TOP-SECRET" not in link for link in links)
    assert hits == []
