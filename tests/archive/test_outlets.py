"""Tests for archive.outlets: loading, one-line errors for malformed files, allows(), the bundled file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archive.errors import ConfigError
from archive.outlets import (
    Outlet,
    Politeness,
    bundled_outlets_path,
    load_outlets,
    parse_duration,
    parse_outlets,
)

VARIETY = '[[outlets]]\nname = "variety"\nhomepage = "https://variety.com/"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outlets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_outlets(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(f"{path}: "), message
    assert info.value.exit_code == 2
    return message


# (TOML text, the outlet label that must appear (or None for file-level errors), fragments)
MALFORMED = [
    pytest.param(
        VARIETY + 'sitemap = ["https://variety.com/sitemap.xml"]\n',
        'outlet "variety" (#1)',
        ['unknown key "sitemap" (did you mean "sitemaps"?)'],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        VARIETY + "colour = 3\n",
        'outlet "variety" (#1)',
        ['unknown key "colour"'],
        id="unknown-key-without-suggestion",
    ),
    pytest.param(
        '[[outlets]]\nname = "variety"\nhomepage = \n',
        None,
        ["invalid TOML", "line 3"],
        id="bad-toml",
    ),
    pytest.param(
        '[[outlet]]\nname = "variety"\nhomepage = "https://variety.com/"\n',
        None,
        ['unknown top-level key "outlet"', 'did you mean "outlets"?'],
        id="unknown-top-level-key",
    ),
    pytest.param(
        'name = "variety"\n' + VARIETY,
        None,
        ['unknown top-level key "name"', "[[outlets]]"],
        id="key-outside-any-table",
    ),
    pytest.param(
        '[outlets]\nname = "variety"\nhomepage = "https://variety.com/"\n',
        None,
        ['key "outlets"', "[[outlets]]"],
        id="single-bracket-outlets",
    ),
    pytest.param("# nothing here\n", None, ["no outlets defined"], id="empty-file"),
    pytest.param("outlets = []\n", None, ["no outlets defined"], id="empty-outlets-array"),
    pytest.param('outlets = "variety"\n', None, ['key "outlets"', "string"], id="outlets-not-tables"),
    pytest.param("outlets = [1]\n", "outlet #1", ["expected a table", "integer 1"], id="outlet-not-a-table"),
    pytest.param(
        VARIETY + '[[outlets]]\nhomepage = "https://deadline.com/"\n',
        "outlet #2",
        ['missing required key "name"'],
        id="missing-name",
    ),
    pytest.param(
        '[[outlets]]\nname = "variety"\n',
        'outlet "variety" (#1)',
        ['missing required key "homepage"'],
        id="missing-homepage",
    ),
    pytest.param(
        '[[outlets]]\nname = 7\nhomepage = "https://variety.com/"\n',
        "outlet #1",
        ['key "name"', "expected a string", "integer 7"],
        id="name-wrong-type",
    ),
    pytest.param(
        '[[outlets]]\nname = ""\nhomepage = "https://variety.com/"\n',
        "outlet #1",
        ['key "name"', 'got ""'],
        id="empty-name",
    ),
    pytest.param(
        '[[outlets]]\nname = "the wrap"\nhomepage = "https://www.thewrap.com/"\n',
        "outlet #1",
        ['key "name"', '"the wrap"'],
        id="name-with-space",
    ),
    pytest.param(
        '[[outlets]]\nname = "bad\\nname"\nhomepage = "https://www.thewrap.com/"\n',
        "outlet #1",
        ['key "name"', '"bad\\nname"'],
        id="name-with-newline-stays-one-line",
    ),
    pytest.param(
        VARIETY + '[[outlets]]\nname = "Variety"\nhomepage = "https://variety.com/"\n',
        'outlet "Variety" (#2)',
        ['key "name"', "duplicate", 'outlet #1 is "variety"'],
        id="duplicate-name-case-insensitive",
    ),
    pytest.param(
        '[[outlets]]\nname = "variety"\nhomepage = "ftp://variety.com/"\n',
        'outlet "variety" (#1)',
        ['key "homepage"', "http(s)", '"ftp://variety.com/"'],
        id="homepage-not-http",
    ),
    pytest.param(
        '[[outlets]]\nname = "variety"\nhomepage = "variety.com"\n',
        'outlet "variety" (#1)',
        ['key "homepage"', '"variety.com"'],
        id="homepage-relative",
    ),
    pytest.param(
        '[[outlets]]\nname = "variety"\nhomepage = ["https://variety.com/"]\n',
        'outlet "variety" (#1)',
        ['key "homepage"', "expected a URL string"],
        id="homepage-wrong-type",
    ),
    pytest.param(
        VARIETY + 'feeds = ["https://variety.com/feed/", "/feed/"]\n',
        'outlet "variety" (#1)',
        ['key "feeds"', "item 2", '"/feed/"'],
        id="feed-relative-url",
    ),
    pytest.param(
        VARIETY + 'feeds = "https://variety.com/feed/"\n',
        'outlet "variety" (#1)',
        ['key "feeds"', "expected an array of strings"],
        id="feeds-string-not-array",
    ),
    pytest.param(
        VARIETY + "news_sitemaps = [1]\n",
        'outlet "variety" (#1)',
        ['key "news_sitemaps"', "item 1 must be a string"],
        id="sitemap-item-wrong-type",
    ),
    pytest.param(
        VARIETY + "allow = ['/\\d{4}/', '(unclosed']\n",
        'outlet "variety" (#1)',
        ['key "allow"', "item 2", "regular expression", '"(unclosed"'],
        id="bad-allow-regex",
    ),
    pytest.param(
        VARIETY + "deny = ['*bad']\n",
        'outlet "variety" (#1)',
        ['key "deny"', "item 1", "regular expression"],
        id="bad-deny-regex",
    ),
    pytest.param(
        VARIETY + "max_depth = -1\n",
        'outlet "variety" (#1)',
        ['key "max_depth"', "at least 0", "-1"],
        id="negative-depth",
    ),
    pytest.param(
        VARIETY + "max_pages = 0\n",
        'outlet "variety" (#1)',
        ['key "max_pages"', "at least 1"],
        id="zero-pages",
    ),
    pytest.param(
        VARIETY + "max_pages = 10.5\n",
        'outlet "variety" (#1)',
        ['key "max_pages"', "expected an integer", "float 10.5"],
        id="float-pages",
    ),
    pytest.param(
        VARIETY + "max_depth = true\n",
        'outlet "variety" (#1)',
        ['key "max_depth"', "expected an integer", "boolean true"],
        id="boolean-depth",
    ),
    pytest.param(
        VARIETY + 'discover = "yes"\n',
        'outlet "variety" (#1)',
        ['key "discover"', "true or false"],
        id="discover-not-boolean",
    ),
    pytest.param(
        VARIETY + 'domains = ["https://variety.com/"]\n',
        'outlet "variety" (#1)',
        ['key "domains"', "item 1", "host:port"],
        id="domain-is-a-url",
    ),
    pytest.param(
        VARIETY + "domains = []\n",
        'outlet "variety" (#1)',
        ['key "domains"', "must not be empty"],
        id="empty-domains",
    ),
    pytest.param(
        VARIETY + 'recrawl = ["1h", "6x"]\n',
        'outlet "variety" (#1)',
        ['key "recrawl"', "item 2", '"6x"'],
        id="bad-duration",
    ),
    pytest.param(
        VARIETY + 'recrawl = ["0h"]\n',
        'outlet "variety" (#1)',
        ['key "recrawl"', "item 1", '"0h"'],
        id="zero-duration",
    ),
    pytest.param(
        VARIETY + 'recrawl = ["1d", "6h"]\n',
        'outlet "variety" (#1)',
        ['key "recrawl"', "item 2", "longer than the one before"],
        id="durations-not-increasing",
    ),
    pytest.param(
        VARIETY + "[outlets.politeness]\ndownload_dealy = 2\n",
        'outlet "variety" (#1)',
        ['unknown key "politeness.download_dealy" (did you mean "politeness.download_delay"?)'],
        id="politeness-unknown-key",
    ),
    pytest.param(
        VARIETY + "[outlets.politeness]\nconcurrency = 0\n",
        'outlet "variety" (#1)',
        ['key "politeness.concurrency"', "at least 1"],
        id="politeness-zero-concurrency",
    ),
    pytest.param(
        VARIETY + "[outlets.politeness]\ndownload_delay = -0.5\n",
        'outlet "variety" (#1)',
        ['key "politeness.download_delay"', "zero or more"],
        id="politeness-negative-delay",
    ),
    pytest.param(
        VARIETY + "[outlets.politeness]\ndownload_delay = nan\n",
        'outlet "variety" (#1)',
        ['key "politeness.download_delay"', "finite"],
        id="politeness-nan",
    ),
    pytest.param(
        VARIETY + "[outlets.politeness]\nautothrottle_target = 2.0\n",
        'outlet "variety" (#1)',
        ['politeness', 'autothrottle_target'],
        id="politeness-unsupported-autothrottle-target",
    ),
    pytest.param(
        VARIETY + "politeness = 2\n",
        'outlet "variety" (#1)',
        ['key "politeness"', "expected a table"],
        id="politeness-not-a-table",
    ),
    pytest.param(
        "[defaults]\nmax_page = 10\n\n" + VARIETY,
        "[defaults]",
        ['unknown key "max_page"', 'did you mean "max_pages"?'],
        id="defaults-unknown-key",
    ),
    pytest.param(
        '[defaults]\nhomepage = "https://variety.com/"\n\n' + VARIETY,
        "[defaults]",
        ['key "homepage" cannot be set in [defaults]'],
        id="defaults-per-outlet-key",
    ),
    pytest.param(
        "[defaults]\n[defaults.politeness]\nconcurrency = -2\n\n" + VARIETY,
        "[defaults]",
        ['key "politeness.concurrency"', "at least 1"],
        id="defaults-bad-value",
    ),
    pytest.param(
        VARIETY + '[[outlets]]\nname = "deadline"\nhomepage = "https://deadline.com/"\nfeed = []\n',
        'outlet "deadline" (#2)',
        ['unknown key "feed" (did you mean "feeds"?)'],
        id="second-outlet-is-named",
    ),
]


@pytest.mark.parametrize(("text", "label", "fragments"), MALFORMED)
def test_malformed_files_give_one_line_errors(
    tmp_path: Path, text: str, label: str | None, fragments: list[str]
) -> None:
    path = _write(tmp_path, text)
    message = _load_error(path)
    if label is not None:
        assert message.startswith(f"{path}: {label}: "), message
    for fragment in fragments:
        assert fragment in message, message


def test_error_message_matches_documented_example(tmp_path: Path) -> None:
    path = _write(tmp_path, VARIETY + 'sitemap = ["https://variety.com/sitemap.xml"]\n')
    assert _load_error(path) == f'{path}: outlet "variety" (#1): unknown key "sitemap" (did you mean "sitemaps"?)'


def test_parse_outlets_names_the_given_source() -> None:
    with pytest.raises(ConfigError) as info:
        parse_outlets(VARIETY + "max_depth = -3\n", source="mine.toml")
    assert str(info.value) == 'mine.toml: outlet "variety" (#1): key "max_depth": must be at least 0, got -3'
    with pytest.raises(ConfigError, match=r"^<string>: no outlets defined"):
        parse_outlets("")


def test_missing_file(tmp_path: Path) -> None:
    message = _load_error(tmp_path / "nope.toml")
    assert "cannot read outlets file" in message
    assert "No such file or directory" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    assert "cannot read outlets file" in _load_error(tmp_path / "dir.toml")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(VARIETY.encode() + b'# caf\xe9\n')
    assert "not UTF-8" in _load_error(path)


FULL = """
[defaults]
max_depth = 1
recrawl = ["30m", "2h"]
deny = ['/gallery/']

