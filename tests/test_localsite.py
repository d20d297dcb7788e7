"""Checks of the local test site itself, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.localsite import CORPUS_DIR, LocalSite, OutletSite, SiteArticle

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture
def site():
    """A fast site (no artificial delay) for everything except the concurrency test."""
    s = LocalSite(outlets=2, article_delay=0).start()
    yield s
    s.stop()


def fetch(url: str, headers: dict[str, str] | None = None):
    """(status, headers, raw body bytes); urllib never decodes Content-Encoding."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def raw_get(outlet: OutletSite, path: str, extra: str = "") -> tuple[str, bytes]:
    """Send a GET on a plain socket and return (header block, undecoded rest of the stream)."""
    host, port = outlet.host.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {outlet.host}\r\n{extra}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def dechunk(stream: bytes) -> tuple[bytes, int]:
    """Parse chunked framing strictly; returns (payload, number of data chunks)."""
    payload, count, pos = b"", 0, 0
    while True:
        eol = stream.index(b"\r\n", pos)
        size = int(stream[pos:eol], 16)
        pos = eol + 2
        if size == 0:
            assert stream[pos:] == b"\r\n", "no trailers expected, then the final CRLF"
            return payload, count
        payload += stream[pos : pos + size]
        assert stream[pos + size : pos + size + 2] == b"\r\n"
        pos += size + 2
        count += 1


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.link_tags: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])
        if tag == "link":
            self.link_tags.append(dict(attrs))


def parse_links(body: bytes) -> _Links:
    parser = _Links()
    parser.feed(body.decode("utf-8"))
    return parser


def by_index(outlet: OutletSite, index: int) -> SiteArticle:
    return next(a for a in outlet.articles if a.index == index)


def via(outlet: OutletSite, channel: str) -> set[str]:
    return {a.canonical_url for a in outlet.articles if channel in a.discoverable_via and not a.deleted}


def sitemap_urls(outlet: OutletSite) -> dict[str, str]:
    """loc → lastmod over both children of the sitemap index."""
    status, _, body = fetch(outlet.base_url + "/sitemap_index.xml")
    assert status == 200
    found = {}
    for child in ET.fromstring(body).iter(SM + "sitemap"):
        status, headers, data = fetch(child.findtext(SM + "loc"))
        assert status == 200
        if child.findtext(SM + "loc").endswith(".gz"):
            assert headers["Content-Type"] in ("application/gzip", "application/x-gzip")
            assert headers["Content-Encoding"] is None
            data = gzip.decompress(data)
        for url in ET.fromstring(data).iter(SM + "url"):
            found[url.findtext(SM + "loc")] = url.findtext(SM + "lastmod")
    return found


def feed_urls(outlet: OutletSite) -> tuple[set[str], set[str]]:
    _, _, rss = fetch(outlet.base_url + "/feed.rss")
    _, _, atom = fetch(outlet.base_url + "/feed.atom")
    rss_links = {i.findtext("link") for i in ET.fromstring(rss).iter("item")}
    atom_links = {
        urljoin(outlet.base_url + "/feed.atom", e.find(ATOM + "link").get("href"))
        for e in ET.fromstring(atom).iter(ATOM + "entry")
    }
    return rss_links, atom_links


# ---------------------------------------------------------------- layout and determinism


def test_outlets_get_disjoint_deterministic_corpus_pages():
    a, b, c = LocalSite(2), LocalSite(2), LocalSite(2, seed=1)
    def slugs(s: LocalSite) -> list[list[str]]:
        return [[x.corpus_slug for x in o.articles] for o in s.outlets]
    assert slugs(a) == slugs(b) != slugs(c)
    first, second = (set(x) for x in slugs(a))
    assert first and second and not first & second
    total = len(list(CORPUS_DIR.glob("*.html")))
    assert len(first) + len(second) == total - 3  # three kept back for add_article
    assert [len(o.articles) for o in LocalSite(3, pages_per_outlet=4).outlets] == [4, 4, 4]
    with pytest.raises(ValueError):
        LocalSite(2, pages_per_outlet=total)


