"""The replay server on an archive of the styled site whose page requisites are archived
(tests/styledsite.py writes them as asset captures): links and requisites rewritten onto the
server, each requisite from its capture closest to the page's time (an older stylesheet is not
picked, a revisit resolves to its payload), Content-Types as archived, the banner and its switch,
the not-archived page, and the ``--scripts`` frame. On SQLite and PostgreSQL, through the app
(no sockets: the HTTP layer is covered by test_replay.py and the screenshot tests)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from archive.db.engine import make_engine
from archive.replay.lookup import Replayer
from archive.replay.responses import FRAME_PAGE_CSP, FRAMED_CSP, REPLAY_CSP, Response
from archive.replay.server import ReplayApp
from archive.replay.target import timestamp14
from tests.styledsite import OUTLET, StyledArchive, StyledSite, build_archive

_LINKS = re.compile(r'\s(?:href|src|srcset|data-src|data-srcset)="([^"]*)"')


@dataclass
class Kit:
    site: StyledSite
    archive: StyledArchive
    app: ReplayApp
    scripts_app: ReplayApp

    def page(self, n: int = 0) -> tuple[str, str]:
        url = self.site.pages[n]
        return url, timestamp14(self.archive.captured[url])

    def header(self, response: Response, name: str) -> str | None:
        return next((v for k, v in response.headers if k.lower() == name.lower()), None)


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[Kit]:
    with StyledSite() as site:
        archive = build_archive(site, tmp_path / "archive", database_url=database_url)
    engine = make_engine(database_url)
    replayer = Replayer(engine, tmp_path / "archive" / "warcs")
    try:
        yield Kit(site, archive, ReplayApp(replayer), ReplayApp(replayer, scripts=True))
    finally:
        engine.dispose()


def test_page_and_requisites_replay_from_the_archive(kit: Kit) -> None:
    url, stamp = kit.page()
    page = kit.app.handle(f"/{stamp}/{url}")
    assert page.status == 200 and kit.header(page, "Content-Type") == "text/html; charset=utf-8"
    assert kit.header(page, "Content-Security-Policy") == REPLAY_CSP
    body = page.body.decode()
    links = [link for value in _LINKS.findall(body) for link in re.split(r",\s*", value)]
    assert links and all(link.startswith(("/", "#")) for link in links), links  # nothing points at the live site
    assert "<script>" not in body and "document.querySelectorAll" not in body
    css_path = f"/{stamp}/{kit.site.origin}/static/css/site.css"
    assert f'href="{css_path}"' in body  # protocol-relative in the page
    assert f'src="/{stamp}/{kit.site.origin}/static/img/lazy.png"' in body  # promoted from data-src
    css = kit.app.handle(css_path)
    assert css.status == 200 and kit.header(css, "Content-Type") == "text/css; charset=utf-8"
    assert b"#f4efe6" in css.body and b"#000" not in css.body  # the capture nearest the page, not a week older
    assert f'@import url("/{stamp}/{kit.site.origin}/static/css/parts/fonts.css")'.encode() in css.body
    fonts = kit.app.handle(f"/{stamp}/{kit.site.origin}/static/css/parts/fonts.css")
    assert f'url("/{stamp}/{kit.site.origin}/static/fonts/press-serif.woff2")'.encode() in fonts.body
    for path, (content_type, data) in kit.site.files.items():
        got = kit.app.handle(f"/{stamp}/{kit.site.origin}{path}")
        assert got.status == 200 and kit.header(got, "Content-Type") == content_type, path
        if not content_type.startswith("text/css"):
            assert got.body == data, path


def test_revisit_of_an_asset_replays_its_payload(kit: Kit) -> None:
    url, _stamp = kit.page()
    later = timestamp14(kit.archive.captured[url] + timedelta(days=1))
    hero = kit.app.handle(f"/{later}/{kit.site.origin}/static/img/hero.png")
    assert hero.status == 200 and hero.body == kit.site.files["/static/img/hero.png"][1]
    assert kit.header(hero, "Memento-Datetime") and later[:8] in timestamp14_of(kit.header(hero, "Memento-Datetime"))


def timestamp14_of(http_date: str | None) -> str:
    from email.utils import parsedate_to_datetime

    assert http_date
    return timestamp14(parsedate_to_datetime(http_date))


def test_banner_says_what_the_capture_is_and_can_be_hidden(kit: Kit) -> None:
    url, stamp = kit.page(1)
    body = kit.app.handle(f"/{stamp}/{url}").body.decode()
    banner = body.split("<pressclips-banner", 1)[1].split("</pressclips-banner>", 1)[0]
    when = kit.archive.captured[url].strftime("%Y-%m-%d %H:%M:%S")
    assert OUTLET in banner and url in banner and when in banner and 'href="/article/' in banner
    assert f'href="/{stamp}/{url}?banner=0"' in banner
    assert body.index("<pressclips-banner") > body.index("<body>")
    hidden = kit.app.handle(f"/{stamp}/{url}?banner=0")
    assert hidden.status == 200
    assert hidden.body.decode() == body.replace(f"<pressclips-banner{banner}</pressclips-banner>", "")
    record = re.search(r'href="(/article/\d+)"', banner)
    assert record is not None
    article = kit.app.handle(record.group(1))
    assert article.status == 200 and url.encode() in article.body


def test_unarchived_links_get_a_not_archived_page(kit: Kit) -> None:
    _url, stamp = kit.page()
    missing = f"{kit.site.origin}/static/img/not-here.png"
    reply = kit.app.handle(f"/{stamp}/{missing}")
    assert reply.status == 404 and missing.encode() in reply.body and b"Not archived" in reply.body
    offered = re.findall(rb'<li><a href="(/\d{14}/[^"]+)"', reply.body)  # the nearest captures on the host
    assert offered and all(kit.site.origin.encode() in link for link in offered)
    assert kit.app.handle(offered[0].decode()).status == 200


def test_scripts_run_only_in_an_opaque_origin_frame(kit: Kit) -> None:
    url, stamp = kit.page()
    outer = kit.scripts_app.handle(f"/{stamp}/{url}")
    assert outer.status == 200 and kit.header(outer, "Content-Security-Policy") == FRAME_PAGE_CSP
    assert f'<iframe sandbox="allow-scripts" src="/{stamp}if_/{url}"'.encode() in outer.body
    assert b"<pressclips-banner" in outer.body and b"allow-same-origin" not in outer.body
    inner = kit.scripts_app.handle(f"/{stamp}if_/{url}")
    assert kit.header(inner, "Content-Security-Policy") == FRAMED_CSP
    assert b"document.querySelectorAll" in inner.body and b"<pressclips-banner" not in inner.body
    assert f'href="/{stamp}if_/{kit.site.origin}/static/css/site.css"'.encode() in inner.body
    font = kit.scripts_app.handle(f"/{stamp}if_/{kit.site.origin}/static/fonts/press-serif.woff2")
    assert kit.header(font, "Access-Control-Allow-Origin") == "null"  # the opaque origin may load fonts
    image = kit.scripts_app.handle(f"/{stamp}if_/{kit.site.origin}/static/img/hero.png")
    assert kit.header(image, "Cross-Origin-Resource-Policy") == "cross-origin"
    assert kit.header(kit.app.handle(f"/{stamp}/{url}"), "Access-Control-Allow-Origin") is None


def test_many_threads_replay_from_a_read_only_sqlite_archive(tmp_path: Path) -> None:
    """The server's per-request threads on the read-only SQLite engine the CLI opens: a browser
    loads a page's requisites over several connections at once, and none may fail."""
    with StyledSite() as site:
        archive = build_archive(site, tmp_path / "archive")
    engine = make_engine(archive.database_url, create=False, read_only=True)
    app = ReplayApp(Replayer(engine, tmp_path / "archive" / "warcs"))
    stamp = timestamp14(archive.captured[site.pages[0]])
    targets = [f"/{stamp}/{site.origin}{path}" for path in site.files]
    statuses: list[int] = []

    def load() -> None:
        for target in targets:
            statuses.append(app.handle(target).status)

    try:
        threads = [threading.Thread(target=load) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine.dispose()
    assert statuses == [200] * len(targets) * len(threads)
