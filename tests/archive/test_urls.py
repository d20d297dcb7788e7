"""Tests for archive.urls: canonical forms of real-world variants, totality, idempotence, site checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.urls import (
    canonicalize,
    host_of,
    is_http_url,
    join,
    netloc_of,
    normalize_domain,
    same_site,
    strip_tracking,
)

ARTICLE = "https://variety.com/2024/film/news/some-story-1235/"
CANONICAL_ARTICLE = "https://variety.com/2024/film/news/some-story-1235"


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE,
        "https://variety.com/2024/film/news/some-story-1235",
        "https://VARIETY.com/2024/film/news/some-story-1235/",
        "HTTPS://Variety.Com/2024/film/news/some-story-1235/",
        "https://variety.com:443/2024/film/news/some-story-1235/",
        "https://variety.com/2024/film/news/some-story-1235/#comments",
        "https://variety.com/2024/film/news/some-story-1235/?utm_source=twitter&utm_medium=social",
        "https://variety.com/2024/film/news/some-story-1235/?UTM_Campaign=x&fbclid=IwAR0abc",
        "https://variety.com/2024/film/news/some-story-1235/?gclid=1&msclkid=2&mc_cid=3&mc_eid=4",
        "https://variety.com/2024/film/news/some-story-1235/?igshid=1&_ga=2&dclid=3&yclid=4",
        "https://variety.com/2024/film/news/some-story-1235/?ref_src=twsrc%5Etfw&ocid=msn",
        "https://variety.com/2024/film//news/some-story-1235//",
        "https://variety.com/2024/./film/x/../news/some-story-1235/",
        "https://user:secret@variety.com/2024/film/news/some-story-1235/",
        "  https://variety.com/2024/film/news/some-story-1235/\n",
        "https://variety.com/2024/film/news/some-story-1235/?",
        "https://variety.com/2024/film/news/some%2Dstory%2d1235/",
    ],
)
def test_real_world_variants_share_one_canonical_form(variant: str) -> None:
    assert canonicalize(variant) == CANONICAL_ARTICLE


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # host case and default ports
        ("HTTP://WWW.Example.COM:80/", "http://www.example.com/"),
        ("http://example.com:443/", "http://example.com:443/"),  # 443 is not http's default
        ("https://example.com:80/", "https://example.com:80/"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("http://example.com:/a", "http://example.com/a"),
        # empty path and root
        ("http://example.com", "http://example.com/"),
        ("http://example.com?b=1", "http://example.com/?b=1"),
        ("http://example.com/", "http://example.com/"),
        ("http://example.com//", "http://example.com/"),
        # percent-encoding: unreserved decoded, others upper-cased, unsafe encoded
        ("http://example.com/%7euser", "http://example.com/~user"),
        ("http://example.com/%7Euser", "http://example.com/~user"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/%41%42c", "http://example.com/ABc"),
        ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
        ("http://example.com/café", "http://example.com/caf%C3%A9"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://example.com/?q=%zz", "http://example.com/?q=%25zz"),
        # dot segments, including escaped dots
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/a/%2E%2E/c", "http://example.com/c"),
        ("http://example.com/../../a", "http://example.com/a"),
        ("http://example.com/a/b/..", "http://example.com/a"),
        # query: sorted by name, stable for repeats, blank values kept, trackers dropped
        ("http://example.com/p?b=2&a=1", "http://example.com/p?a=1&b=2"),
        ("http://example.com/p?a=2&b=0&a=1", "http://example.com/p?a=2&a=1&b=0"),
        ("http://example.com/p?x=&y&&z=1", "http://example.com/p?x=&y&z=1"),
        ("http://example.com/p?q=a+b&q2=a%20b", "http://example.com/p?q=a+b&q2=a%20b"),
        ("http://example.com/p?utm_source=a&Utm_Medium=b&utm_X=", "http://example.com/p"),
        ("http://example.com/p?utm%5Fsource=a&id=3", "http://example.com/p?id=3"),
        # generic names are not trackers
        # issue 10: ref, source and the like are tracking (courlan's list); content parameters stay
        ("http://example.com/p?cid=7&ref=home&source=rss", "http://example.com/p?cid=7"),
        ("http://example.com/p?ref_src=twsrc&ito=792&taid=1&cmpid=x&mc_cid=1&mc_eid=2&gclid=g&fbclid=f&id=9",
         "http://example.com/p?id=9"),
        ("http://example.com/photos?gallery=2&refresh=1&sourceid=5&page=3&p=4&story=7",
         "http://example.com/photos?gallery=2&p=4&page=3&refresh=1&sourceid=5&story=7"),
        ("http://example.com/p?at_medium=social&ns_source=x&campaign_id=3&_ga=1&s_cid=2", "http://example.com/p"),
        ("http://example.com/p?next=/a?b", "http://example.com/p?next=/a?b"),
        # IDNA and IP literals
        ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("http://127.0.0.1:8080/x/", "http://127.0.0.1:8080/x"),
        ("http://[0:0::1]:8080/x", "http://[::1]:8080/x"),
        ("http://[::1]:80/", "http://[::1]/"),
    ],
)
def test_canonical_forms(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_http_and_https_are_different_urls() -> None:
    assert canonicalize("http://example.com/a") != canonicalize("https://example.com/a")


@pytest.mark.parametrize(
    "hopeless",
    [
        "",
        "   ",
        "mailto:someone@example.com",
        "javascript:void(0)",
        "data:text/html,<p>x</p>",
        "ftp://example.com/file",
        "example.com/no-scheme",
        "/relative/path",
        "http://",
        "http:///path-only",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://[::1/",
        "http://[not-ipv6]/",
        "http://a..ü.com/",
    ],
)
def test_hopeless_input_is_returned_stripped(hopeless: str) -> None:
    assert canonicalize(f" {hopeless}\t") == hopeless.strip()
    assert not is_http_url(hopeless)
    assert host_of(hopeless) == ""
    assert netloc_of(hopeless) == ""


def _assert_total_and_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once
    if is_http_url(url):
        # A canonical URL is plain ASCII, has no fragment and stays an http(s) URL.
        assert once.isascii()
        assert "#" not in once
        assert is_http_url(once)
        assert host_of(once) == host_of(url)
        assert netloc_of(once) == netloc_of(url)
    else:
        assert once == url.strip()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_is_total_and_idempotent(text: str) -> None:
    _assert_total_and_idempotent(text)


@settings(max_examples=300, deadline=None)
@given(st.text().map(lambda tail: "http://example.com/" + tail))
def test_arbitrary_paths_are_total_and_idempotent(url: str) -> None:
    _assert_total_and_idempotent(url)
    assert is_http_url(canonicalize(url)) == is_http_url(url)


# Pieces that exercise every normalisation step, including the awkward ones.
_SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "mailto", "", "http:"])
_USERINFO = st.sampled_from(["", "user@", "user:pw@", "a@b@", ":@"])
_HOSTS = st.sampled_from(
    [
        "example.com", "EXAMPLE.com", "www.Example.COM", "bücher.de", "ÜBER.example", "xn--bcher-kva.de",
        "127.0.0.1", "[::1]", "[0:0::1]", "[FE80::1]", "[::1", "localhost", "a..b", "ex ample.com",
        "", ".", "ｅｘａｍｐｌｅ.com", "example。com", "a.ß.de", "%41.com", "_dmarc.example.com",
    ]
)
_PORTS = st.sampled_from(["", ":", ":80", ":443", ":8080", ":0080", ":65536", ":x", ":٣"])
_PATH_PIECES = st.sampled_from(
    ["/", "//", "a", "B", ".", "..", "%2e", "%2E%2e", "%7e", "%7E", "%2f", "%zz", "%", "~", " ", "ü",
     "?", "#", "&", "=", ";", "@", ":", "[", "]", "\\", "\t", "\u200b", "\ud800", "+", "%25"]
)
_QUERY_PIECES = st.sampled_from(
    ["a=1", "b=", "c", "", "utm_source=x", "UTM_MEDIUM=y", "fbclid=z", "a=2", "q=a+b", "q=a%20b",
     "x=%7e", "x=%7E", "k=?/", "z=é", "%75tm_campaign=c", "cid=5", "=v", "==", "&"]
)


@st.composite
def urlish(draw: st.DrawFn) -> str:
    scheme = draw(_SCHEMES)
    path = "".join(draw(st.lists(_PATH_PIECES, max_size=8)))
    url = f"{scheme}://{draw(_USERINFO)}{draw(_HOSTS)}{draw(_PORTS)}{path}"
    if draw(st.booleans()):
        url += "?" + "&".join(draw(st.lists(_QUERY_PIECES, max_size=6)))
    if draw(st.booleans()):
        url += "#" + draw(st.sampled_from(["", "top", "a=b", "ü"]))
    return url


@settings(max_examples=300, deadline=None)
@given(urlish())
def test_urlish_strings_are_total_and_idempotent(url: str) -> None:
    _assert_total_and_idempotent(url)


@settings(max_examples=300, deadline=None)
@given(urlish())
def test_canonical_query_has_no_trackers_and_is_sorted(url: str) -> None:
    if not is_http_url(url):
        return
    _, _, query = canonicalize(url).partition("?")
    names = [param.partition("=")[0] for param in query.split("&")] if query else []
    assert names == sorted(names)
    assert not any(name.lower().startswith("utm_") or name.lower() == "fbclid" for name in names)


def test_host_and_netloc() -> None:
    assert host_of("http://127.0.0.1:8080/x") == "127.0.0.1"
    assert netloc_of("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert host_of("https://User:pw@WWW.Example.com:443/a") == "www.example.com"
    assert netloc_of("https://User:pw@WWW.Example.com:443/a") == "www.example.com"
    assert netloc_of("http://example.com:443/") == "example.com:443"
    assert host_of("http://[::1]:8080/") == "::1"
    assert netloc_of("http://[::1]:8080/") == "[::1]:8080"
    assert host_of("https://bücher.de/") == "xn--bcher-kva.de"


def test_is_http_url() -> None:
    assert is_http_url("http://example.com")
    assert is_http_url("HTTPS://example.com/a?b#c")
    assert not is_http_url("//example.com/protocol-relative")
    assert not is_http_url("file:///etc/passwd")


@pytest.mark.parametrize(
    ("url", "domains", "expected"),
    [
        ("https://variety.com/a", ["variety.com"], True),
        ("https://www.variety.com/a", ["variety.com"], True),
        ("https://a.b.variety.com/a", ["VARIETY.com"], True),
        ("https://notvariety.com/a", ["variety.com"], False),
        ("https://variety.com.evil.example/a", ["variety.com"], False),
        ("https://variety.com/a", ["www.variety.com"], False),
        ("https://variety.com/a", [], False),
        ("https://variety.com/a", "variety.com", True),  # a lone string is one domain
        ("mailto:x@variety.com", ["variety.com"], False),
        # DESIGN §4: loopback hosts with ports must match on host *and* port
        ("http://127.0.0.1:18701/news/1", ["127.0.0.1:18701"], True),
        ("http://127.0.0.1:18702/news/1", ["127.0.0.1:18701"], False),
        ("http://127.0.0.1/news/1", ["127.0.0.1:18701"], False),
        ("http://127.0.0.1:18702/news/1", ["127.0.0.1:18701", "127.0.0.1:18702"], True),
        ("http://127.0.0.1:18701/news/1", ["127.0.0.1"], True),  # no port: any port
        ("http://localhost:18701/", ["localhost:18701"], True),
        ("http://[::1]:18701/", ["[::1]:18701"], True),
        ("http://[::1]:18702/", ["[::1]:18701"], False),
        # IP addresses have no subdomains
        ("http://1.127.0.0.1/", ["127.0.0.1"], False),
        # an explicit default port matches URLs that leave it implicit, and vice versa
        ("https://example.com/", ["example.com:443"], True),
        ("http://example.com:80/", ["example.com:80"], True),
        ("http://example.com/", ["example.com:443"], False),
        # invalid entries never match
        ("https://example.com/", ["https://example.com/"], False),
        ("https://example.com/", ["example.com:notaport"], False),
    ],
)
def test_same_site(url: str, domains: list[str] | str, expected: bool) -> None:
    assert same_site(url, domains) is expected


def test_normalize_domain() -> None:
    assert normalize_domain(" Example.COM ") == "example.com"
    assert normalize_domain("127.0.0.1:18701") == "127.0.0.1:18701"
    assert normalize_domain("[0::1]:80") == "[::1]:80"
    assert normalize_domain("bücher.de") == "xn--bcher-kva.de"
    for bad in ["", "https://example.com", "example.com/path", "example.com:99999", "ex ample.com", "a@b"]:
        with pytest.raises(ValueError):
            normalize_domain(bad)


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("https://variety.com/c/film/", "/2024/film/news/x/", "https://variety.com/2024/film/news/x/"),
        ("https://variety.com/c/film/", "story-1/", "https://variety.com/c/film/story-1/"),
        ("https://variety.com/c/film/", "../tv/", "https://variety.com/c/tv/"),
        ("https://variety.com/c/film/", "//deadline.com/x", "https://deadline.com/x"),
        ("http://127.0.0.1:18701/list", "?page=2", "http://127.0.0.1:18701/list?page=2"),
        ("https://variety.com/c/film/", "  https://other.example/a \n", "https://other.example/a"),
        ("https://variety.com/c/film/", "mailto:tips@variety.com", None),
        ("https://variety.com/c/film/", "javascript:void(0)", None),
        ("https://variety.com/c/film/", "data:text/plain,hi", None),
        ("https://variety.com/c/film/", "tel:+15555555", None),
        ("https://variety.com/c/film/", "http://[::1/", None),
        ("mailto:x@example.com", "page", None),
    ],
)
def test_join(base: str, href: str, expected: str | None) -> None:
    assert join(base, href) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # trackers and the fragment go; everything else stays exactly as written
        ("https://Variety.com/a//b/?utm_source=x&z=1&FBCLID=2&a=%7e#top", "https://Variety.com/a//b/?z=1&a=%7e"),
        ("https://variety.com/story/?utm_source=x&utm_medium=y", "https://variety.com/story/"),
        ("https://variety.com/story/?utm%5Fsource=x&&q=", "https://variety.com/story/?q="),
        ("https://variety.com/story/?cid=5&ref=rss", "https://variety.com/story/?cid=5"),  # issue 10: ref is tracking
        ("https://variety.com/story/#comments", "https://variety.com/story/"),
        ("https://variety.com/story/ #comments", "https://variety.com/story/%20"),
        ("https://variety.com/st\nory/?a=\t1", "https://variety.com/story/?a=1"),
        ("  http://127.0.0.1:18701/a?x=1 ", "http://127.0.0.1:18701/a?x=1"),
        ("mailto:x@y.com?utm_source=a", "mailto:x@y.com?utm_source=a"),
    ],
)
def test_strip_tracking(url: str, expected: str) -> None:
    assert strip_tracking(url) == expected


@settings(max_examples=300, deadline=None)
@given(urlish())
def test_strip_tracking_agrees_with_canonicalize(url: str) -> None:
    stripped = strip_tracking(url)
    assert strip_tracking(stripped) == stripped
    assert canonicalize(stripped) == canonicalize(url)