def test_each_discovery_path_has_articles_nothing_else_announces():
    for outlet in LocalSite(2).outlets:
        sets = [frozenset(a.discoverable_via) for a in outlet.articles]
        for only in ("links", "sitemap", "rss", "atom"):
            assert frozenset({only}) in sets, (outlet.name, only)
        assert sum("news_sitemap" in s for s in sets) == 5
        assert [a.published for a in outlet.articles] == sorted((a.published for a in outlet.articles), reverse=True)
        assert all(a.path.startswith("/news/") and a.path.endswith("/") for a in outlet.articles)


def test_conftest_fixture_gives_a_started_two_outlet_site(local_site):
    assert [o.name for o in local_site.outlets] == ["outlet-a", "outlet-b"]
    assert local_site.article_delay > 0  # concurrency stays observable for crawler tests
    assert all(fetch(o.base_url + "/robots.txt")[0] == 200 for o in local_site.outlets)


def test_outlets_toml_lists_name_homepage_and_nothing_else(site):
    # No asset_hosts: the default requisite scope keeps a loopback outlet's requisites on loopback.
    parsed = tomllib.loads(site.outlets_toml())
    assert parsed == {"outlets": [{"name": o.name, "homepage": o.base_url + "/"}
                                  for o in site.outlets]}
    assert [o.name for o in site.outlets] == ["outlet-a", "outlet-b"]
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+", o.base_url) for o in site.outlets)


# ---------------------------------------------------------------- discovery documents


