"""Tests for crawler.discovery: real documents in, URLs and metadata out; hostile input contained.

The fuzz tests also run crawler.links on the same hostile bodies: every parser that sees a
fetched body must contain it. The links module's own cases are in test_links.py.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.times import parse_date
from crawler.discovery import FeedEntry, SitemapEntry, parse_feed, parse_robots_sitemaps, parse_sitemap, sniff
from crawler.links import classify_url, extract_links, find_feed_links
from crawler.safexml import DiscoveryParseError
from tests.paths import REPO, TESTS_DIR

DATA = TESTS_DIR / "data" / "discovery"
UTC = timezone.utc


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


# --------------------------------------------------------------------------- robots.txt


def test_robots_sitemaps_casing_whitespace_relative_and_dedup() -> None:
    urls = parse_robots_sitemaps(read("robots.txt"), "https://variety.example/robots.txt")
    assert urls == [
        "https://variety.example/sitemap_index.xml",
        "https://variety.example/news-sitemap.xml",
        "https://variety.example/feeds/sitemap-video.xml",  # relative line, comment dropped
        "https://variety.example/crlf-sitemap.xml",
    ]


def test_robots_sitemaps_accepts_str_and_bom() -> None:
    text = "\ufeffSitemap: /a.xml\nUser-agent: *\nsItEmAp:\t/b.xml\n"
    assert parse_robots_sitemaps(text, "https://people.example/") == [
        "https://people.example/a.xml",
        "https://people.example/b.xml",
    ]
    assert parse_robots_sitemaps(b"User-agent: *\nDisallow:\n", "https://x.example/") == []


# --------------------------------------------------------------------------- sitemaps


def test_sitemap_index() -> None:
    sitemap = parse_sitemap(read("sitemap_index.xml"))
    assert sitemap.kind == "index"
    assert not sitemap.is_news
    assert sitemap.entries == [
        SitemapEntry("https://deadline.example/sitemap-2024-05.xml", datetime(2024, 5, 17, 18, 42, 11, tzinfo=UTC)),
        SitemapEntry("https://deadline.example/sitemap-2024-04.xml", datetime(2024, 4, 30, tzinfo=UTC)),
        SitemapEntry("https://deadline.example/sitemap-tags.xml.gz", None),
    ]


def test_urlset_lastmod_formats_namespace_and_skips() -> None:
    sitemap = parse_sitemap(read("urlset.xml"))  # Google 0.84 namespace
    assert sitemap.kind == "urlset"
    lastmods = {e.loc.rsplit("/", 2)[-2]: e.lastmod for e in sitemap.entries}
    assert lastmods == {
        "ryan-gosling-fall-guy-box-office-1235890123": datetime(2024, 5, 17, 10, 15, tzinfo=UTC),
        "emmys-2024-nominations-list-1235890456": datetime(
            2024, 5, 16, 22, 3, 9, 123000, tzinfo=timezone(timedelta(hours=-7))
        ),
        "movies": datetime(2024, 5, 16, tzinfo=UTC),
        "cannes-film-festival": datetime(2024, 5, 1, tzinfo=UTC),  # W3C "YYYY-MM"
        "best-movies-2024": datetime(2024, 5, 17, 9, tzinfo=UTC),  # RFC 822
        "streaming-deal-1235890999": None,  # "not a date"
    }
    # The relative loc needs a base; javascript: and missing locs are never entries.
    assert not any("relative" in e.loc or "javascript" in e.loc for e in sitemap.entries)
    with_base = parse_sitemap(read("urlset.xml"), base_url="https://www.hollywoodreporter.example/x/")
    assert "https://www.hollywoodreporter.example/relative/only-with-base-url/" in [e.loc for e in with_base.entries]


def test_sitemap_without_namespace_and_max_entries() -> None:
    body = "<urlset>" + "".join(f"<url><loc>https://tvline.example/{i}/</loc></url>" for i in range(50)) + "</urlset>"
    sitemap = parse_sitemap(body.encode(), max_entries=10)
    assert [e.loc for e in sitemap.entries] == [f"https://tvline.example/{i}/" for i in range(10)]


def test_google_news_sitemap_keeps_title_date_and_offset() -> None:
    sitemap = parse_sitemap(read("news_sitemap.xml"))
    assert sitemap.is_news
    first, second = sitemap.entries
    assert first.news_title == "‘Kalki 2898 AD’ Crosses $100 Million & Keeps Climbing"
    assert first.news_publication_date == datetime(2024, 6, 30, 8, 35, tzinfo=UTC)
    assert first.news_publication_date.utcoffset() == timedelta(hours=5, minutes=30)
    assert (first.news_publication_name, first.news_language) == ("Variety", "en")
    assert first.lastmod is None
    assert second.news_title == "Taylor Swift Opens Eras Tour in Lisbon & Thanks Fans in Portuguese"
    assert second.news_publication_date == datetime(2024, 6, 30, tzinfo=UTC)
    assert second.lastmod == datetime(2024, 6, 30, 9, tzinfo=UTC)
    assert second.news_language == "pt"


def test_gzipped_sitemap_detected_by_magic_bytes() -> None:
    plain = read("news_sitemap.xml")
    assert parse_sitemap(gzip.compress(plain)) == parse_sitemap(plain)
    # Concatenated gzip members are valid gzip (some generators stream that way).
    half = len(plain) // 2
    assert parse_sitemap(gzip.compress(plain[:half]) + gzip.compress(plain[half:])) == parse_sitemap(plain)
    with pytest.raises(DiscoveryParseError):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage that is not deflate")


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    # 100 MiB of zeros -> ~100 KiB of gzip, built in 1 MiB steps so the test itself stays small.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zero_mib = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zero_mib) for _ in range(100)) + packer.flush()
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(DiscoveryParseError, match="inflates beyond"):
            parse_sitemap(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024  # bounded by the 50 MiB cap, never the full 100 MiB
    assert sniff(bomb) == "unknown"  # sniffing inflates only a small prefix


def test_sitemap_rejects_non_sitemaps() -> None:
    for body in (read("rss2.xml"), read("page.html"), b"", b"   ", b"{\"urls\": []}", b"\x00\x01"):
        with pytest.raises(DiscoveryParseError):
            parse_sitemap(body)


# --------------------------------------------------------------------------- feeds


def test_rss2_pubdate_creator_cdata_guid_fallback() -> None:
    entries = parse_feed(read("rss2.xml"), "https://pitchfork.example/feed/rss")
    assert entries == [
        FeedEntry(
            "https://pitchfork.example/news/billie-eilish-hit-me-hard-and-soft-album-stream/",
            "Billie Eilish Shares New Album Hit Me Hard and Soft: Listen",  # CDATA markup stripped
            datetime(2024, 5, 17, 16, tzinfo=UTC),
            None,
            ["Jazz Monroe"],
        ),
        FeedEntry(
            "https://pitchfork.example/news/kendrick-lamar-drake-feud-timeline/",  # relative link
            "Kendrick Lamar & Drake Feud: A Timeline",
            datetime(2024, 5, 16, 13, 30, tzinfo=UTC),  # EDT
            None,
            ["Matthew Strauss", "Nina Corcoran"],
        ),
        FeedEntry(
            "https://pitchfork.example/news/guid-only-permalink-story/",  # permalink guid
            "Guid-only item",
            datetime(2024, 5, 15, 12, tzinfo=UTC),
            None,
            ["Pitchfork Staff"],  # from "editors@... (Pitchfork Staff)"
        ),
        # The Drupal-style guid item has no URL and the #comments duplicate collapses.
    ]


def test_atom_published_updated_relative_links_xml_base() -> None:
    entries = parse_feed(read("atom.xml"), "https://www.vulture.example/rss/index.xml")
    assert [e.url for e in entries] == [
        "https://www.vulture.example/article/hacks-season-3-finale-recap.html",
        "https://www.vulture.example/2024/05/best-movies-of-2024-so-far.html",  # nested xml:base
    ]
    recap, best = entries
    assert recap.title == "Hacks Season 3 Finale Recap: Bit by Bit"  # type="html" unescaped
    assert recap.published == datetime(2024, 5, 17, 14, tzinfo=UTC)
    assert recap.updated == datetime(2024, 5, 17, 16, 30, tzinfo=UTC)
    assert recap.authors == ["Roxana Hadadi"]
    assert best.published is None and best.updated == datetime(2024, 5, 16, 8, tzinfo=UTC)
    assert best.authors == ["Vulture Staff"]  # inherited from the feed, per Atom


def test_atom_relative_links_without_xml_base_use_feed_url() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title>
      <link href="../2024/05/17/kristen-stewart-love-lies-bleeding-interview/"/></entry></feed>"""
    [entry] = parse_feed(body, "https://www.avclub.example/rss/atom.xml")
    assert entry.url == "https://www.avclub.example/2024/05/17/kristen-stewart-love-lies-bleeding-interview/"


