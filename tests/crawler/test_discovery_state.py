"""When a sitemap index may be remembered (``crawler.spiders.documents``), and the link helpers
of listing pages: teaser dates and AMP/print copies (``crawler.links``)."""

from __future__ import annotations

from archive.db.frontier import DocumentRead
from crawler.links import copy_of, extract_link_cards, without_copies
from crawler.spiders.documents import SitemapIndexes, conditional_headers

BASE = "https://news.example.com"
INDEX, PAGES, POSTS = f"{BASE}/sitemap_index.xml", f"{BASE}/sitemaps/pages.xml", f"{BASE}/sitemaps/posts.xml"


def read(url: str, etag: str | None = '"v1"') -> DocumentRead:
    return DocumentRead(url, 200, etag, None, None, False)


def test_an_index_is_remembered_after_its_last_child_and_not_before() -> None:
    indexes = SitemapIndexes()
    assert indexes.index_read(read(INDEX), None, {PAGES, POSTS}) == []
    assert indexes.finished(POSTS, INDEX, read(POSTS)) == [read(POSTS)]  # pages.xml still outstanding
    assert indexes.outstanding() == 1
    assert indexes.finished(PAGES, INDEX, read(PAGES)) == [read(PAGES), read(INDEX)]
    assert indexes.outstanding() == 0


def test_an_index_with_no_children_to_read_is_remembered_at_once() -> None:
    assert SitemapIndexes().index_read(read(INDEX), None, set()) == [read(INDEX)]


def test_a_failed_child_leaves_the_index_without_validators() -> None:
    indexes = SitemapIndexes()
    indexes.index_read(read(INDEX), None, {PAGES, POSTS})
    assert indexes.finished(PAGES, INDEX, None) == []
    done = indexes.finished(POSTS, INDEX, read(POSTS))
    assert done == [read(POSTS), read(INDEX, etag=None)]  # the next run reads the index in full


def test_nested_indexes_complete_innermost_first_and_carry_a_failure_up() -> None:
    inner = f"{BASE}/sitemaps/archive_index.xml"
    indexes = SitemapIndexes()
    indexes.index_read(read(INDEX), None, {inner, POSTS})
    indexes.index_read(read(inner), INDEX, {PAGES})
    assert indexes.finished(POSTS, INDEX, read(POSTS)) == [read(POSTS)]
    assert indexes.finished(PAGES, inner, None) == [read(inner, etag=None), read(INDEX, etag=None)]


def test_a_document_outside_any_index_is_remembered_alone() -> None:
    feed = f"{BASE}/feed.xml"
    assert SitemapIndexes().finished(feed, None, read(feed)) == [read(feed)]
    assert SitemapIndexes().finished(feed, None, None) == []


def test_conditional_headers() -> None:
    assert conditional_headers('"e"', "Sun, 01 Nov 2026 12:00:00 GMT") == {
        "If-None-Match": '"e"', "If-Modified-Since": "Sun, 01 Nov 2026 12:00:00 GMT"}
    assert conditional_headers(None, None) == {}


LISTING = b"""<html><body>
<ul class="headlines">
<li><a href="/2026/11/01/first-big-story">First</a> <time datetime="2026-11-01T09:30:00+00:00">1 Nov</time>
  <a rel="author" href="/author/ann/">Ann</a></li>
<li><a href="/news/second-story-here">Second</a> <time datetime="2026-11-02">2 Nov</time></li>
</ul>
<article class="teaser"><h2><a href="/news/third-story-title">Third</a></h2>
  <div><time datetime="2026-11-03T08:00:00-05:00">3 Nov</time></div></article>
<li><a href="/news/precise-story-title">Precise</a><time datetime="2026-11-07T10:00:05.123456+00:00"></time></li>
<div class="rail"><a href="/news/fourth-story-title">Fourth</a><time datetime="2026-11-04T00:00:00Z"></time></div>
<ul><li><a href="/news/a-b-c">A</a><time datetime="2026-11-05T00:00:00Z"></time>
  <a href="/news/d-e-f">D</a><time datetime="2026-11-06T00:00:00Z"></time></li></ul>
<li><a href="/news/bad-date-story">Bad</a><time datetime="yesterday"></time></li>
</body></html>"""


def test_a_teaser_cards_time_travels_with_its_links() -> None:
    got = {link.url.removeprefix(BASE): link.updated for link in extract_link_cards(LISTING, BASE + "/")}
    assert got["/2026/11/01/first-big-story"] == "2026-11-01T09:30:00+00:00"
    assert got["/author/ann/"] == "2026-11-01T09:30:00+00:00"  # same card; an author page is no article
    assert got["/news/second-story-here"] == "2026-11-02T00:00:00+00:00"  # a date alone is taken as UTC
    assert got["/news/third-story-title"] == "2026-11-03T08:00:00-05:00"
    assert got["/news/precise-story-title"] == "2026-11-07T10:00:05+00:00"  # as shown: whole seconds
    assert got["/news/fourth-story-title"] is None  # not inside a teaser card
    assert got["/news/a-b-c"] is None and got["/news/d-e-f"] is None  # one card, two dates: neither
    assert got["/news/bad-date-story"] is None


def test_copy_of_names_the_article_an_amp_or_print_copy_stands_for() -> None:
    assert copy_of(f"{BASE}/amp/news/story-one") == f"{BASE}/news/story-one"
    assert copy_of(f"{BASE}/news/story-one/amp/") == f"{BASE}/news/story-one"
    assert copy_of(f"{BASE}/news/story-one?amp=1") == f"{BASE}/news/story-one"
    assert copy_of(f"{BASE}/story?id=7&outputType=amp") == f"{BASE}/story?id=7"
    assert copy_of(f"{BASE}/news/story-one?print=1") == f"{BASE}/news/story-one"
    assert copy_of(f"{BASE}/news/story-one") is None
    assert copy_of(f"{BASE}/news/amplifier-review?page=1") is None


def test_copies_are_dropped_only_next_to_their_article() -> None:
    links = [f"{BASE}/news/one", f"{BASE}/amp/news/one", f"{BASE}/news/one?print=1",
             f"{BASE}/news/two?amp=1", f"{BASE}/news/three/", f"{BASE}/news/three/amp"]
    assert without_copies(links) == [f"{BASE}/news/one", f"{BASE}/news/two?amp=1", f"{BASE}/news/three/"]


def test_an_index_whose_children_could_not_all_be_scheduled_is_read_in_full_next_time() -> None:
    indexes = SitemapIndexes()
    assert indexes.index_read(read(INDEX), None, set(), complete=False) == [read(INDEX, etag=None)]
    indexes.index_read(read(INDEX), None, {PAGES}, complete=False)
    assert indexes.finished(PAGES, INDEX, read(PAGES)) == [read(PAGES), read(INDEX, etag=None)]