def test_robots_txt(site):
    outlet = site.outlets[0]
    status, headers, body = fetch(outlet.base_url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "User-agent: *" in text and "Disallow: /private/" in text
    assert f"Sitemap: {outlet.base_url}/sitemap_index.xml" in text
    assert f"Sitemap: {outlet.base_url}/news-sitemap.xml" in text
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    for path in site.private_paths:
        assert not robots.can_fetch("pressclips", outlet.base_url + path)
    assert robots.can_fetch("pressclips", outlet.articles[0].canonical_url)


def test_sitemaps_list_exactly_the_sitemap_articles(site):
    for outlet in site.outlets:
        found = sitemap_urls(outlet)
        assert set(found) == via(outlet, "sitemap")
        assert all(datetime.fromisoformat(v).tzinfo for v in found.values())


def test_news_sitemap(site):
    outlet = site.outlets[1]
    status, _, body = fetch(outlet.base_url + "/news-sitemap.xml")
    assert status == 200
    urls = list(ET.fromstring(body).iter(SM + "url"))
    assert {u.findtext(SM + "loc") for u in urls} == via(outlet, "news_sitemap")
    newest = sorted(outlet.articles, key=lambda a: a.published, reverse=True)[:5]
    assert {u.findtext(SM + "loc") for u in urls} == {a.canonical_url for a in newest}
    for url in urls:
        news = url.find(NEWS + "news")
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Outlet B"
        assert news.findtext(f"{NEWS}publication/{NEWS}language")
        assert re.search(r"[+-]\d\d:\d\d$", news.findtext(NEWS + "publication_date"))
        assert news.findtext(NEWS + "title")


def test_feeds_are_well_formed_and_announced_on_homepage(site):
    outlet = site.outlets[0]
    _, _, home = fetch(outlet.base_url + "/")
    alternates = {t.get("type"): t.get("href") for t in parse_links(home).link_tags if t.get("rel") == "alternate"}
    assert alternates == {"application/rss+xml": "/feed.rss", "application/atom+xml": "/feed.atom"}

    status, headers, rss = fetch(outlet.base_url + "/feed.rss")
    assert status == 200 and "rss+xml" in headers["Content-Type"]
    items = list(ET.fromstring(rss).iter("item"))
    assert items
    for item in items:
        assert item.findtext("title")
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo
        assert item.findall(DC + "creator")

    status, headers, atom = fetch(outlet.base_url + "/feed.atom")
    assert status == 200 and "atom+xml" in headers["Content-Type"]
    for entry in ET.fromstring(atom).iter(ATOM + "entry"):
        assert entry.find(ATOM + "link").get("href").startswith("/news/")  # relative
        assert datetime.fromisoformat(entry.findtext(ATOM + "published")).tzinfo
        assert datetime.fromisoformat(entry.findtext(ATOM + "updated")).tzinfo

    rss_links, atom_links = feed_urls(outlet)
    assert rss_links == via(outlet, "rss") and atom_links == via(outlet, "atom")


def crawl_listing_pages(outlet: OutletSite) -> tuple[set[str], set[str]]:
    """Follow every same-site listing link from the homepage; return (article paths, listing paths)."""
    seen, queue, found = set(), ["/"], set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = fetch(outlet.base_url + path)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8", path
        assert b'rel="canonical"' not in body  # listing pages are not articles
        for href in parse_links(body).hrefs:
            url = urlsplit(urljoin(outlet.base_url + path, href))
            assert url.netloc == outlet.host
            if url.path.startswith("/news/"):
                article_path = url.path.removesuffix("amp/").rstrip("/") + "/"
                found.add(article_path)
            elif not url.query and not url.path.startswith(("/private/", "/media/", "/calendar/")):
                queue.append(url.path)
    return found, seen


def test_links_reach_exactly_the_link_articles(site):
    for outlet in site.outlets:
        found, listings = crawl_listing_pages(outlet)
        assert found == {a.path for a in outlet.articles if "links" in a.discoverable_via}
        assert "/section/news/page/2/" in listings and any(p.startswith("/tag/") for p in listings)
        assert any(p.startswith("/author/") for p in listings)


def test_article_url_variants_appear_in_listings(site):
    outlet = site.outlets[0]
    hrefs = parse_links(fetch(outlet.base_url + "/")[2]).hrefs
    assert any(h.endswith("?utm_source=twitter&utm_medium=social") for h in hrefs)
    assert any(h.endswith("#comments") for h in hrefs)
    tag = next(t for a in outlet.articles if "links" in a.discoverable_via for t in a.tags)
    tag_hrefs = parse_links(fetch(f"{outlet.base_url}/tag/{tag}/")[2]).hrefs
    assert any(h.startswith("/news/") and not h.endswith("/") for h in tag_hrefs)
    section = parse_links(fetch(outlet.base_url + "/section/news/")[2]).hrefs
    assert any(h.endswith("/amp/") for h in section)
    assert site.private_paths[1] in section and site.private_paths[0] in hrefs


def test_calendar_is_endless_and_facets_combine(site):
    outlet = site.outlets[0]
    status, _, body = fetch(outlet.base_url + "/calendar/2016/12/")
    assert status == 200 and b'rel="prev" href="/calendar/2016/11/"' in body
    path = "/calendar/2016/12/"
    for expected in ("/calendar/2017/01/", "/calendar/2017/02/", "/calendar/2017/03/"):
        status, _, body = fetch(outlet.base_url + path)
        assert status == 200
        path = re.search(rb'rel="next" href="([^"]+)"', body)[1].decode()
        assert path == expected
    status, _, body = fetch(outlet.base_url + "/section/news/?sort=asc&filter=music")
    assert status == 200
    hrefs = parse_links(body).hrefs
    assert "/section/news/?sort=desc&filter=tv" in hrefs and "/section/news/?filter=tv&sort=desc" in hrefs


def test_unknown_paths_are_404_with_html(site):
    outlet = site.outlets[0]
    for path in ("/nope/", "/section/news/page/99/", "/tag/unknown/", "/author/nobody/", "/news/2016/01/01/x/"):
        status, headers, body = fetch(outlet.base_url + path)
        assert status == 404 and headers["Content-Type"].startswith("text/html") and b"<html" in body


def test_homepage_headers_and_media(site):
    outlet = site.outlets[1]
    status, headers, body = fetch(outlet.base_url + "/")
    assert status == 200
    assert len(headers.get_all("Set-Cookie")) == 2
    assert headers["Server"].startswith("pressclips-localsite") and parsedate_to_datetime(headers["Date"])
    links = parse_links(body).hrefs
    assert "/media/press-kit.pdf" in links and "/media/poster.jpg" in links

    status, headers, pdf = fetch(outlet.base_url + "/media/press-kit.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[xref:].startswith(b"xref")
    status, headers, jpg = fetch(outlet.base_url + "/media/poster.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert jpg.startswith(b"\xff\xd8\xff\xe0") and jpg.endswith(b"\xff\xd9")


def test_private_page_is_served_and_logged_if_requested(site):
    outlet = site.outlets[0]
    assert fetch(outlet.base_url + site.private_paths[0])[0] == 200
    assert site.paths_requested(outlet.name) == [site.private_paths[0]]
    assert site.paths_requested("outlet-b") == []


# ---------------------------------------------------------------- article responses

FOREIGN = re.compile(rb"<(?:link|meta)\b[^>]*>", re.I)
FOREIGN_KIND = re.compile(rb"canonical|amphtml|og:url|twitter:url", re.I)


def without_url_tags(page: bytes) -> bytes:
    return FOREIGN.sub(lambda m: b"" if FOREIGN_KIND.search(m.group(0)) else m.group(0), page)


def test_article_bytes_unchanged_except_canonical(site):
    for outlet in site.outlets:
        for art in outlet.articles:
            status, headers, body = fetch(art.canonical_url)
            assert status == 200
            assert headers["Content-Type"] == (f"text/html; charset={art.charset}" if art.charset else "text/html")
            ours = f'\n<link rel="canonical" href="{art.canonical_url}">'.encode()
            if art.amp_path:
                ours += f'\n<link rel="amphtml" href="{outlet.base_url}{art.amp_path}">'.encode()
            assert body.count(ours) == 1
            assert len(re.findall(rb"""rel=["']?canonical""", body, re.I)) == 1
            assert not re.search(rb"<meta\b[^>]*(?:og:url|twitter:url)", body)
            assert without_url_tags(body.replace(ours, b"")) == without_url_tags(art.source)
            if without_url_tags(art.source) != art.source:  # the original host's tags were removed
                assert len(body) - len(ours) < len(art.source)
            else:  # a page that never named its URL is served as it was
                assert len(body) - len(ours) == len(art.source)


def test_non_utf8_page_keeps_its_bytes_and_charset(tmp_path):
    cnn = (CORPUS_DIR / "newspaper4k-cnn_article.html").read_text(encoding="utf-8")
    latin = cnn.replace('<meta charset="UTF-8"/>', '<meta charset="iso-8859-1"/>', 1)
    (tmp_path / "latin.html").write_bytes(latin.encode("latin-1", "xmlcharrefreplace"))
    shutil.copy(CORPUS_DIR / "newspaper4k-cnn_article.json", tmp_path / "latin.json")
    shutil.copy(CORPUS_DIR / "newspaper4k-fox13now_001.html", tmp_path / "nocharset.html")
    shutil.copy(CORPUS_DIR / "newspaper4k-fox13now_001.json", tmp_path / "nocharset.json")
    with LocalSite(1, corpus_dir=tmp_path, reserve=0, article_delay=0) as s:
        types = {a.corpus_slug: fetch(a.canonical_url)[1]["Content-Type"] for a in s.articles}
        latin_art = next(a for a in s.articles if a.corpus_slug == "latin")
        latin_art_body = fetch(latin_art.canonical_url)[2]
    assert types == {"latin": "text/html; charset=iso-8859-1", "nocharset": "text/html"}
    assert latin_art_body.endswith((tmp_path / "latin.html").read_bytes()[-20000:])


def test_conditional_get(site):
    art = by_index(site.outlets[0], 1)
    status, headers, _ = fetch(art.canonical_url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and last_modified
    status, headers304, body = fetch(art.canonical_url, {"If-None-Match": etag})
    assert (status, body, headers304["ETag"]) == (304, b"", etag)
    assert fetch(art.canonical_url, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(art.canonical_url, {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})[0] == 200
    assert fetch(art.canonical_url, {"If-None-Match": '"other"'})[0] == 200
    head = urllib.request.Request(art.canonical_url, method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["ETag"] == etag and resp.read() == b""


def test_gzip_for_even_index_only(site):
    outlet = site.outlets[0]
    even, odd = by_index(outlet, 2), by_index(outlet, 1)
    status, headers, raw = fetch(even.canonical_url, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(raw)
    assert gzip.decompress(raw) == even.body == fetch(even.canonical_url)[2]
    assert site.last_body_sent[even.canonical_url] != raw  # identity fetch came last
    fetch(even.canonical_url, {"Accept-Encoding": "gzip"})
    assert site.last_body_sent[even.canonical_url] == raw and even.last_sent_gzip
    assert outlet.last_body_sent[even.path] == raw
    # the gzip representation validates too
    assert fetch(even.canonical_url, {"If-None-Match": headers["ETag"], "Accept-Encoding": "gzip"})[0] == 304

    status, headers, raw = fetch(odd.canonical_url, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] is None and raw == odd.body and odd.last_sent_gzip is False


def test_chunked_framing_is_real(site):
    outlet = site.outlets[1]
    plain = by_index(outlet, 3)
    head, stream = raw_get(outlet, plain.path)
    assert head.startswith("HTTP/1.1 200")
    assert "Transfer-Encoding: chunked" in head and "Content-Length" not in head
    payload, chunks = dechunk(stream)
    assert chunks > 1 and payload == plain.body == site.last_body_sent[plain.canonical_url]
    assert plain.last_sent_chunked

    both = by_index(outlet, 0)  # even and divisible by three: gzip inside chunked
    head, stream = raw_get(outlet, both.path, "Accept-Encoding: gzip\r\n")
    assert "Content-Encoding: gzip" in head and "Transfer-Encoding: chunked" in head
    payload, _ = dechunk(stream)
    assert payload == site.last_body_sent[both.canonical_url] and gzip.decompress(payload) == both.body
    entry = site.requests[-1]
    assert (entry.content_encoding, entry.chunked, entry.status) == ("gzip", True, 200)

    head, stream = raw_get(outlet, by_index(outlet, 1).path)  # not chunked
    assert "Transfer-Encoding" not in head and int(re.search(r"Content-Length: (\d+)", head)[1]) == len(stream)


def test_variants_serve_the_same_page_and_amp_copy(site):
    outlet = site.outlets[0]
    art = next(a for a in outlet.articles if a.amp_path)
    body = fetch(art.canonical_url)[2]
    for variant in (art.path.rstrip("/"), art.path + "?utm_source=twitter&utm_medium=social"):
        status, _, same = fetch(outlet.base_url + variant)
        assert status == 200 and same == body
    status, headers, amp = fetch(outlet.base_url + art.amp_path)
    assert status == 200 and headers["Content-Type"] == art.content_type
    assert re.search(rb"<html\b amp", amp) and b"<script" not in amp.lower()
    assert f'<link rel="canonical" href="{art.canonical_url}">'.encode() in amp
    assert f'<link rel="amphtml" href="{outlet.base_url}{art.amp_path}">'.encode() in body
    assert sum(1 for a in site.articles if a.amp_path) == 4


# ---------------------------------------------------------------- logging and concurrency


def test_request_log_records_headers_and_status(site):
    outlet = site.outlets[1]
    fetch(outlet.base_url + "/robots.txt", {"User-Agent": "pressclips-test/1.0"})
    fetch(outlet.base_url + "/missing?x=1")
    assert site.paths_requested() == ["/robots.txt", "/missing?x=1"]
    first, second = site.requests
    assert (first.outlet, first.method, first.status) == ("outlet-b", "GET", 200)
    assert first.headers["User-Agent"] == "pressclips-test/1.0"
    assert second.status == 404 and second.time >= first.time


def test_max_in_flight_counts_concurrent_requests():
    # A long artificial delay makes four simultaneous requests overlap on the server.
    with LocalSite(2, article_delay=0.2) as s:
        busy, quiet = s.outlets
        threads = [threading.Thread(target=fetch, args=(a.canonical_url,)) for a in busy.articles[:4]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for art in quiet.articles[:2]:
            fetch(art.canonical_url)
        assert 2 <= s.max_in_flight[busy.name] <= 4
        assert s.max_in_flight[quiet.name] == 1
        assert len(s.paths_requested(busy.name)) == 4


def test_stop_closes_the_ports():
    s = LocalSite(1, pages_per_outlet=2, article_delay=0).start()
    url = s.outlets[0].base_url + "/"
    assert fetch(url)[0] == 200
    s.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


# ---------------------------------------------------------------- mutations


def test_add_article_publishes_everywhere(site):
    outlet = site.outlets[0]
    art = site.add_article("outlet-a")
    assert art.published > max(a.published for a in site.articles if a is not art)
    assert art.discoverable_via == {"links", "sitemap", "news_sitemap", "rss", "atom"}
    status, _, body = fetch(art.canonical_url)
    assert status == 200 and body == art.body and art.canonical_url.encode() in body
    assert art.canonical_url in sitemap_urls(outlet)
    assert all(art.canonical_url in links for links in feed_urls(outlet))
    assert art.canonical_url.encode() in fetch(outlet.base_url + "/news-sitemap.xml")[2]
    assert art.path in crawl_listing_pages(outlet)[0]
    with pytest.raises(ValueError):
        site.add_article("outlet-b", slug=outlet.articles[0].corpus_slug)
    site.add_article("outlet-b")
    site.add_article("outlet-b")
    with pytest.raises(LookupError):
        site.add_article("outlet-a")


def test_edit_article_changes_text_and_validators(site):
    outlet = site.outlets[0]
    art = next(a for a in outlet.articles if "sitemap" in a.discoverable_via)
    _, before, old_body = fetch(art.canonical_url)
    old_lastmod = sitemap_urls(outlet)[art.canonical_url]
    site.edit_article("outlet-a", art.path, "Correction: an earlier version misnamed the venue & date.")
    status, after, body = fetch(art.canonical_url, {"If-None-Match": before["ETag"]})
    assert status == 200 and body != old_body
    assert b"<p>Correction: an earlier version misnamed the venue &amp; date.</p>" in body
    assert after["ETag"] != before["ETag"]
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(before["Last-Modified"])
    assert fetch(art.canonical_url, {"If-Modified-Since": before["Last-Modified"]})[0] == 200
    assert datetime.fromisoformat(sitemap_urls(outlet)[art.canonical_url]) > datetime.fromisoformat(old_lastmod)


def test_delete_article_serves_410_and_unlists_it(site):
    outlet = site.outlets[0]
    art = next(a for a in outlet.articles if a.amp_path)
    site.delete_article("outlet-a", art.path)
    assert fetch(art.canonical_url)[0] == 410
    assert fetch(outlet.base_url + art.amp_path)[0] == 410
    assert art.canonical_url not in sitemap_urls(outlet)
    assert all(art.canonical_url not in links for links in feed_urls(outlet))
    assert art.path not in crawl_listing_pages(outlet)[0]


# ---------------------------------------------------------------- command line


def test_runs_as_a_module_until_interrupted():
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.localsite", "--outlets", "2", "--port", "0"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline().split() for _ in range(2)]
        assert [name for name, _ in lines] == ["outlet-a", "outlet-b"]
        for _, url in lines:
            assert fetch(url + "robots.txt")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)  # a loaded CI machine is slow to stop threads
    assert proc.returncode == 0
