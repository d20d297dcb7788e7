"""Tests for crawler.links: real HTML in, absolute feed/page URLs out; URL classification."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler.links import classify_url, extract_links, find_feed_links
from tests.paths import REPO, TESTS_DIR

DATA = TESTS_DIR / "data" / "discovery"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


# --------------------------------------------------------------------------- HTML links


def test_find_feed_links() -> None:
    # <base href> wins over the page URL; rel/type matching is case- and parameter-tolerant.
    assert find_feed_links(read("page.html"), "https://www.rollingstone.example/music/some-page/") == [
        "https://www.rollingstone.example/feed/",
        "https://www.rollingstone.example/feed/atom/",
    ]
    assert find_feed_links(b"", "https://x.example/") == []


def test_extract_links() -> None:
    links = extract_links(read("page.html"), "https://www.rollingstone.example/music/some-page/")
    assert links == [
        "https://www.rollingstone.example/music/",
        "https://www.rollingstone.example/tv-movies/",
        "https://www.rollingstone.example/music/music-news/beyonce-cowboy-carter-tour-dates-1235012345/",
        "https://cdn.rollingstone.example/story/björk-interview",  # UTF-8 without charset sniffed right
        "https://partner.example/offer?id=7",  # nofollow kept: politeness is decided elsewhere
        "https://www.rollingstone.example/politics/politics-news/senate-vote-explained-1235012399/",
    ]


def test_extract_links_without_meta_charset_and_relative_base() -> None:
    html = '<p><a href="/story/beyoncé-cowboy-carter">x</a><a href="next/?page=2#x">n</a></p>'.encode()
    assert extract_links(html, "https://people.example/music/") == [
        "https://people.example/story/beyoncé-cowboy-carter",
        "https://people.example/music/next/?page=2",
    ]


# --------------------------------------------------------------------------- classify_url


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        # articles
        ("https://variety.com/2024/film/news/ryan-gosling-fall-guy-box-office-1235997561/", "article"),
        ("https://deadline.com/2024/05/furiosa-box-office-memorial-day-weekend-1235923456/", "article"),
        ("https://www.hollywoodreporter.com/movies/movie-news/kevin-costner-horizon-cannes-1235899123/", "article"),
        ("https://people.com/ryan-gosling-eva-mendes-rare-date-night-8651234", "article"),
        ("https://pitchfork.com/news/billie-eilish-announces-new-album-hit-me-hard-and-soft/", "article"),
        ("https://pitchfork.com/reviews/albums/taylor-swift-the-tortured-poets-department/", "article"),
        ("https://www.rollingstone.com/music/music-news/beyonce-cowboy-carter-tour-1235012345/", "article"),
        ("https://www.vulture.com/article/hacks-season-3-finale-recap.html", "article"),
        ("https://www.vulture.com/2024/05/best-movies-so-far.html", "article"),
        ("https://www.eonline.com/news/814222/ryan-gosling-s-feelings", "article"),
        ("https://www.eonline.com/news/1401234/zendaya-challengers", "article"),
        ("https://ew.com/2024/05/17/some-story-slug/", "article"),
        ("https://www.billboard.com/music/chart-beat/taylor-swift-hot-100-record-1235678901/", "article"),
        ("https://www.avclub.com/2024/05/17/dune/", "article"),
        # listings
        ("https://variety.com/", "listing"),
        ("https://variety.com/v/film/", "listing"),
        ("https://variety.com/t/ryan-gosling/", "listing"),
        ("https://deadline.com/category/box-office/", "listing"),
        ("https://deadline.com/tag/cannes-film-festival-2024-awards-lineup/", "listing"),
        ("https://www.hollywoodreporter.com/c/movies/movie-news/", "listing"),
        ("https://pitchfork.com/reviews/albums/", "listing"),
        ("https://pitchfork.com/news/", "listing"),
        ("https://www.vulture.com/tv", "listing"),
        ("https://www.rollingstone.com/author/rob-sheffield/", "listing"),
        ("https://www.rollingstone.com/topic/grammys/", "listing"),
        ("https://deadline.com/page/3/", "listing"),
        ("https://www.vulture.com/tv/?page=2", "listing"),
        ("https://people.com/search?q=gosling", "listing"),
        ("https://www.billboard.com/latest/", "listing"),
        ("https://deadline.com/2024/05/", "listing"),
        ("https://ew.com/2024/05/17/", "listing"),
        # other
        ("https://variety.com/wp-content/themes/pmc-variety/assets/css/main.css", "other"),
        ("https://variety.com/wp-content/uploads/2024/05/fall-guy-box-office.jpg?w=1000", "other"),
        ("https://variety.com/static/media/press-kit-2024.pdf", "other"),
        ("https://deadline.com/feed/", "other"),
        ("https://pitchfork.com/feed/feed-news/rss", "other"),
        ("https://variety.com/sitemap_index.xml", "other"),
        ("https://www.hollywoodreporter.com/privacy-policy/", "other"),
        ("https://www.rollingstone.com/subscribe/", "other"),
        ("https://people.com/about-us", "other"),
        ("https://people.com/login", "other"),
        ("https://www.vulture.com/newsletters/", "other"),
        ("https://variety.com/video/ryan-gosling-emily-blunt-fall-guy-interview/", "other"),
        ("https://pmc.com/terms-of-use/", "other"),
    ],
)
def test_classify_url(url: str, kind: str) -> None:
    assert classify_url(url) == kind


def test_module_imports_without_scrapy_or_twisted() -> None:
    # The spider adapts these helpers; the helpers themselves must stay reactor-free.
    code = "import sys, crawler.links; print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=REPO)
    assert result.stdout.strip() == "[]"
