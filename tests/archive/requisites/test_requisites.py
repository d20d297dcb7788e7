"""Finding page requisites (HTML and CSS) and the scope rule: own hosts, learned CDNs, trackers."""

from __future__ import annotations

import pytest

from archive.requisites import AssetScope, css_references, find_requisites, is_tracker, largest_candidate
from archive.requisites import style_attribute_references as style_urls
from archive.urls import is_local_domain, is_local_host

PAGE = "http://news.example:8080/2026/story.html"


def urls(html: str, page: str = PAGE) -> list[str]:
    return [r.url for r in find_requisites(html.encode(), page)]


def test_every_kind_of_requisite_is_found_and_resolved_once() -> None:
    found = urls("""<html><head>
      <link rel="stylesheet" href="/css/site.css"><link rel="stylesheet" href="/css/site.css#dup">
      <link rel="alternate stylesheet" href="/css/alt.css">
      <link rel="shortcut icon" href="favicon.ico"><link rel="apple-touch-icon" href="/touch.png">
      <link rel="preload" as="font" href="/f.woff2"><link rel="preload" as="fetch" href="/api.json">
      <link rel="alternate" type="application/rss+xml" href="/feed.rss">
      <meta property="og:image" content="https://cdn.example/og.jpg">
      <script src="//static.example/app.js"></script><script>var inline = 1;</script>
      <style>@import "print.css"; .a { background: url(/bg.png) }</style>
    </head><body style="background-image: url('body.png')">
      <img src="a.jpg" srcset="a-480.jpg 480w, a-1200.jpg 1200w, a-800.jpg 800w">
      <picture><source srcset="p-1x.webp, p-2x.webp 2x"><img src="p.jpg"></picture>
      <video poster="/poster.jpg"><source src="/movie.mp4"></video>
      <img class="lazy" data-src="/lazy.jpg" data-srcset="/lazy-s.jpg 1x, /lazy-l.jpg 3x" src="data:image/gif;base64,R0l">
      <a href="/not-a-requisite/">link</a>
    </body></html>""")
    base = "http://news.example:8080"
    assert found == [
        f"{base}/css/site.css", f"{base}/2026/favicon.ico", f"{base}/touch.png", f"{base}/f.woff2",
        "http://static.example/app.js", f"{base}/2026/a.jpg", f"{base}/2026/a-1200.jpg", f"{base}/2026/p-2x.webp",
        f"{base}/2026/p.jpg", f"{base}/poster.jpg", f"{base}/lazy.jpg", f"{base}/lazy-l.jpg",
        "https://cdn.example/og.jpg", f"{base}/2026/print.css", f"{base}/bg.png", f"{base}/2026/body.png",
    ]


def test_base_href_and_protocol_relative_urls() -> None:
    found = urls('<head><base href="//assets.example/v2/"></head><img src="x.png"><img src="/root.png">',
                 "https://news.example/a/b.html")
    assert found == ["https://assets.example/v2/x.png", "https://assets.example/root.png"]


def test_a_reference_to_the_page_itself_is_no_requisite() -> None:
    assert urls('<img src="#"><img src="?"><img src="story.html#top"><img src="story.html?print=1">',
                "https://n.example/2026/story.html") == ["https://n.example/2026/story.html?print=1"]


def test_a_one_pixel_image_is_a_beacon() -> None:
    [pixel, real] = find_requisites(b'<img src="/t.gif" width="1" height="1"><img src="/photo.jpg" width="1">', PAGE)
    assert pixel.beacon and not real.beacon


@pytest.mark.parametrize("html", [b"", b"\x00\xff\xfe", b"<html>", b"<<<>>>" * 1000])
def test_broken_or_empty_pages_give_no_requisites_and_no_error(html: bytes) -> None:
    assert isinstance(find_requisites(html, PAGE), list)


@pytest.mark.parametrize(("srcset", "expected"), [
    ("a.jpg 300w, b.jpg 1200w, c.jpg 800w", "b.jpg"),
    ("a.jpg, b.jpg 2x, c.jpg 1.5x", "b.jpg"),
    ("a.jpg 2x, b.jpg 100w", "b.jpg"),  # a width names a real size: it wins over densities
    ("data:image/png;base64,AAA=, big.jpg 2x", "big.jpg"),
    ("one.jpg,two.jpg 2x", "one.jpg,two.jpg"),  # a comma inside a URL does not split (HTML standard)
    ("  ", None),
    ("a.jpg 100w, 150w", "a.jpg"),  # a stray descriptor is not a URL (seen on a real page)
])
def test_largest_srcset_candidate(srcset: str, expected: str | None) -> None:
    assert largest_candidate(srcset) == expected


def test_css_imports_fonts_and_backgrounds_in_nested_rules_not_comments() -> None:
    css = """@charset "utf-8"; @import url("reset.css") screen; @import 'theme.css';
    /* url(commented.png) */
    @font-face { font-family: X; src: url(../fonts/x.woff2) format("woff2"), url('../fonts/x.woff') format("woff"); }
    @media (min-width: 600px) { .hero { background: url("hero\\ wide.jpg") } }
    .icon { background-image: image-set(url(i1.png) 1x, url(i2.png) 2x); }
    .data { background: url(data:image/png;base64,AAAA) } .abs { background: url(https://cdn.example/a.png) }"""
    assert css_references(css, "https://news.example/css/site.css") == [
        "https://news.example/css/reset.css", "https://news.example/css/theme.css",
        "https://news.example/fonts/x.woff2", "https://news.example/fonts/x.woff",
        "https://news.example/css/hero wide.jpg",  # the CSS escape read as the browser reads it
        "https://news.example/css/i1.png", "https://news.example/css/i2.png", "https://cdn.example/a.png",
    ]


