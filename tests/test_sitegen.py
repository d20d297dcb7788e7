"""The seeded site generator itself (no crawler): same seed, same site; every linked variant
reaches its article; validators answer 304; ``advance`` changes exactly what its ground truth says."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.sitegen import GeneratedSite
from tests.sitegen.model import GenOutlet


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def site_bytes(site: GeneratedSite) -> list[bytes]:
    """Homepage, sitemaps, feeds and every article of every outlet, ports blanked out."""
    out = []
    for outlet in site.outlets:
        paths = ["/", "/robots.txt", "/sitemap_index.xml", "/sitemaps/articles-1.xml", "/section/news/?page=2",
                 "/feed.rss" if outlet.plan.feed_kind == "rss" else "/feed.atom", "/gallery/red-carpet-looks/"]
        for path in paths + [a.path for a in outlet.articles]:
            status, _, body = get(outlet.base_url + path)
            out.append(f"{status} {path}".encode() + body.replace(outlet.base_url.encode(), b"BASE"))
    return out


@pytest.fixture
def site() -> Iterator[GeneratedSite]:
    with GeneratedSite(3) as generated:
        yield generated


def test_same_seed_same_site_and_different_seeds_differ() -> None:
    with GeneratedSite(5) as one, GeneratedSite(5) as two, GeneratedSite(6) as other:
        assert [o.plan for o in one.outlets] == [o.plan for o in two.outlets]
        assert site_bytes(one) == site_bytes(two)
        assert [o.plan for o in one.outlets] != [o.plan for o in other.outlets]


def test_every_article_link_on_listings_reaches_a_real_article(site: GeneratedSite) -> None:
    real = site.real_articles()
    seen_variants = 0
    for outlet in site.outlets:
        for page in ("/", "/section/news/", "/section/news/?page=2", "/video/"):
            _, _, body = get(outlet.base_url + page)
            for href in re.findall(rb'<li><a href="([^"]+)"', body) + re.findall(rb'<a href="([^"]+)">Read the story', body):
                url = href.decode().replace("&amp;", "&")
                absolute = url if url.startswith("http") else outlet.base_url + url
                target = site.attribute(absolute)
                assert target in real, url
                status, _, _ = get(absolute.split("#")[0])
                assert status == 200, url
                seen_variants += absolute.split("#")[0] != target
    assert seen_variants > 0


def _outlet(site: GeneratedSite, validators: str) -> GenOutlet:
    return next(o for o in site.outlets if o.plan.validators == validators)


def test_validators_per_outlet_and_304(site: GeneratedSite) -> None:
    etag_outlet = _outlet(site, "etag")
    path = etag_outlet.articles[0].path
    status, headers, _ = get(etag_outlet.base_url + path)
    assert status == 200 and "Last-Modified" not in headers
    assert get(etag_outlet.base_url + path, {"If-None-Match": headers["ETag"]})[0] == 304
    lm_outlet = _outlet(site, "last-modified")
    status, headers, _ = get(lm_outlet.base_url + "/sitemap_index.xml")
    assert status == 200 and "ETag" not in headers
    assert get(lm_outlet.base_url + "/sitemap_index.xml", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    none_outlet = _outlet(site, "none")
    status, headers, _ = get(none_outlet.base_url + "/", {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers
    assert site.log[-1].conditional and site.log[-1].status == 200


def test_gzip_on_the_wire_is_stable(site: GeneratedSite) -> None:
    outlet = site.outlets[0]
    first = get(outlet.base_url + "/feed.rss" if outlet.plan.feed_kind == "rss" else outlet.base_url + "/feed.atom",
                {"Accept-Encoding": "gzip"})
    again = get(outlet.base_url + "/feed.rss" if outlet.plan.feed_kind == "rss" else outlet.base_url + "/feed.atom",
                {"Accept-Encoding": "gzip"})
    assert first[1]["Content-Encoding"] == "gzip" and first[2] == again[2]
    assert gzip.decompress(first[2]).startswith(b"<?xml")
    assert site.log[-1].bytes_sent == len(again[2])


def test_advance_changes_what_the_ground_truth_says(site: GeneratedSite) -> None:
    before = {url: get(url)[2] for url in site.real_articles()}
    sitemaps_before = {o.name: get(o.base_url + "/sitemaps/articles-1.xml")[2] + get(o.base_url + "/sitemaps/articles-2.xml")[2]
                       for o in site.outlets}
    changes = site.advance(round=2)
    assert changes.edited_announced and changes.edited_silent and changes.removed and changes.added
    for url, status in changes.removed.items():
        assert get(url)[0] == status
    for url in changes.edited_announced + changes.edited_silent:
        assert get(url)[2] != before[url]
    for url in changes.added:
        assert get(url)[0] == 200 and url not in before
    for outlet in site.outlets:
        sitemaps = get(outlet.base_url + "/sitemaps/articles-1.xml")[2] + get(outlet.base_url + "/sitemaps/articles-2.xml")[2]
        stamp = outlet.round_date().isoformat(timespec="seconds").encode()
        announced_here = [u for u in changes.edited_announced if u.startswith(outlet.base_url + "/")]
        assert (stamp in sitemaps) == bool(announced_here and outlet.plan.sitemap_lastmod)
        assert stamp not in sitemaps_before[outlet.name]
    with pytest.raises(ValueError):
        site.advance(round=4)