[defaults.politeness]
download_delay = 2
concurrency = 4

[[outlets]]
name = "Variety"
homepage = "https://variety.com/"
domains = ["variety.com", "VIP.Variety.com", "127.0.0.1:18701"]
sitemaps = ["https://variety.com/sitemap_index.xml"]
news_sitemaps = ["https://variety.com/news-sitemap.xml"]
feeds = ["https://variety.com/feed/", "https://variety.com/v/film/feed/"]
start_urls = ["https://variety.com/c/news/"]
allow = ['/\\d{4}/', '^https://variety\\.com/lists/']
deny = ['/video/']
max_depth = 0
max_pages = 50
discover = false
recrawl = ["1h", "1d", "2w"]

[outlets.politeness]
download_delay = 0

[[outlets]]
name = "deadline"
homepage = "https://deadline.com/"
"""


def test_valid_full_example(tmp_path: Path) -> None:
    variety, deadline = load_outlets(_write(tmp_path, FULL))
    assert variety == Outlet(
        name="Variety",
        homepage="https://variety.com/",
        domains=("variety.com", "vip.variety.com", "127.0.0.1:18701"),
        sitemaps=("https://variety.com/sitemap_index.xml",),
        news_sitemaps=("https://variety.com/news-sitemap.xml",),
        feeds=("https://variety.com/feed/", "https://variety.com/v/film/feed/"),
        start_urls=("https://variety.com/c/news/",),
        allow=(r"/\d{4}/", r"^https://variety\.com/lists/"),
        deny=("/video/",),
        max_depth=0,
        max_pages=50,
        discover=False,
        # own delay wins (0 is allowed: no fixed delay), concurrency comes from [defaults]
        politeness=Politeness(download_delay=0.0, concurrency=4),
        recrawl=("1h", "1d", "2w"),
    )
    assert variety.recrawl_delays == (timedelta(hours=1), timedelta(days=1), timedelta(weeks=2))
    # deadline takes everything from [defaults] and the dataclass defaults
    assert deadline == Outlet(
        name="deadline",
        homepage="https://deadline.com/",
        domains=("deadline.com",),
        deny=("/gallery/",),
        max_depth=1,
        politeness=Politeness(download_delay=2.0, concurrency=4),
        recrawl=("30m", "2h"),
    )
    assert deadline.max_pages == 2000 and deadline.discover is True


def test_minimal_outlet_uses_dataclass_defaults() -> None:
    (outlet,) = parse_outlets(VARIETY)
    assert outlet.domains == ("variety.com",)
    assert outlet.max_depth == 3 and outlet.max_pages == 2000 and outlet.discover is True
    assert outlet.politeness == Politeness()
    assert outlet.recrawl == ("1h", "6h", "1d", "3d", "7d")
    assert outlet.feeds == outlet.sitemaps == outlet.news_sitemaps == outlet.start_urls == ()


def test_loopback_homepage_with_port_keeps_the_port_in_domains() -> None:
    (outlet,) = parse_outlets('[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:18701/"\n')
    assert outlet.domains == ("127.0.0.1:18701",)
    assert outlet.allows("http://127.0.0.1:18701/news/1.html")
    assert not outlet.allows("http://127.0.0.1:18702/news/1.html")
    assert not outlet.allows("http://127.0.0.1/news/1.html")


def test_default_port_is_not_part_of_the_domain() -> None:
    (outlet,) = parse_outlets('[[outlets]]\nname = "local"\nhomepage = "http://LOCALHOST:80/"\n')
    assert outlet.domains == ("localhost",)
    assert outlet.allows("http://localhost:8080/a")


def test_direct_construction_derives_domains() -> None:
    outlet = Outlet(name="local", homepage="http://127.0.0.1:18701/")
    assert outlet.domains == ("127.0.0.1:18701",)
    with pytest.raises(ConfigError):
        Outlet(name="bad", homepage="not a url")
    with pytest.raises(ConfigError):
        Outlet(name="bad", homepage="http://x.example/", allow=("(",))


def test_allows() -> None:
    outlet = Outlet(
        name="variety",
        homepage="https://variety.com/",
        allow=(r"/\d{4}/",),
        deny=(r"/gallery/", r"[?&]s="),
    )
    assert outlet.allows("https://variety.com/2024/film/news/story-1/")
    assert outlet.allows("https://www.variety.com/2024/tv/news/story-2/")  # subdomain
    assert not outlet.allows("https://variety.com/c/film/")  # not matched by allow
    assert not outlet.allows("https://variety.com/2024/gallery/red-carpet/")  # deny wins
    assert not outlet.allows("https://variety.com/2024/?s=oscars")
    assert not outlet.allows("https://deadline.com/2024/film/news/story-1/")  # off-site
    assert not outlet.allows("https://variety.com.example/2024/x/")
    assert not outlet.allows("mailto:tips@variety.com")
    everything = Outlet(name="all", homepage="https://variety.com/")
    assert everything.allows("https://variety.com/anything")


def test_parse_duration() -> None:
    assert parse_duration("45s") == timedelta(seconds=45)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("3d") == timedelta(days=3)
    assert parse_duration("2w") == timedelta(weeks=2)
    for bad in ["", "h", "0d", "1.5h", "1 h", "1H", "-1d", "1y", "01h"]:
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_bundled_file_parses() -> None:
    path = bundled_outlets_path()
    assert path.is_file()
    assert path.parts[-3:] == ("archive", "data", "outlets.toml")
    outlets = load_outlets(path)
    by_name = {outlet.name: outlet for outlet in outlets}
    assert len(by_name) == len(outlets) >= 15
    for required in [
        "variety", "hollywood-reporter", "deadline", "indiewire", "vulture", "entertainment-weekly",
        "people", "rolling-stone", "billboard", "pitchfork", "vanity-fair", "collider", "thewrap",
        "screen-daily",
    ]:
        assert required in by_name, required
    assert "https://variety.com/feed/" in by_name["variety"].feeds
    assert "https://variety.com/news-sitemap.xml" in by_name["variety"].news_sitemaps
    for outlet in outlets:
        # every outlet can reach its own homepage and has somewhere to start from
        assert outlet.allows(outlet.homepage), outlet.name
        assert outlet.discover or outlet.feeds or outlet.sitemaps or outlet.news_sitemaps, outlet.name
        for url in (outlet.homepage, *outlet.feeds, *outlet.sitemaps, *outlet.news_sitemaps):
            assert url.startswith("https://"), (outlet.name, url)


def test_requisite_keys_default_on_with_learned_hosts_and_validate(tmp_path: Path) -> None:
    [default] = load_outlets(_write(tmp_path, VARIETY))
    assert (default.assets, default.assets_obey_robots, default.asset_hosts) == (True, True, None)
    [custom] = load_outlets(_write(tmp_path, "[defaults]\nassets_obey_robots = false\n\n" + VARIETY
                                   + 'assets = false\nasset_hosts = ["Cdn.Example.com", "127.0.0.1:9000"]\n'))
    assert (custom.assets, custom.assets_obey_robots, custom.asset_hosts) == (
        False, False, ("cdn.example.com", "127.0.0.1:9000"))
    [explicit] = load_outlets(_write(tmp_path, VARIETY + "asset_hosts = []\n"))
    assert explicit.asset_hosts == ()  # only the outlet's own domains: nothing learned
    for text, fragment in [
        (VARIETY + "asset = false\n", 'unknown key "asset" (did you mean "assets"?)'),
        (VARIETY + 'asset_host = ["a.example"]\n', 'unknown key "asset_host" (did you mean "asset_hosts"?)'),
        (VARIETY + 'assets = "no"\n', 'key "assets": expected true or false'),
        (VARIETY + 'asset_hosts = ["https://cdn.example/"]\n', "asset_hosts"),
    ]:
        assert fragment in _load_error(_write(tmp_path, text))

def test_timezone_is_an_iana_name(tmp_path: Path) -> None:
    (outlet,) = load_outlets(_write(tmp_path, VARIETY + 'timezone = "America/Los_Angeles"\n'))
    assert outlet.timezone == "America/Los_Angeles"
    (outlet,) = load_outlets(_write(tmp_path, '[defaults]\ntimezone = "Europe/Berlin"\n' + VARIETY))
    assert outlet.timezone == "Europe/Berlin"
    message = _load_error(_write(tmp_path, VARIETY + 'timezone = "Pacific Time"\n'))
    assert 'outlet "variety" (#1)' in message and "unknown time zone" in message
    assert "expected an IANA time zone name" in _load_error(_write(tmp_path, VARIETY + "timezone = 8\n"))