def test_inline_style_urls() -> None:
    assert style_urls("background: url(a.png); --x: url('b.png'); color: red", "https://n.example/p/") == [
        "https://n.example/p/a.png", "https://n.example/p/b.png"]
    assert style_urls("color: red; }}} url(", "https://n.example/") == []


@pytest.mark.parametrize(("url", "tracker"), [
    ("https://www.googletagmanager.com/gtm.js?id=GTM-1", True),
    ("https://securepubads.g.doubleclick.net/tag/js/gpt.js", True),
    ("https://sb.scorecardresearch.com/beacon.js", True),
    ("https://news.example/pixel.gif?u=1", True),
    ("https://news.example/t/collect?v=1", True),
    ("https://news.example/js/gtm.js", True),
    ("https://news.example/ads/slot.js", True),
    ("https://www.google.com/recaptcha/api.js", True),
    ("https://news.example/img/pixelated-art.jpg", False),
    ("https://news.example/css/tracklist.css", False),
    ("https://news.example/uploads/2026/ads-campaign-review.jpg", False),
    ("https://cdn.example/fonts/inter.woff2", False),
])
def test_tracker_rules(url: str, tracker: bool) -> None:
    assert is_tracker(url) is tracker


def test_scope_own_hosts_www_subdomains_and_allow_list() -> None:
    scope: AssetScope[str] = AssetScope(["www.news.example"], ["img.partner.example"])
    assert scope.in_scope("https://www.news.example/a.css")
    assert scope.in_scope("https://static.news.example/a.css")  # the bare domain's subdomains
    assert scope.in_scope("https://x.img.partner.example/a.jpg")
    assert not scope.in_scope("https://cdn.other.example/a.jpg")


def test_a_cdn_host_is_learned_after_three_pages_and_earlier_pages_get_their_requisites() -> None:
    scope: AssetScope[str] = AssetScope(["127.0.0.1:8000"])
    cdn, own = "http://127.0.0.1:9000/lib.js", "http://127.0.0.1:8000/site.css"
    first = scope.sort("p1", "p1", [(own, False), (cdn, False), ("https://www.googletagmanager.com/gtm.js", False)])
    assert (first.allowed, first.released, first.trackers, first.offsite) == ([own], [], 1, 1)
    second = scope.sort("p2", "p2", [(cdn, False), ("http://127.0.0.1:9000/p2-only.jpg", False)])
    assert second.allowed == [] and second.offsite == 2
    again = scope.sort("p2", "p2", [(cdn, False)])  # the same page again does not count twice
    assert again.allowed == []
    third = scope.sort("p3", "p3", [(cdn, False), ("http://127.0.0.1:8000/pixel.gif", True)])
    assert third.allowed == [cdn] and third.trackers == 1
    assert [(p.page, p.url) for p in third.released] == [
        ("p1", cdn), ("p2", cdn), ("p2", "http://127.0.0.1:9000/p2-only.jpg"), ("p2", cdn)]
    assert scope.sort("p4", "p4", [(cdn, False)]).allowed == [cdn]  # learned for the rest of the run


def test_an_explicit_allow_list_learns_nothing() -> None:
    scope: AssetScope[str] = AssetScope(["127.0.0.1:8000"], [])
    for page in ("p1", "p2", "p3", "p4"):
        verdict = scope.sort(page, page, [("http://127.0.0.1:9000/lib.js", False)])
        assert verdict.allowed == [] and verdict.offsite == 1


def test_a_local_outlet_never_learns_a_public_cdn_and_a_public_outlet_never_fetches_local_hosts() -> None:
    local: AssetScope[str] = AssetScope(["127.0.0.1:8000"])
    font = "https://fonts.googleapis.com/css?family=Open+Sans"
    for page in ("p1", "p2", "p3", "p4"):
        verdict = local.sort(page, page, [(font, False), ("http://localhost:9000/lib.js", False)])
        assert font not in verdict.allowed and verdict.offsite >= 1
    assert local.sort("p5", "p5", [("http://localhost:9000/lib.js", False)]).allowed  # local CDN learned
    public: AssetScope[str] = AssetScope(["www.news.example"])
    for page in ("p1", "p2", "p3", "p4"):
        for internal in ("http://192.168.1.1/admin.png", "http://127.0.0.1/x.css", "http://[::1]/y.js",
                         "http://169.254.169.254/latest/meta-data/", "http://intranet.localhost/z.png"):
            assert public.sort(page, page, [(internal, False)]).allowed == []
    listed: AssetScope[str] = AssetScope(["127.0.0.1:8000"], ["cdn.example"])  # the allow-list crosses
    assert listed.sort("p1", "p1", [("https://cdn.example/a.css", False)]).allowed == ["https://cdn.example/a.css"]


@pytest.mark.parametrize(("host", "local"), [
    ("localhost", True), ("a.localhost", True), ("127.0.0.1", True), ("10.1.2.3", True), ("[::1]", True),
    ("fe80::1", True), ("0.0.0.0", True), ("8.8.8.8", False), ("fonts.googleapis.com", False),
    ("localhost.example", False),
])
def test_is_local_host(host: str, local: bool) -> None:
    assert is_local_host(host) is local


@pytest.mark.parametrize(("domain", "local"), [
    ("127.0.0.1:8000", True), ("[::1]:8080", True), ("localhost", True), ("www.news.example", False),
    ("news.example:443", False), ("not a domain/", False),
])
def test_is_local_domain(domain: str, local: bool) -> None:
    assert is_local_domain(domain) is local