def test_rdf_feed_latin1_and_about_fallback() -> None:
    entries = parse_feed(read("rdf.xml"), "https://www.slashfilm.example/feed.rdf")
    assert [(e.url, e.title, e.authors) for e in entries] == [
        (
            "https://www.slashfilm.example/1512345/furiosa-review-anya-taylor-joy/",
            "Furiosa Review: Anya Taylor-Joy Tears Up the Wasteland",
            ["Chris Evangelista"],
        ),
        ("https://www.slashfilm.example/1512399/about-only-item/", "Café Society revisited", []),
    ]
    assert entries[0].published == datetime(2024, 5, 15, 20, tzinfo=UTC)


def test_feed_with_html_entities_keeps_the_rest() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>E! News</title>
      <item><title>Beyonc&eacute; &amp; Jay-Z&nbsp;Dine in Cannes &hellip; &bogus; Again</title>
        <link>https://www.eonline.example/news/1401234/beyonce-jay-z-cannes-dinner</link></item>
      <item><title>Second &amp;amp; double-escaped</title>
        <link>https://www.eonline.example/news/1401235/second-story-here</link></item>
    </channel></rss>"""
    first, second = parse_feed(body, "https://www.eonline.example/syndication/feeds/rssfeeds/topstories.xml")
    # Named HTML entities become characters (whitespace incl. nbsp is normalised); an unknown
    # one is dropped while the text around it survives.
    assert first.title == "Beyoncé & Jay-Z Dine in Cannes … Again"
    assert second.title == "Second & double-escaped"
    assert second.url == "https://www.eonline.example/news/1401235/second-story-here"


def test_broken_feed_keeps_ampersands_after_an_error() -> None:
    # libxml2's recover mode drops every &amp; after the first error unless we pre-normalise.
    body = b"""<rss><channel>
      <item><title>Bare & ampersand in Caf&eacute; titles</title>
        <link>https://www.tvline.example/2024/05/17/story-slug/?utm_source=rss&utm_medium=feed</link></item>
      <item><title><![CDATA[Law &amp; Order: literal in CDATA]]></title>
        <link><![CDATA[https://www.tvline.example/news/law-and-order-renewed/?a=1&b=2]]></link>
        <dc:creator>Tom &amp; Jerry</dc:creator></item>
      <item><title>Unclosed <b>tag nests what follows</title>
        <link>https://www.tvline.example/news/swallowed-link/</link></item>
      <item><title>Still found</title><link>https://www.tvline.example/news/still-found/</link></item>
    </channel></rss>"""
    first, second, *rest = parse_feed(body, "https://www.tvline.example/feed/")
    # Recovery nests items inside each other after an unclosed tag; nested items are still found.
    assert rest[-1].url == "https://www.tvline.example/news/still-found/"
    assert first.url == "https://www.tvline.example/2024/05/17/story-slug/?utm_source=rss&utm_medium=feed"
    assert first.title == "Bare & ampersand in Café titles"
    assert second.url == "https://www.tvline.example/news/law-and-order-renewed/?a=1&b=2"
    assert second.title == "Law & Order: literal in CDATA"
    assert second.authors == ["Tom & Jerry"]


def test_parse_feed_rejects_html_and_sitemaps() -> None:
    for body in (read("page.html"), read("urlset.xml"), b"", b"plain text", b"\x1f\x8b\x08broken"):
        with pytest.raises(DiscoveryParseError):
            parse_feed(body, "https://x.example/")


def test_parse_feed_max_entries_and_gzip() -> None:
    items = "".join(f"<item><link>https://deadline.example/{i}/</link></item>" for i in range(20))
    body = gzip.compress(f"<rss><channel>{items}</channel></rss>".encode())
    assert [e.url for e in parse_feed(body, "https://deadline.example/feed/", max_entries=5)] == [
        f"https://deadline.example/{i}/" for i in range(5)
    ]


# --------------------------------------------------------------------------- XML attacks


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def _parse_or_error(kind: str, body: bytes) -> str:
    """Run the parser and return the repr of whatever it produced ('' when it refused)."""
    try:
        if kind == "sitemap":
            return repr(parse_sitemap(body))
        return repr(parse_feed(body, "https://x.example/"))
    except DiscoveryParseError:
        return ""


@pytest.mark.parametrize("entity", ["lol9", "lol4"])  # lol4 (30 KB) is under libxml2's own bomb guard
@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        ("sitemap", b"<urlset><url><loc>https://x.example/&ENT;</loc><lastmod>&ENT;</lastmod></url></urlset>"),
        ("feed", b"<rss><channel><item><title>&ENT;</title><link>https://x.example/a</link></item></channel></rss>"),
    ],
    ids=["sitemap", "feed"],
)
def test_billion_laughs_is_not_expanded(kind: str, doc: bytes, entity: str) -> None:
    out = _parse_or_error(kind, BILLION_LAUGHS + doc.replace(b"ENT", entity.encode()))
    assert "lollol" not in out
    assert len(out) < 1000


@pytest.mark.parametrize("kind", ["sitemap", "feed"])
def test_external_entities_neither_read_nor_fetched(kind: str, tmp_path: Path, dtd_server) -> None:
    server_url, hits = dtd_server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    dtd = (
        f'<!DOCTYPE x SYSTEM "{server_url}/evil.dtd" [\n'
        f'  <!ENTITY file SYSTEM "file://{secret}">\n'
        f'  <!ENTITY net SYSTEM "{server_url}/entity.txt">\n'
        f'  <!ENTITY % remote SYSTEM "{server_url}/param.dtd"> %remote;\n'
        "]>\n"
    ).encode()
    if kind == "sitemap":
        doc = b"<urlset><url><loc>https://x.example/a&file;&net;&leak;</loc></url></urlset>"
    else:
        doc = b"<rss><channel><item><title>t &file; &net; &leak;</title><link>https://x.example/a</link></item></channel></rss>"
    out = _parse_or_error(kind, b'<?xml version="1.0"?>\n' + dtd + doc)
    assert "TOP-SECRET" not in out
    assert "NETWORK-ENTITY" not in out
    assert hits == []


# --------------------------------------------------------------------------- fuzzing


TEMPLATES = [
    "<urlset><url><loc>{0}</loc><lastmod>{0}</lastmod></url></urlset>",
    '<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://a.example/{0}</loc>'
    "<news:news><news:title>{0}</news:title><news:publication_date>{0}</news:publication_date></news:news></url></urlset>",
    "<sitemapindex><sitemap><loc>{0}</loc></sitemap></sitemapindex>",
    "<rss><channel><item><title>{0}</title><link>{0}</link><pubDate>{0}</pubDate><guid>{0}</guid></item></channel></rss>",
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{0}"><entry><link href="{0}"/><published>{0}</published>'
    "<author><name>{0}</name></author></entry></feed>",
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item rdf:about="{0}"><title>{0}</title></item></rdf:RDF>',
]


def _only_discovery_errors(body: bytes) -> None:
    for call in (lambda: parse_sitemap(body), lambda: parse_feed(body, "https://fuzz.example/f/")):
        try:
            call()
        except DiscoveryParseError:
            pass
    assert sniff(body) in {"sitemap", "sitemapindex", "rss", "atom", "rdf", "html", "unknown"}
    assert all(u.startswith(("http://", "https://")) for u in extract_links(body, "https://fuzz.example/"))
    find_feed_links(body, "https://fuzz.example/")


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes(body: bytes) -> None:
    _only_discovery_errors(body)
    _only_discovery_errors(gzip.compress(body))


@FUZZ
@given(st.sampled_from(TEMPLATES), st.text(max_size=200))
def test_fuzz_text_wrapped_in_xml(template: str, text: str) -> None:
    _only_discovery_errors(template.format(text).encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=80)))
def test_fuzz_parse_date_and_classify_never_raise(value: str | None) -> None:
    result = parse_date(value)
    assert result is None or result.tzinfo is not None
    if value is not None:
        assert classify_url(value) in {"article", "listing", "other"}
        assert classify_url("https://fuzz.example/" + value) in {"article", "listing", "other"}


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sitemap_index.xml", "sitemapindex"),
        ("urlset.xml", "sitemap"),
        ("news_sitemap.xml", "sitemap"),
        ("rss2.xml", "rss"),
        ("atom.xml", "atom"),
        ("rdf.xml", "rdf"),
        ("page.html", "html"),
        ("robots.txt", "unknown"),
    ],
)
def test_sniff_files_plain_and_gzipped(name: str, kind: str) -> None:
    assert sniff(read(name)) == kind
    assert sniff(gzip.compress(read(name))) == kind


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'\xef\xbb\xbf  <?xml version="1.0"?><!-- <rss> --><!DOCTYPE urlset [<!ENTITY a "<feed>">]><urlset/>', "sitemap"),
        ('<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"/>'.encode("utf-16"), "atom"),
        (b"<html><head><title>x</title></head></html>", "html"),
        (b"\n\n<div class=x>fragment</div>", "html"),
        (b'{"version": "https://jsonfeed.org/version/1"}', "unknown"),
        (b"", "unknown"),
        (b"<?xml " * 5000, "unknown"),  # unterminated declarations must not go quadratic
    ],
)
def test_sniff_edge_cases(body: bytes, kind: str) -> None:
    assert sniff(body) == kind


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-17T10:15:00Z", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("2024-05-17T10:15:00.123456789Z", datetime(2024, 5, 17, 10, 15, 0, 123456, tzinfo=UTC)),
        ("2024-05-17T15:45+05:30", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("2024-05-17T10:15:00+0000", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("2024-05-17 10:15:00", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("2024-05-17", datetime(2024, 5, 17, tzinfo=UTC)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("Fri, 17 May 2024 10:15:00 +0000", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("Fri, 17 May 2024 03:15:00 PDT", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("17 May 2024 10:15 GMT", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("Fri, 17 May 2024 10:15:00 -0000", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        ("  May 17, 2024 10:15 AM ", datetime(2024, 5, 17, 10, 15, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("7", None),
        ("0000-00-00 00:00:00", None),
        ("0001-01-01T00:00:00+05:00", None),
        ("9999-12-31T23:59:59-05:00", None),
        ("2024-13-45", None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    result = parse_date(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is not None


@pytest.mark.parametrize("module", ["crawler.discovery", "crawler.safexml"])
def test_module_imports_without_scrapy_or_twisted(module: str) -> None:
    # The spider adapts these parsers; the parsers themselves must stay reactor-free.
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=REPO)
    assert result.stdout.strip() == "[]"
